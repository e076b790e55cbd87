"""probe and process on real audio and video made by PyAV (tests/av_samples.py): what they
recognise and refuse, the limits, and that nothing of who or where survives in the outputs."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import pytest
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.sidedata.sidedata import SideData
from av.sidedata.sidedata import Type as SideDataType
from av.video.stream import VideoStream

from scrapbook.core.config import Settings
from scrapbook.core.errors import InvalidInput, ScrapbookError, TooLarge, UnsupportedMedia
from scrapbook.media.av import (
    AUDIO_TYPE,
    OPUS_TYPE,
    VIDEO_TYPE,
    MediaFailed,
    ProcessedAV,
    probe,
    process,
)
from scrapbook.vocabulary import Kind
from tests import av_samples as samples

Sample = Callable[[Path], Path]

# Tags an output may still show, all written by the format itself, none from the upload:
# MP4's file-type box (brand names) and the "undetermined" language code every MP4 track
# header must hold; WebM's WritingApp (a required element, "Lavf" with no version under
# bitexact) and each track's DURATION tag (the length, which we publish anyway).
ALLOWED_CONTAINER_TAGS = {
    "mp4": {"major_brand", "minor_version", "compatible_brands"},
    "webm": {"encoder"},
}
ALLOWED_STREAM_TAGS = {"mp4": {"language"}, "webm": {"DURATION"}}
# Version strings of FFmpeg's muxers (Lavf), its encoders (Lavc: the AAC encoder writes its
# own into the first frame) and x264 (written into SEI units): every sample, made by FFmpeg,
# has some of them, as a phone's files have its own encoder's. None may reach ANY output,
# remuxed ones included.
ENCODER_STRINGS = (b"Lavf", b"Lavc", b"x264")
HANDLER_STRINGS = (b"VideoHandler", b"SoundHandler")
# WebM's MuxingApp and WritingApp are required; under bitexact both say just "Lavf".
WEBM_APPS = (b"\x4d\x80\x84Lavf", b"\x57\x41\x84Lavf")


@pytest.fixture
def settings() -> Settings:
    return Settings(environment="test")


def limits(**overrides: float) -> Settings:
    return Settings(environment="test", **overrides)  # type: ignore[arg-type]


def container_kind(path: Path) -> str:
    return "webm" if path.suffix == ".webm" else "mp4"


def assert_clean(path: Path, source: Path, *, tagged: bool = True) -> None:
    """No tag beyond the format's own, no secret or encoder string anywhere in the bytes, and
    for MP4 the index (moov) before the media data (faststart) and no metadata items."""
    data = path.read_bytes()
    found = source.read_bytes()
    if tagged:
        assert any(secret in found for secret in samples.SECRETS)  # the test can fail
    assert any(name in found for name in ENCODER_STRINGS)  # this one too
    for secret in samples.SECRETS:
        assert secret not in data, secret
    kind = container_kind(path)
    if kind == "webm":
        assert all(data.count(app) == 1 for app in WEBM_APPS)
        for app in WEBM_APPS:
            data = data.replace(app, b"")
    for name in ENCODER_STRINGS + HANDLER_STRINGS:
        assert name not in data, name
    with av.open(str(path)) as container:
        assert set(container.metadata) <= ALLOWED_CONTAINER_TAGS[kind], container.metadata
        for stream in container.streams:
            assert set(stream.metadata) <= ALLOWED_STREAM_TAGS[kind], stream.metadata
            assert stream.metadata.get("language", "und") == "und"
        if kind == "webm":
            assert container.metadata.get("encoder", "Lavf") == "Lavf"
        assert container.chapters() == []
    if kind == "mp4":
        assert 0 < data.find(b"moov") < data.find(b"mdat")
        # The muxer always writes an iTunes item list; it must be empty (an 8-byte box).
        at = data.find(b"ilst")
        assert at == -1 or data[at - 4 : at] == b"\0\0\0\x08"


def assert_poster(result: ProcessedAV) -> None:
    names = {d.name for d in result.poster.derivatives}
    assert names == {"display", "thumb"}
    assert all(d.content_type == "image/webp" and d.data for d in result.poster.derivatives)
    assert len(result.poster.blurhash) >= 6


def streams_of(path: Path) -> list[tuple[str, str | None]]:
    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name if s.codec_context else None)
                for s in container.streams]


def first_frame(path: Path) -> av.VideoFrame:
    with av.open(str(path)) as container:
        return next(container.decode(video=0))


def pictures(path: Path) -> list[list[bytes]]:
    """Every decoded picture's planes, in order."""
    with av.open(str(path)) as container:
        return [[bytes(p) for p in frame.planes] for frame in container.decode(video=0)]


