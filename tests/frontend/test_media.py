"""Sound and video in Chromium: a voice note recorded in the page (Chromium's fake microphone),
a sound file and a video file picked from disk, each sent by a resumable (tus) upload,
processed by the live server's job queue, moderated (transcript, description) and played
back from the gallery; an upload that loses its connection half-way and carries on."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.av_samples import m4a_aac, mp4_phone, truncated, wav_pcm
from tests.frontend.conftest import (
    BUDGET_BYTES,
    FRONTEND,
    HERE,
    asset_bytes,
    check_page,
    is_focused,
    sign_in,
    throttle_upload,
)

RECEIPT = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$")
VENDORED_TUS = FRONTEND / "assets" / "vendor" / "tus-js-client" / "tus.min.js"
PROCESSING_SECONDS = 90


def wait_for_status(base_url: str, code: str, wanted: str = "pending") -> dict[str, Any]:
    """Poll the receipt, as a contributor would, until the job queue has done its work."""
    deadline = time.monotonic() + PROCESSING_SECONDS
    info: dict[str, Any] = {}
    while time.monotonic() < deadline:
        info = httpx.get(f"{base_url}/api/receipts/{code}").json()
        if info.get("status") != "processing":
            break
        time.sleep(0.5)
    assert info.get("status") == wanted, info
    return info


def tus_calls(page: Any) -> list[str]:
    return [c.split("?")[0] for c in page.watch.api_calls if "/api/uploads" in c]


def choose_kind(page: Any, label: str) -> None:
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(rf"^{label}")).check()
    page.wait_for_function("() => typeof window.tus !== 'undefined'")


def send_form(page: Any) -> str:
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    page.locator("#receipt").wait_for(state="visible", timeout=30_000)
    code = page.locator("#receipt-code").inner_text()
    assert RECEIPT.match(code)
    return code


def test_the_vendored_tus_client_is_the_published_one_and_loads_only_for_sound_and_video(page):
    installed = HERE / "node_modules" / "tus-js-client" / "dist" / "tus.min.js"
    if not installed.is_file():
        pytest.fail(f"tus-js-client is missing: run `npm ci --prefix {HERE}`")
    assert VENDORED_TUS.read_bytes() == installed.read_bytes()
    assert (VENDORED_TUS.parent / "LICENSE").read_text().startswith("The MIT License")
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    assert not any("vendor" in a for a in page.watch.assets)  # writing needs none of it
    page.get_by_role("radio", name=re.compile(r"^Sound")).check()
    page.wait_for_function("() => typeof window.tus !== 'undefined' && window.tus.isSupported")
    assert "assets/vendor/tus-js-client/tus.min.js" in page.watch.assets
    assert page.watch.console_errors == []  # it runs under script-src 'self'
    # The budget counts the site's own JS and CSS; the vendored client is outside it, and only
    # someone sending sound or video downloads it.
    own = {a for a in page.watch.assets if not a.startswith("assets/vendor/")}
    page.watch.assets = own
    assert asset_bytes(page) <= BUDGET_BYTES, sorted(own)


def test_a_voice_note_is_recorded_listened_to_and_sent(page, live_server):
    choose_kind(page, "Sound")
    recorder = page.locator("#recorder")
    assert recorder.is_visible()
    record = page.get_by_role("button", name="Start recording")
    record.focus()
    page.keyboard.press("Enter")  # keyboard operable throughout
    stop = page.get_by_role("button", name="Stop recording")
    stop.wait_for()
    assert is_focused(stop)  # the same button: focus stays put
    status = page.locator("#rec-status")
    assert status.get_attribute("role") == "status"
    expect(status).to_contain_text("Recording. Press Stop recording")
    timer = page.locator("#rec-timer")
    assert timer.get_attribute("role") == "timer"
    expect(timer).to_have_text(re.compile(r"^0:0[2-9] of 15:00$"))
    check_page(page, "contribute-recording")
    page.keyboard.press("Enter")
    again = page.get_by_role("button", name="Record again")
    again.wait_for()
    assert is_focused(again)
    expect(status).to_have_text(re.compile(r"^Recorded 0:0[2-9]\. Listen back to it below"))
    listen = page.get_by_label("Listen back to your voice note")
    listen.wait_for()
    # The recording itself plays in the page, from a blob: URL (allowed by the CSP).
    page.wait_for_function("""() => {
        const a = document.querySelector('#file-list audio');
        return a && a.readyState >= 1;
    }""")
    assert page.locator("#file-list li").count() == 1
    expect(page.locator(".file-name")).to_have_text(re.compile(r"^Your voice note \(0:0[2-9], "))
    # Re-record: a shorter take replaces the first.
    again.click()
    page.get_by_role("button", name="Stop recording").wait_for()
    expect(timer).to_have_text(re.compile(r"^0:01 "))
    page.get_by_role("button", name="Stop recording").click()
    page.get_by_role("button", name="Record again").wait_for()
    expect(status).to_have_text(re.compile(r"^Recorded 0:0[12]\."))
    assert page.locator("#file-list li").count() == 1
    # No sign of the microphone left running.
    assert page.evaluate("() => document.querySelector('#rec-timer').hidden")
    check_page(page, "contribute-voice-note")

    title = f"Voice note {uuid.uuid4().hex[:6]}"
    page.get_by_label("What kind of piece is it?").select_option("note")
    page.get_by_label("Title (optional)").fill(title)
    page.get_by_label(re.compile(r"^Transcript or description")).fill("A beep, and then quiet.")
    code = send_form(page)
    processing = page.locator("#receipt-processing")
    assert processing.is_visible() and "We are processing your file" in processing.inner_text()
    calls = tus_calls(page)
    assert calls[0] == "POST /api/uploads/"
    assert any(c.startswith("PATCH /api/uploads/") for c in calls)
    check_page(page, "contribute-receipt-processing")

    # The status page says so too, then the queue makes it pending.
    page.goto("/status")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("Receipt code").press("Enter")
    page.locator("#result").wait_for(state="visible")
    text = page.locator("#result-body").inner_text()
    assert "processing your file" in text or "waiting for a moderator" in text
    wait_for_status(live_server.base_url, code)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#result-body")).to_contain_text("waiting for a moderator")


def test_a_short_video_is_recorded_in_the_page(page, live_server):
    choose_kind(page, "Video")
    assert page.locator("#recorder-title").inner_text() == "Or record a short video here"
    assert "camera and microphone" in page.locator("#recorder-hint").inner_text()
    page.get_by_role("button", name="Start recording").click()
    status = page.locator("#rec-status")
    expect(status).to_contain_text("Recording. Press Stop recording")
    preview = page.locator("#rec-preview")
    assert preview.is_visible()  # what the camera sees, muted
    assert preview.evaluate("v => v.muted && !v.controls")
    expect(page.locator("#rec-timer")).to_have_text(re.compile(r"^0:0[2-9] of 10:00$"))
    page.get_by_role("button", name="Stop recording").click()
    expect(status).to_have_text(re.compile(r"^Recorded 0:0[2-9]\. Watch it below"))
    assert preview.is_hidden()  # the camera is let go
    page.get_by_label("Watch your video again").wait_for()
    page.wait_for_function("() => document.querySelector('#file-list video').readyState >= 1")
    page.get_by_label("Title (optional)").fill(f"Camera test {uuid.uuid4().hex[:6]}")
    code = send_form(page)
    wait_for_status(live_server.base_url, code)


def test_lengths_are_kept_to_the_limit_when_picking_and_recording(page, context, tmp_path: Path):
    def short_limit(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        data["accepted"]["audio"]["max_seconds"] = 2
        route.fulfill(response=response, json=data)

    context.route("**/api/meta", short_limit)
    choose_kind(page, "Sound")
    assert "2 seconds long" in page.locator("#files-hint").inner_text()
    page.locator("#files").set_input_files(str(wav_pcm(tmp_path, seconds=3.0)))
    error = page.locator("#files-error")
    expect(error).to_contain_text("is 0:03 long, more than the 2 seconds limit")
    assert page.locator("#file-list li").count() == 0
    # A recording stops by itself at the limit, and says so.
    page.get_by_role("button", name="Start recording").click()
    expect(page.locator("#rec-timer")).to_contain_text("of 0:02")
    page.get_by_role("button", name="Record again").wait_for(timeout=10_000)
    expect(page.locator("#rec-status")).to_have_text(re.compile(
        r"^The recording reached the 2 seconds limit, so it stopped\. Recorded 0:0[12]\."))
    assert page.locator("#file-list li").count() == 1
    assert error.count() == 0  # a good recording clears the old complaint


def test_cancelling_a_resumable_upload_erases_it(page, context, live_server, tmp_path: Path):
    before = (live_server.count("upload"), live_server.count("contribution"))
    choose_kind(page, "Sound")
    page.locator("#files").set_input_files(str(wav_pcm(tmp_path, seconds=3.0)))
    page.locator("#file-list li").wait_for()
    page.locator("#consent").check()
    throttle_upload(context, page, 50_000)
    page.get_by_role("button", name="Send it to the moderators").click()
    page.wait_for_function("() => document.querySelector('#progress-0').value >= 10")
    page.get_by_role("button", name="Cancel sending").click()
    notice = page.locator("#form-notice")
    expect(notice).to_contain_text("cancelled and nothing was saved")
    assert is_focused(notice)
    assert page.locator("#file-list li").count() == 1  # still there to try again
    deadline = time.monotonic() + 10
    while live_server.count("upload") != before[0] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(c.startswith("DELETE /api/uploads/") for c in tus_calls(page))
    assert (live_server.count("upload"), live_server.count("contribution")) == before


def test_sound_and_video_files_go_through_moderation_to_the_gallery(page, context, live_server,
                                                                     tmp_path: Path):
    stamp = uuid.uuid4().hex[:6]
    song = f"Kitchen song {stamp}"
    film = f"Window film {stamp}"

    choose_kind(page, "Sound")
    page.get_by_label("What kind of piece is it?").select_option("song")
    page.get_by_label("Title (optional)").fill(song)
    page.locator("#files").set_input_files(str(m4a_aac(tmp_path)))
    item = page.locator("#file-list li")
    item.wait_for()
    assert re.search(r"^voice\.m4a \(0:01, \d+ kB\)", item.inner_text()), item.inner_text()
    song_code = send_form(page)

    choose_kind(page, "Video")
    page.get_by_label("What kind of piece is it?").select_option("film")
    page.get_by_label("Title (optional)").fill(film)
    page.locator("#files").set_input_files(str(mp4_phone(tmp_path)))
    page.locator("#file-list li video").wait_for()
    check_page(page, "contribute-video-chosen")
    film_code = send_form(page)

    wait_for_status(live_server.base_url, song_code)
    wait_for_status(live_server.base_url, film_code)

    # The moderator plays both, adds what is needed and approves.
    sign_in(page)
    queue = page.locator("#queue-list")
    queue.get_by_role("button", name=re.compile(song)).click()
    audio = page.locator("#detail audio")
    assert audio.get_attribute("aria-label") == f"Listen to “{song}”"
    page.wait_for_function("() => document.querySelector('#detail audio').readyState >= 1")
    assert "Approving needs a transcript" in page.locator("#described-rule").inner_text()
    page.locator("#approve").click()
    assert is_focused(page.get_by_label("Transcript (what is said or sung)"))
    assert "transcript" in page.locator("#detail-error").inner_text()
    page.get_by_label("Transcript (what is said or sung)").fill("La la la, the kettle sings.")
    check_page(page, "moderate-sound")
    page.locator("#approve").click()
    expect(page.locator("#dash-status")).to_contain_text(song)

    queue.get_by_role("button", name=re.compile(film)).click()
    video = page.locator("#detail video")
    assert video.get_attribute("poster")
    page.wait_for_function("() => document.querySelector('#detail video').readyState >= 1")
    page.get_by_label("Description of the video (what is shown)").fill(
        "Four coloured squares, then the same again.")
    check_page(page, "moderate-video")
    page.locator("#approve").click()  # a description is enough for a video
    expect(page.locator("#dash-status")).to_contain_text(film)

    # A visitor: players that load nothing until asked, the length, the transcript one click away.
    page.goto(f"/gallery?q={stamp}")
    page.wait_for_load_state("networkidle")
    song_card = page.locator("article.card", has_text=song)
    film_card = page.locator("article.card", has_text=film)
    card_audio = song_card.locator("audio")
    assert card_audio.get_attribute("preload") == "none"
    assert card_audio.get_attribute("aria-label") == f"Listen to “{song}”"
    assert card_audio.get_attribute("autoplay") is None
    assert song_card.locator("img.waveform").get_attribute("alt") == ""
    assert song_card.locator(".media-duration time").inner_text() == "0:01"
    assert song_card.locator(".media-duration time").get_attribute("datetime") == "PT1S"
    card_video = film_card.locator("video")
    assert card_video.get_attribute("preload") == "none"
    assert card_video.get_attribute("poster")
    assert film_card.locator(".media-duration time").inner_text() == "0:01"
    transcript = song_card.locator("details.transcript")
    assert transcript.get_attribute("open") is None
    summary = transcript.locator("summary")
    assert summary.inner_text().startswith("Transcript")
    summary.focus()
    page.keyboard.press("Enter")
    assert "the kettle sings" in transcript.inner_text()
    assert "Description" in film_card.locator("details.transcript summary").inner_text()
    check_page(page, "gallery-sound-and-video")
    assert page.evaluate("() => [...document.querySelectorAll('audio, video')]"
                         ".every(m => m.paused)")  # nothing autoplays
    # Played from the keyboard: the native controls take Space.
    card_video.focus()
    page.keyboard.press("Space")
    page.wait_for_function("""() => [...document.querySelectorAll('video')]
        .some(v => v.readyState >= 1 && v.duration > 0.5)""")
    card_audio.evaluate("a => a.play()")
    page.wait_for_function("""() => [...document.querySelectorAll('audio')]
        .some(a => a.readyState >= 1 && a.duration > 0.5)""")

    # The contribution page: the player and the whole transcript.
    song_card.get_by_role("link", name=song).click()
    page.locator("#piece audio").wait_for()
    assert page.locator("#transcript-h").inner_text() == "Transcript"
    assert "the kettle sings" in page.locator(".transcript-text").inner_text()
    check_page(page, "contribution-sound")
    page.evaluate("() => document.querySelector('#piece audio').play()")
    page.wait_for_function("() => document.querySelector('#piece audio').readyState >= 1")
    page.go_back()
    film_card.get_by_role("link", name=film).click()
    piece_video = page.locator("#piece video")
    piece_video.wait_for()
    assert piece_video.get_attribute("aria-label") == f"Watch “{film}”"
    assert page.locator("#transcript-h").inner_text() == "Description"
    assert "Four coloured squares" in page.locator("section.transcript").inner_text()
    check_page(page, "contribution-video")


def test_a_file_that_cannot_be_processed_is_explained_to_both_sides(page, live_server,
                                                                   tmp_path: Path):
    # Its header is whole, so it is taken; half its pictures are missing, found only while
    # decoding in the job queue.
    broken = truncated(mp4_phone(tmp_path, faststart=True), 0.5)
    title = f"Cut-off film {uuid.uuid4().hex[:6]}"
    choose_kind(page, "Video")
    page.get_by_label("Title (optional)").fill(title)
    page.locator("#files").set_input_files(str(broken))
    page.locator("#file-list li").wait_for()
    code = send_form(page)
    info = wait_for_status(live_server.base_url, code, "failed")

    page.goto("/status")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("Receipt code").press("Enter")
    page.locator("#result").wait_for(state="visible")
    result = page.locator("#result-body").inner_text()
    assert "We could not use the file you sent" in result
    assert info["public_reason"] in result
    assert "The moderator said" not in result  # the site's own words, not a moderator's
    assert page.get_by_role("link", name="Try again with another file").is_visible()
    check_page(page, "status-failed")

    sign_in(page)
    page.get_by_label("Showing").select_option("failed")
    page.get_by_role("button", name="Show", exact=True).click()
    page.locator("#queue-list").get_by_role("button", name=re.compile(title)).click()
    notice = page.locator("#failure-notice")
    assert "Processing failed." in notice.inner_text()
    reason = notice.inner_text().split("Processing failed.", 1)[1].strip()
    assert reason and not reason.startswith("No reason was recorded")  # for moderators only
    assert page.locator("#approve").count() == 0  # nothing to decide
    check_page(page, "moderate-failed")


def test_an_upload_carries_on_after_the_connection_drops(page, context, live_server,
                                                         tmp_path: Path):
    wav = wav_pcm(tmp_path, seconds=30.0)  # about 5.3 MB: two tus chunks of at most 5 MB
    size = wav.stat().st_size
    assert 5_000_000 < size < 6_000_000
    offsets: list[int] = []
    dropped: list[int] = []

    def on_upload(route: Any) -> None:
        request = route.request
        if request.method == "PATCH":
            offset = int(request.headers.get("upload-offset", "-1"))
            offsets.append(offset)
            if offset > 0 and not dropped:
                # The phone loses its signal just as the second chunk starts.
                dropped.append(offset)
                context.set_offline(True)
                route.abort("internetdisconnected")
                return
        route.continue_()

    page.route("**/api/uploads/**", on_upload)
    choose_kind(page, "Sound")
    page.get_by_label("Title (optional)").fill(f"Dropped line {uuid.uuid4().hex[:6]}")
    page.locator("#files").set_input_files(str(wav))
    page.locator("#file-list li").wait_for()
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    status = page.locator("#sending-status")
    expect(status).to_contain_text("You seem to be offline", timeout=20_000)
    expect(status).to_contain_text("we will carry on from there")
    retry = page.get_by_role("button", name="Try again now")
    assert retry.is_visible()
    stalled_at = page.locator("#progress-0").evaluate("el => el.value")
    assert 90 <= stalled_at < 100  # the first 5 MB arrived
    check_page(page, "contribute-upload-offline",
                ignore_console=("ERR_INTERNET_DISCONNECTED", "Failed to load resource"))
    # Back online: it carries on by itself from what the server already has.
    context.set_offline(False)
    page.locator("#receipt").wait_for(state="visible", timeout=30_000)
    assert offsets == [0, 5_000_000, 5_000_000], offsets  # never the first 5 MB again
    assert dropped == [5_000_000]
    assert len([c for c in tus_calls(page) if c.startswith("POST")]) == 1  # one upload throughout
