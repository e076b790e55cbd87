"""Sound and video through the API: header checks at intake, the job queue, moderation,
the gallery and withdrawal, with real files made by PyAV (tests/av_samples.py)."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from scrapbook.media.service import staging_dir
from tests import av_samples as samples
from tests.conftest import approve, count_rows, sign_in, stored_files, submit


def send(client, path: Path, kind: str, **fields):
    """Send one file and leave its job queued (the tests run it when they choose)."""
    return submit(client, files=[(path.name, path.read_bytes(), "application/octet-stream")],
                  kind=kind, form="song" if kind == "audio" else "film", process=False, **fields)


def nothing_stored(app, settings) -> None:
    assert count_rows(app, "contribution") == 0
    assert count_rows(app, "media_asset") == 0
    assert stored_files(settings) == []
    for folder in (Path(settings.tus_dir), staging_dir(settings)):  # nothing half-received
        assert not folder.exists() or list(folder.iterdir()) == [], folder


def status_of(client, receipt: str) -> dict:
    r = client.get(f"/api/receipts/{receipt}")
    assert r.status_code == 200, r.text
    return r.json()


def all_tags(data: bytes, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "out.bin"
    path.write_bytes(data)
    tags: dict[str, str] = {}
    with av.open(str(path)) as container:
        tags.update(container.metadata)
        for stream in container.streams:
            tags.update(stream.metadata)
    return tags


def test_a_song_goes_from_upload_through_the_queue_and_moderation_to_the_gallery(
    client, moderator, app, settings, tmp_path
):
    r = send(client, samples.mp3_tagged(tmp_path), "audio", title="Rain song")
    assert r.status_code == 202, r.text
    receipt = r.json()["receipt"]
    assert r.json()["status"] == "processing"
    assert status_of(client, receipt)["status"] == "processing"
    # The upload waits in storage, not served; the queue has one job.
    assert [p.name for p in stored_files(settings)] == ["source"]
    assert app.state.jobs.drain() == 1

    assert status_of(client, receipt)["status"] == "pending"
    cid = r.json()["id"]
    view = moderator.get(f"/api/admin/contributions/{cid}").json()
    (item,) = view["media"]
    assert item["type"] == "audio"
    assert item["duration"] == pytest.approx(1.0, abs=0.1)
    assert {"audio", "thumb", "display"} <= set(item["variants"])
    assert item["blurhash"]
    # The raw upload is gone once the derivatives exist.
    assert "source" not in [p.name for p in stored_files(settings)]

    refused = moderator.post(f"/api/admin/contributions/{cid}/decision",
                             json={"action": "approve", "version": view["version"]})
    assert refused.status_code == 422 and refused.json()["error"] == "transcript_required"
    edited = moderator.patch(f"/api/admin/contributions/{cid}",
                             json={"version": view["version"], "transcript": "La la, rain."})
    assert edited.status_code == 200, edited.text
    approve(moderator, cid)

    public = client.get(f"/api/gallery/{cid}").json()
    assert public["transcript"] == "La la, rain."
    (media,) = public["media"]
    assert media["type"] == "audio" and media["duration"] == pytest.approx(1.0, abs=0.1)
    song = client.get(media["variants"]["audio"])
    assert song.status_code == 200 and song.headers["content-type"] == "audio/mp4"
    tags = all_tags(song.content, tmp_path)
    assert not {"title", "artist", "comment", "creation_time", "encoder"} & set(tags), tags
    for secret in samples.SECRETS:
        assert secret not in song.content
    # Searchable by the words of its transcript.
    found = client.get("/api/gallery", params={"q": "rain"}).json()["items"]
    assert [i["id"] for i in found] == [cid]


def test_a_phone_video_loses_its_place_and_phone_and_plays(client, moderator, app, settings,
                                                          tmp_path):
    clip = samples.mp4_phone(tmp_path)
    assert b"SpyPhone" in clip.read_bytes()
    r = send(client, clip, "video", alt_text="A window with rain on it")
    assert r.status_code == 202, r.text
    app.state.jobs.drain()
    cid = r.json()["id"]
    approve(moderator, cid)  # a description is enough for video
    (media,) = client.get(f"/api/gallery/{cid}").json()["media"]
    assert media["type"] == "video"
    assert (media["width"], media["height"]) == (160, 120)
    assert {"video", "thumb", "display"} <= set(media["variants"])
    film = client.get(media["variants"]["video"])
    assert film.headers["content-type"] == "video/mp4"
    for secret in samples.SECRETS:
        assert secret not in film.content
    assert b"2019" not in film.content  # the creation time
    poster = client.get(media["variants"]["display"])
    assert poster.headers["content-type"] == "image/webp"


@pytest.mark.parametrize(
    ("make", "kind", "status"),
    [
        (samples.zip_named_mp4, "video", 415),
        (samples.mp4_data_only, "video", 415),
        (samples.png_image, "video", 415),
        (samples.text_file, "audio", 415),
        (samples.wav_20_hours, "audio", 422),
    ],
)
def test_what_is_not_sound_or_video_is_refused_with_nothing_stored(
    client, app, settings, tmp_path, make, kind, status
):
    r = send(client, make(tmp_path), kind)
    assert r.status_code == status, r.text
    assert r.json()["detail"]
    nothing_stored(app, settings)


def test_limits_are_settings_and_named_in_the_refusal(client, app, settings, tmp_path):
    settings.video_seconds_max = 0.5
    r = send(client, samples.mp4_phone(tmp_path), "video")
    assert r.status_code == 422, r.text
    assert "second" in r.json()["detail"] or "minute" in r.json()["detail"]
    settings.audio_bytes_max = 1_000
    r = send(client, samples.wav_pcm(tmp_path), "audio")
    assert r.status_code == 413, r.text
    assert "at most 1 kB" in r.json()["detail"]
    nothing_stored(app, settings)


def test_one_file_exactly_and_transcripts_only_for_sound_and_video(client, app, settings,
                                                                   tmp_path):
    wav = samples.wav_pcm(tmp_path)
    part = (wav.name, wav.read_bytes(), "audio/wav")
    two = submit(client, files=[part, part], kind="audio", form="song")
    assert two.status_code == 422 and two.json()["error"] == "one_file_required"
    none = submit(client, kind="audio", form="song")
    assert none.status_code == 422 and none.json()["error"] == "one_file_required"
    text = submit(client, transcript="words")
    assert text.status_code == 422 and text.json()["error"] == "unexpected_transcript"
    long = send(client, wav, "audio", transcript="x" * (settings.transcript_max + 1))
    assert long.status_code == 422
    nothing_stored(app, settings)


def test_withdrawing_while_processing_erases_the_upload_and_the_job_finds_nothing(
    client, app, settings, tmp_path
):
    r = send(client, samples.wav_pcm(tmp_path), "audio")
    assert stored_files(settings)
    assert client.delete(f"/api/receipts/{r.json()['receipt']}").status_code == 204
    app.state.jobs.drain()
    nothing_stored(app, settings)


def test_a_file_that_fails_only_while_decoding_is_marked_failed_with_its_files_erased(
    client, moderator, app, settings, tmp_path
):
    r = send(client, samples.mp4_phone(tmp_path), "video")
    assert r.status_code == 202, r.text
    # What a lying header hides shows only when decoding: here the stored bytes go bad.
    (source,) = stored_files(settings)
    source.write_bytes(source.read_bytes()[:2000])
    app.state.jobs.drain()
    status = status_of(client, r.json()["receipt"])
    assert status["status"] == "failed"
    assert "sorry" in status["public_reason"].lower()
    view = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert view["status"] == "failed" and view["failure_reason"]
    assert stored_files(settings) == []
    decided = moderator.post(f"/api/admin/contributions/{r.json()['id']}/decision",
                             json={"action": "approve", "version": view["version"]})
    assert decided.status_code == 409


def test_a_finished_resumable_upload_is_attached_by_its_id(client, moderator, app, settings,
                                                          tmp_path):
    data = samples.webm_opus_recording(tmp_path).read_bytes()
    tus = {"Tus-Resumable": "1.0.0"}
    created = client.post("/api/uploads/", headers={**tus, "Upload-Length": str(len(data))})
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    upload_id = url.rstrip("/").rsplit("/", 1)[-1]
    half = len(data) // 2
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        patched = client.patch(url, content=chunk, headers={
            **tus, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
        assert patched.status_code == 204, patched.text

    # A field left out: refused, and the upload is still there to send again.
    refused = submit(client, kind="audio", form="note", upload_id=upload_id, consent=None)
    assert refused.status_code == 422
    r = submit(client, kind="audio", form="note", upload_id=upload_id)
    assert r.status_code == 202, r.text
    assert count_rows(app, "upload") == 0
    assert list(Path(settings.tus_dir).iterdir()) == []
    again = submit(client, kind="audio", form="note", upload_id=upload_id)
    assert again.status_code == 404
    app.state.jobs.drain()
    view = moderator.get(f"/api/admin/contributions/{r.json()['id']}").json()
    assert view["status"] == "pending"
    assert view["media"][0]["duration"] == pytest.approx(1.0, abs=0.15)


def test_on_s3_a_video_goes_through_and_withdrawal_deletes_its_objects(
    settings, s3_settings, moderator, tmp_path
):
    """The same flow with S3-compatible storage over real HTTP (moto on loopback)."""
    from fastapi.testclient import TestClient

    from scrapbook.main import create_app
    from tests.s3server import bucket_keys

    s3 = settings.model_copy(update=s3_settings)
    app = create_app(s3)
    try:
        with TestClient(app) as client:
            r = send(client, samples.mp4_phone(tmp_path), "video", transcript="Rain, window.")
            assert r.status_code == 202, r.text
            assert [k.rsplit("/", 1)[-1] for k in bucket_keys(s3)] == ["source"]
            assert stored_files(s3) == []  # nothing on local disk
            app.state.jobs.drain()
            keys = bucket_keys(s3)
            assert sorted(k.rsplit("/", 1)[-1].split("-")[0] for k in keys) == [
                "display", "thumb", "video"]
            cid = r.json()["id"]
            approve(sign_in(app, "mod"), cid)  # the `moderator` fixture made the account
            (media,) = client.get(f"/api/gallery/{cid}").json()["media"]
            film = client.get(media["variants"]["video"], headers={"Range": "bytes=0-99"})
            assert film.status_code == 206 and len(film.content) == 100
            assert client.delete(f"/api/receipts/{r.json()['receipt']}").status_code == 204
            assert bucket_keys(s3) == []
    finally:
        app.state.engine.dispose()


def test_public_media_urls_use_the_media_origin_and_moderators_stay_on_the_app(
    client, moderator, app, settings, tmp_path
):
    settings.media_base_url = "https://media.example.org"
    r = send(client, samples.wav_pcm(tmp_path), "audio", transcript="Hum.")
    app.state.jobs.drain()
    cid = r.json()["id"]
    mod_view = moderator.get(f"/api/admin/contributions/{cid}").json()
    assert all(u.startswith("/media/") for u in mod_view["media"][0]["variants"].values())
    approve(moderator, cid)
    (media,) = client.get(f"/api/gallery/{cid}").json()["media"]
    assert all(u.startswith("https://media.example.org/media/")
               for u in media["variants"].values())
    (listed,) = client.get("/api/gallery").json()["items"]
    assert listed["media"] == [media]


def test_a_double_tapped_send_with_one_upload_makes_one_contribution(client, app, settings,
                                                                    tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    data = samples.wav_pcm(tmp_path).read_bytes()
    tus = {"Tus-Resumable": "1.0.0"}
    url = client.post("/api/uploads/", headers={**tus, "Upload-Length": str(len(data))}
                      ).headers["location"]
    client.patch(url, content=data, headers={
        **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    upload_id = url.rsplit("/", 1)[-1]
    # Two at once (a third from the same client would be told to wait: 429).
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(
            lambda _: submit(client, kind="audio", form="note", upload_id=upload_id), range(2)))
    assert sorted(a.status_code for a in answers) == [202, 404], [a.text for a in answers]
    assert count_rows(app, "contribution") == 1


def test_each_kind_is_capped_while_its_file_streams(client, app, settings, tmp_path):
    settings.audio_bytes_max = 20_000
    wav = samples.wav_pcm(tmp_path, seconds=2.0)  # 2 s of 48 kHz stereo: about 384 KB
    r = send(client, wav, "audio")
    assert r.status_code == 413, r.text
    # Refused by the streaming cap (the parser), not after the whole body was read.
    assert r.json()["detail"] == "Each sound file may be at most 20 kB."
    nothing_stored(app, settings)


def test_transcripts_are_refused_on_writing_and_pictures_by_moderators_too(client, moderator):
    cid = submit(client).json()["id"]
    version = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    r = moderator.patch(f"/api/admin/contributions/{cid}",
                        json={"version": version, "transcript": "words"})
    assert r.status_code == 422 and r.json()["error"] == "unexpected_transcript"


def test_the_pages_allow_pictures_and_players_from_the_media_origin_only(settings):
    from scrapbook.main import site_csp

    assert "media-src 'self' blob:" in site_csp(settings)
    cdn = settings.model_copy(update={"media_base_url": "https://media.example.org/"})
    policy = site_csp(cdn)
    assert "img-src 'self' https://media.example.org data: blob:" in policy
    assert "media-src 'self' https://media.example.org blob:" in policy
    signed = settings.model_copy(update={"storage_backend": "s3", "s3_serve": "presigned",
                                         "s3_endpoint_url": "http://127.0.0.1:9000"})
    assert "media-src 'self' http://127.0.0.1:9000 blob:" in site_csp(signed)