def packets_of(path: Path, kind: str) -> bytes:
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.type == kind)
        return b"".join(bytes(packet) for packet in container.demux(stream))


def sound_of(path: Path) -> tuple[float, float]:
    """When the decoded sound starts and ends, in seconds."""
    with av.open(str(path)) as container:
        frames = [(f.time, f.samples / f.sample_rate) for f in container.decode(audio=0)]
    return frames[0][0], frames[-1][0] + frames[-1][1]


def loud_spans(path: Path) -> list[tuple[float, float]]:
    """Where the decoded sound is louder than near silence, to the nearest 10 ms, placed by
    each frame's timestamp (so a gap in the timestamps is heard as a gap)."""
    loud: set[int] = set()
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            rate, begin = frame.sample_rate, frame.time or 0.0
            (mono,) = AudioResampler("s16", "mono", rate).resample(frame)
            values = array("h")
            values.frombytes(bytes(mono.planes[0])[: mono.samples * 2])
            step = rate // 100
            for i in range(0, len(values), step):
                if max(map(abs, values[i : i + step])) > 1000:
                    loud.add(round((begin + i / rate) * 100))
    spans: list[tuple[float, float]] = []
    for tick in sorted(loud):
        if spans and tick - 1 in loud:
            spans[-1] = (spans[-1][0], (tick + 1) / 100)
        else:
            spans.append((tick / 100, (tick + 1) / 100))
    return spans


def timestamp_gaps(path: Path) -> list[float]:
    """Where one decoded sound frame ends well before the next begins."""
    with av.open(str(path)) as container:
        frames = [(f.time or 0.0, f.samples / f.sample_rate) for f in container.decode(audio=0)]
    return [t + d for (t, d), (nxt, _) in zip(frames, frames[1:], strict=False)
            if nxt - (t + d) > 0.005]


def refused(path: Path, settings: Settings, kind: Kind) -> ScrapbookError:
    with pytest.raises(ScrapbookError) as caught:
        probe(path, settings, kind)
    return caught.value


# Recognising --------------------------------------------------------------------------------

AUDIO = [
    (samples.mp3_tagged, "mp3", "mp3"),
    (samples.m4a_aac, "m4a", "aac"),
    (samples.wav_pcm, "wav", "pcm_s16le"),
    (samples.flac_tagged, "flac", "flac"),
    (samples.ogg_vorbis, "ogg", "vorbis"),
    (samples.ogg_opus, "ogg", "opus"),
    (samples.webm_opus_recording, "webm", "opus"),
]


@pytest.mark.parametrize(("make", "container", "codec"), AUDIO)
def test_probe_recognises_audio(
    make: Sample, container: str, codec: str, tmp_path: Path, settings: Settings
) -> None:
    found = probe(make(tmp_path), settings, Kind.audio)
    assert (found.kind, found.container, found.audio_codec) == (Kind.audio, container, codec)
    assert found.video_codec is found.width is found.height is found.fps is None
    assert found.duration == pytest.approx(1.0, abs=0.05)


VIDEO = [
    (samples.mp4_phone, "mp4", "h264", "aac"),
    (samples.mov_hevc, "mov", "hevc", "aac"),
    (samples.webm_vp8_recording, "webm", "vp8", "opus"),
    (samples.webm_vp9, "webm", "vp9", "opus"),
    (samples.webm_av1, "webm", "av1", "opus"),
    (samples.mp4_vp9_opus, "mp4", "vp9", "opus"),
    (samples.gp3, "3gp", "h264", "aac"),
]


@pytest.mark.parametrize(("make", "container", "video_codec", "audio_codec"), VIDEO)
def test_probe_recognises_video(
    make: Sample, container: str, video_codec: str, audio_codec: str, tmp_path: Path,
    settings: Settings,
) -> None:
    found = probe(make(tmp_path), settings, Kind.video)
    assert (found.kind, found.container) == (Kind.video, container)
    assert (found.video_codec, found.audio_codec) == (video_codec, audio_codec)
    assert (found.width, found.height, found.fps, found.rotation) == (160, 120, 25.0, 0)
    assert found.pix_fmt == "yuv420p"
    assert found.duration == pytest.approx(1.0, abs=0.05)


def test_recorded_webm_duration_is_measured(tmp_path: Path, settings: Settings) -> None:
    path = samples.webm_vp8_recording(tmp_path, seconds=2.0)
    with av.open(str(path)) as container:
        assert container.duration is None  # what MediaRecorder writes: no length at all
    assert probe(path, settings, Kind.video).duration == pytest.approx(2.0, abs=0.05)


def test_probe_reads_the_display_matrix(tmp_path: Path, settings: Settings) -> None:
    found = probe(samples.mp4_rotated(tmp_path), settings, Kind.video)
    assert (found.width, found.height, found.rotation) == (160, 120, 90)


# Refusing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "kind", "code"),
    [
        (samples.zip_named_mp4, Kind.video, "unsupported_type"),
        (samples.png_image, Kind.video, "unsupported_type"),
        (samples.text_file, Kind.audio, "unsupported_type"),  # an HLS playlist named .mp3
        (samples.mp4_data_only, Kind.video, "no_usable_stream"),
        (samples.mp4_data_only, Kind.audio, "no_usable_stream"),
    ],
)
def test_not_media_is_415(
    make: Sample, kind: Kind, code: str, tmp_path: Path, settings: Settings
) -> None:
    error = refused(make(tmp_path), settings, kind)
    assert isinstance(error, UnsupportedMedia) and error.status_code == 415
    assert error.code == code


def test_video_sent_as_sound_and_sound_as_video_are_415(tmp_path: Path, settings: Settings) -> None:
    error = refused(samples.mp4_phone(tmp_path), settings, Kind.audio)
    assert isinstance(error, UnsupportedMedia) and "choose Video" in error.detail
    error = refused(samples.wav_pcm(tmp_path), settings, Kind.video)
    assert isinstance(error, UnsupportedMedia) and "choose Sound" in error.detail


def test_cover_art_is_not_pictures(tmp_path: Path, settings: Settings) -> None:
    assert probe(samples.mp3_tagged(tmp_path), settings, Kind.audio).kind is Kind.audio
    error = refused(samples.mp3_tagged(tmp_path), settings, Kind.video)
    assert "choose Sound" in error.detail


@pytest.mark.parametrize(
    ("make", "kind", "words"),
    [
        (samples.wav_500_channels, Kind.audio, "at most 8 sound channels; this one declares 500"),
        (samples.wav_20_hours, Kind.audio, "at most 15 minutes long; this one declares 20 hours"),
        (samples.webm_zero_frames, Kind.video, "cannot be read"),
        (lambda tmp: samples.truncated(samples.mp4_phone(tmp)), Kind.video, "incomplete"),
        (lambda tmp: samples.truncated(samples.wav_pcm(tmp)), Kind.audio, "incomplete"),
    ],
    ids=["500-channels", "20-hour-header", "zero-frames", "truncated-mp4", "truncated-wav"],
)
def test_bad_files_are_422_from_probe(
    make: Sample, kind: Kind, words: str, tmp_path: Path, settings: Settings
) -> None:
    error = refused(make(tmp_path), settings, kind)
    assert isinstance(error, InvalidInput) and error.status_code == 422
    assert words in error.detail


def test_empty_file_is_422(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    assert refused(path, settings, Kind.video).code == "empty_file"


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (samples.mp3_tagged, Kind.audio),
        (samples.flac_tagged, Kind.audio),
        (samples.m4a_aac, Kind.audio),
        (samples.ogg_opus, Kind.audio),
        (lambda tmp: samples.mp4_phone(tmp, faststart=True), Kind.video),
        (samples.mov_hevc, Kind.video),
        (samples.webm_vp9, Kind.video),
    ],
    ids=["mp3", "flac", "m4a", "ogg", "mp4-faststart", "mov", "webm"],
)
def test_truncated_files_are_refused_or_fail(
    make: Sample, kind: Kind, tmp_path: Path, settings: Settings
) -> None:
    """Cut in half: a clean 4xx before anything is stored, or MediaFailed while decoding."""
    path = samples.truncated(make(tmp_path))
    try:
        probe(path, settings, kind)
    except (InvalidInput, UnsupportedMedia) as exc:
        assert exc.status_code in (415, 422)
        return
    with pytest.raises(MediaFailed) as caught:
        process(path, tmp_path / "out", settings, kind)
    assert caught.value.reason.endswith(".")
    assert not list((tmp_path / "out").iterdir())  # nothing half-made is left


# Limits -------------------------------------------------------------------------------------


def test_bytes_over_the_limit_are_413(tmp_path: Path) -> None:
    error = refused(samples.wav_pcm(tmp_path), limits(audio_bytes_max=100_000), Kind.audio)
    assert isinstance(error, TooLarge) and error.status_code == 413
    assert error.detail == "Sound files may be at most 100 kB; this one is 177 kB."
    error = refused(samples.mp4_phone(tmp_path), limits(video_bytes_max=10_000), Kind.video)
    assert isinstance(error, TooLarge) and "Videos may be at most 10 kB" in error.detail


def test_duration_over_the_limit_is_422(tmp_path: Path) -> None:
    error = refused(samples.flac_tagged(tmp_path), limits(audio_seconds_max=0.5), Kind.audio)
    assert isinstance(error, InvalidInput) and error.code == "too_long"
    assert error.detail == "Sound files may be at most 0.5 seconds long; this one is 1 second."
    error = refused(samples.mp4_phone(tmp_path), limits(video_seconds_max=0.5), Kind.video)
    assert "Videos may be at most 0.5 seconds long" in error.detail


def test_measured_duration_over_the_limit_is_422(tmp_path: Path) -> None:
    path = samples.webm_opus_recording(tmp_path, seconds=2.0)
    error = refused(path, limits(audio_seconds_max=1), Kind.audio)
    assert "at most 1 second long" in error.detail


def test_frame_size_over_the_limit_is_422_either_way_up(tmp_path: Path) -> None:
    small = limits(video_long_edge_max=120, video_short_edge_max=90)
    error = refused(samples.mp4_phone(tmp_path), small, Kind.video)
    assert isinstance(error, InvalidInput) and error.code == "too_many_pixels"
    assert error.detail == (
        "Videos may be at most 120×90 pixels (either way up); this one is 160×120."
    )
    fits = limits(video_long_edge_max=160, video_short_edge_max=120)
    assert probe(samples.portrait_pixels(tmp_path), fits, Kind.video).height == 160
    assert probe(samples.mp4_phone(tmp_path), fits, Kind.video).width == 160


def test_frame_rate_over_the_limit_is_422(tmp_path: Path) -> None:
    error = refused(samples.mp4_phone(tmp_path), limits(video_fps_max=24), Kind.video)
    assert error.detail == "Videos may have at most 24 frames per second; this one has 25."


@pytest.mark.parametrize("video", [True, False], ids=["video", "audio"])
def test_a_header_that_lies_about_length_fails_while_decoding(
    video: bool, tmp_path: Path
) -> None:
    """The header says half a second, so probe lets it through; decoding stops past the
    limit instead of running on through whatever the file really holds."""
    path = samples.lying_webm(tmp_path, video=video, seconds=3.0, declared=0.5)
    settings = limits(video_seconds_max=1, audio_seconds_max=1)
    kind = Kind.video if video else Kind.audio
    assert probe(path, settings, kind).duration == pytest.approx(0.5)
    with pytest.raises(MediaFailed) as caught:
        process(path, tmp_path / "out", settings, kind)
    assert "at most 1 second long" in caught.value.reason
    assert not list((tmp_path / "out").iterdir())  # nothing half-made is left


# Audio output -------------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "container", "codec"), AUDIO)
def test_audio_becomes_clean_aac_and_smaller_opus(
    make: Sample, container: str, codec: str, tmp_path: Path, settings: Settings
) -> None:
    source = make(tmp_path)
    result = process(source, tmp_path / "out", settings, Kind.audio)
    assert result.kind is Kind.audio and result.width is result.height is None
    assert result.duration == pytest.approx(1.0, abs=0.05)
    assert not result.remuxed
    files = {f.name: f for f in result.files}
    assert files["audio"].content_type == AUDIO_TYPE and files["audio"].path.suffix == ".m4a"
    assert streams_of(files["audio"].path) == [("audio", "aac")]  # no cover art, no data
    with av.open(str(files["audio"].path)) as out:
        stream = out.streams.audio[0]
        assert stream.codec_context.channels <= 2
        assert stream.codec_context.sample_rate in (44_100, 48_000)
    if "opus" in files:  # kept only when smaller (a pure tone can cost Opus's VBR more)
        assert files["opus"].content_type == OPUS_TYPE
        assert files["opus"].path.stat().st_size < files["audio"].path.stat().st_size
        assert streams_of(files["opus"].path) == [("audio", "opus")]
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == sorted(
        f.path.name for f in result.files
    )
    tagged = source.read_bytes().count(b"secret-title") > 0
    for f in result.files:
        assert f.path.parent == tmp_path / "out"
        assert_clean(f.path, source, tagged=tagged)
    assert_poster(result)
    assert result.poster.width > result.poster.height  # a waveform: wide


def test_voice_note_gets_a_smaller_opus_copy(tmp_path: Path, settings: Settings) -> None:
    path = samples.webm_opus_recording(tmp_path, seconds=2.0)
    result = process(path, tmp_path / "out", settings, Kind.audio)
    assert [f.name for f in result.files] == ["audio", "opus"]
    assert result.duration == pytest.approx(2.0, abs=0.05)


def test_surround_is_downmixed_to_stereo(tmp_path: Path, settings: Settings) -> None:
    result = process(samples.surround_flac(tmp_path), tmp_path / "out", settings, Kind.audio)
    with av.open(str(result.files[0].path)) as out:
        assert out.streams.audio[0].codec_context.channels == 2


# Video output -------------------------------------------------------------------------------


def test_plain_h264_aac_is_remuxed_untouched(tmp_path: Path, settings: Settings) -> None:
    source = samples.mp4_phone(tmp_path, data_track=True)
    assert b"x264 - core" in source.read_bytes()  # the encoder's SEI, stripped below
    assert b"Lavc" in packets_of(source, "audio")  # the AAC encoder's, re-encoded below
    assert b"Lavf" in source.read_bytes()  # the muxer's
    with av.open(str(source)) as phone:  # what a phone writes is there to be removed
        assert set(samples.PHONE_TAGS) <= set(phone.metadata)
        assert all(phone.streams[i].metadata["handler_name"] == "SpyPhone handler" for i in (0, 1))
        assert "creation_time" in phone.streams.video[0].metadata
    result = process(source, tmp_path / "out", settings, Kind.video)
    assert result.remuxed
    (video,) = result.files
    assert (video.name, video.content_type) == ("video", VIDEO_TYPE)
    assert streams_of(video.path) == [("video", "h264"), ("audio", "aac")]  # no data track
    assert (result.width, result.height) == (160, 120)
    assert result.duration == pytest.approx(1.0, abs=0.05)
    # Video packets copied, not re-encoded: every decoded picture is bit for bit the same.
    before, after = pictures(source), pictures(video.path)
    assert len(before) == len(after) == 25
    assert before == after
    # The sound was encoded again (its packets differ), as long as it was and in step.
    assert packets_of(video.path, "audio") != packets_of(source, "audio")
    assert sound_of(video.path) == pytest.approx(sound_of(source), abs=0.03)
    with av.open(str(video.path)) as out:
        stream = out.streams.audio[0]
        assert (stream.codec_context.sample_rate, stream.codec_context.channels) == (48_000, 2)
    assert_clean(video.path, source)
    assert_poster(result)


def mp4_sound_in_spans(tmp: Path, spans: list[tuple[float, float]], *, pix_fmt: str) -> Path:
    """Two seconds of H.264 pictures with AAC sound only within `spans` (seconds): sound
    that starts late, or stops and starts again, as a phone that dropped its microphone."""
    path = tmp / "spans.mp4"
    rate, step = 48_000, 1024
    with av.open(str(path), "w", format="mp4") as out:
        video = cast(VideoStream, out.add_stream("libx264", rate=samples.FPS))
        video.width, video.height, video.pix_fmt = samples.WIDTH, samples.HEIGHT, pix_fmt
        audio = cast(AudioStream, out.add_stream("aac", rate=rate, layout="stereo"))
        for index in range(2 * samples.FPS):
            frame = av.VideoFrame.from_image(samples.pattern(index)).reformat(format=pix_fmt)
            frame.pts, frame.time_base = index, Fraction(1, samples.FPS)
            out.mux(video.encode(frame))
        for begin, end in spans:
            for at in range(int(begin * rate), int(end * rate), step):
                out.mux(audio.encode(samples.tone(rate, at, step)))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path


@pytest.mark.parametrize("spans", [[(1.0, 2.0)], [(0.0, 0.4), (0.7, 2.0)]],
                         ids=["starts-late", "gap"])
@pytest.mark.parametrize(("pix_fmt", "remuxed"), [("yuv420p", True), ("yuv444p", False)],
                         ids=["remuxed", "transcoded"])
def test_sound_stays_in_step_with_the_pictures(
    spans: list[tuple[float, float]], pix_fmt: str, remuxed: bool, tmp_path: Path,
    settings: Settings,
) -> None:
    """The sound comes and goes at the same moments of the clip as in the source."""
    source = mp4_sound_in_spans(tmp_path, spans, pix_fmt=pix_fmt)
    result = process(source, tmp_path / "out", settings, Kind.video)
    assert result.remuxed is remuxed
    assert result.duration == pytest.approx(2.0, abs=0.05)
    assert len(loud_spans(source)) == len(spans)  # what the source holds, as made
    heard = loud_spans(result.files[0].path)
    assert len(heard) == len(spans), heard
    for (begin, end), (want_begin, want_end) in zip(heard, spans, strict=True):
        assert begin == pytest.approx(want_begin, abs=0.03)
        assert end == pytest.approx(want_end, abs=0.05)
    if len(spans) > 1:  # a gap in the source's timestamps is real silence in the output
        assert timestamp_gaps(source)
        assert not timestamp_gaps(result.files[0].path)


OTHER_VIDEO = [
    (samples.mov_hevc, False),
    (samples.webm_vp8_recording, False),
    (samples.webm_vp9, False),
    (samples.webm_av1, False),
    (samples.mp4_vp9_opus, False),  # Chrome's MediaRecorder in MP4 mode
    (samples.mp4_yuv444, False),  # H.264, but 4:4:4, which browsers do not all play
    (samples.gp3, True),  # H.264 + AAC in 3GP is copied too
    (samples.mp4_recording, True),  # Safari's fragmented MP4: copied into a plain one
]


@pytest.mark.parametrize(("make", "remuxed"), OTHER_VIDEO)
def test_every_video_comes_out_as_clean_h264_aac_mp4(
    make: Sample, remuxed: bool, tmp_path: Path, settings: Settings
) -> None:
    source = make(tmp_path)
    result = process(source, tmp_path / "out", settings, Kind.video)
    assert result.remuxed is remuxed
    (video,) = result.files
    assert streams_of(video.path) == [("video", "h264"), ("audio", "aac")]
    with av.open(str(video.path)) as out:
        assert out.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert (result.width, result.height) == (160, 120)
    assert result.duration == pytest.approx(1.0, abs=0.1)
    tagged = b"secret-title" in source.read_bytes()
    assert_clean(video.path, source, tagged=tagged)
    assert_poster(result)


def test_portrait_phone_clip_is_turned_upright(tmp_path: Path, settings: Settings) -> None:
    source = samples.mp4_rotated(tmp_path)
    assert first_frame(source).rotation == -90  # as an iPhone held upright writes it
    result = process(source, tmp_path / "out", settings, Kind.video)
    assert not result.remuxed
    assert (result.width, result.height) == (120, 160)
    frame = first_frame(result.files[0].path)
    sides = cast("Iterable[SideData]", frame.side_data)  # PyAV's stub types it as one item
    assert frame.rotation == 0
    assert SideDataType.DISPLAYMATRIX not in {sd.type for sd in sides}
    assert result.poster.height > result.poster.width
    assert_clean(result.files[0].path, source)


RED, BLUE = (255, 0, 0), (0, 0, 255)


@pytest.mark.parametrize(
    ("rotation", "turn", "size", "top_left", "top_right"),
    [
        (-90, 90, (120, 160), BLUE, RED),  # a quarter clockwise: red top left -> top right
        (90, 270, (120, 160), (0, 200, 0), (255, 255, 255)),  # anticlockwise: red -> bottom
        (180, 180, (160, 120), (255, 255, 255), (0, 0, 255)),  # upside down
    ],
)
def test_every_display_matrix_turn_is_applied_to_the_pixels(
    rotation: int, turn: int, size: tuple[int, int], top_left: tuple[int, int, int],
    top_right: tuple[int, int, int], tmp_path: Path, settings: Settings,
) -> None:
    source = samples.mp4_rotated(tmp_path, rotation)
    assert probe(source, settings, Kind.video).rotation == turn
    result = process(source, tmp_path / "out", settings, Kind.video)
    image = first_frame(result.files[0].path).to_image()
    assert image.size == size == (result.width, result.height)
    corners = image.getpixel((12, 12)), image.getpixel((image.width - 12, 12))
    for got, want in zip(corners, (top_left, top_right), strict=True):
        assert isinstance(got, tuple)
        assert all(abs(g - w) < 50 for g, w in zip(got, want, strict=False)), (got, want)


def test_sound_that_starts_late_stays_in_step(tmp_path: Path, settings: Settings) -> None:
    result = process(samples.webm_late_sound(tmp_path), tmp_path / "out", settings, Kind.video)
    assert result.duration == pytest.approx(2.0, abs=0.05)
    with av.open(str(result.files[0].path)) as out:
        first_sound = next(out.decode(audio=0)).time
    assert first_sound == pytest.approx(1.0, abs=0.05)


def test_transcodes_are_at_most_the_output_edge(tmp_path: Path) -> None:
    result = process(samples.mov_hevc(tmp_path), tmp_path / "out",
                     limits(video_output_edge=60), Kind.video)
    assert (result.width, result.height) == (80, 60)
