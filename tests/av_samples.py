"""Test audio and video built with PyAV in a temporary directory: nothing binary is committed.

Small on purpose (about a second, 160x120 pictures, tones), so the whole media test file stays
fast. Files carry the kinds of metadata phones and taggers write (title, artist, comment,
creation time, make, model, location, cover art), with the strings in ``SECRETS``, so tests
can prove that none of it survives processing.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zipfile
from array import array
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.audio.stream import AudioStream
from av.video.stream import VideoStream
from PIL import Image, ImageDraw, PngImagePlugin

# Text that must never reach an output file: tests first assert it IS in the input bytes.
SECRETS = (
    b"secret-title",
    b"Secret Artist",
    b"secret-comment",
    b"SpyPhone",
    b"Tracker 9000",
    b"+50.1234-005.1234",
    b"secret-cover",
)
CREATION_TIME = "2019-05-06T07:08:09.000000Z"

# The tags a phone or tagger writes. The MP4/MOV muxer needs `use_metadata_tags` to keep keys
# it does not know (make, model, the QuickTime location key) as mdta items.
TAGS = {
    "title": "secret-title",
    "artist": "Secret Artist",
    "comment": "secret-comment",
}
PHONE_TAGS = {
    **TAGS,
    "creation_time": CREATION_TIME,
    "make": "SpyPhone",
    "model": "Tracker 9000",
    "location": "+50.1234-005.1234/",
    "com.apple.quicktime.location.ISO6709": "+50.1234-005.1234+012.000/",
    "com.apple.quicktime.make": "SpyPhone",
    "com.apple.quicktime.model": "Tracker 9000",
}
STREAM_TAGS = {"handler_name": "SpyPhone handler", "creation_time": CREATION_TIME}

WIDTH, HEIGHT = 160, 120
FPS = 25
QUADRANTS = ((255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 255, 255))  # TL, TR, BL, BR


def pattern(index: int, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """Four coloured quadrants (red top left) and a bar that moves, so frames differ."""
    im = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(im)
    w, h = width // 2, height // 2
    for (x, y), colour in zip(((0, 0), (w, 0), (0, h), (w, h)), QUADRANTS, strict=True):
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=colour)
    x = (index * 6) % width
    draw.rectangle((x, h - 4, x + 5, h + 3), fill=(0, 0, 0))
    return im


def tone(sample_rate: int, start: int, samples: int, layout: str = "stereo") -> av.AudioFrame:
    """A 440 Hz sine, s16 interleaved, starting at sample `start`."""
    channels = av.AudioLayout(layout).nb_channels
    values = array("h")
    for i in range(start, start + samples):
        value = int(8000 * math.sin(2 * math.pi * 440 * i / sample_rate))
        values.extend([value] * channels)
    frame = av.AudioFrame(format="s16", layout=layout, samples=samples)
    frame.planes[0].update(values.tobytes())
    frame.sample_rate = sample_rate
    frame.pts = start
    frame.time_base = Fraction(1, sample_rate)
    return frame


def _cover_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-cover")
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _add_cover(out: av.container.OutputContainer) -> None:
    """Cover art: a PNG as an attached picture (what taggers put in ID3 APIC / FLAC PICTURE)."""
    pic = out.add_stream("png")
    pic.width, pic.height, pic.pix_fmt = 32, 32, "rgb24"
    pic.disposition = av.stream.Disposition.attached_pic
    packet = av.Packet(_cover_png())
    packet.stream = pic
    packet.pts = packet.dts = 0
    packet.time_base = Fraction(1, 90000)
    packet.is_keyframe = True
    out.mux(packet)


def _audio_chunks(sample_rate: int, seconds: float, chunk: int = 1024) -> Iterator[tuple[int, int]]:
    total = int(sample_rate * seconds)
    for start in range(0, total, chunk):
        yield start, min(chunk, total - start)


def write_audio(
    path: Path,
    *,
    format: str,
    codec: str,
    rate: int = 44100,
    layout: str = "stereo",
    seconds: float = 1.0,
    tags: dict[str, str] | None = None,
    cover: bool = False,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    with av.open(str(path), "w", format=format, container_options=container_options or {}) as out:
        out.metadata.update(tags or {})
        stream = cast(AudioStream, out.add_stream(codec, rate=rate, layout=layout,
                                                  options=options or {}))
        if cover:
            _add_cover(out)
        for start, samples in _audio_chunks(rate, seconds):
            out.mux(stream.encode(tone(rate, start, samples, layout)))
        out.mux(stream.encode(None))
    return path


def write_video(
    path: Path,
    *,
    format: str,
    codec: str = "libx264",
    audio_codec: str | None = "aac",
    seconds: float = 1.0,
    width: int = WIDTH,
    height: int = HEIGHT,
    fps: int = FPS,
    pix_fmt: str = "yuv420p",
    rotation: int | None = None,
    tags: dict[str, str] | None = None,
    stream_tags: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    audio_rate: int = 48000,
    data_track: bool = False,
) -> Path:
    with av.open(str(path), "w", format=format, container_options=container_options or {}) as out:
        out.metadata.update(tags or {})
        video = cast(VideoStream, out.add_stream(codec, rate=fps, options=options or {}))
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        video.metadata.update(stream_tags or {})
        if rotation is not None:
            video.set_display_rotation(rotation)
        audio: AudioStream | None = None
        if audio_codec:
            audio = cast(AudioStream, out.add_stream(audio_codec, rate=audio_rate,
                                                     layout="stereo"))
            audio.metadata.update(stream_tags or {})
        data = out.add_data_stream("bin_data") if data_track else None
        frames = int(seconds * fps)
        samples_per_frame = audio_rate // fps
        for index in range(frames):
            frame = av.VideoFrame.from_image(pattern(index, width, height)).reformat(
                format=pix_fmt
            )
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
            if audio is not None:
                start = index * samples_per_frame
                out.mux(audio.encode(tone(audio_rate, start, samples_per_frame)))
            if data is not None and index % fps == 0:  # a location fix a second, like a phone
                packet = av.Packet(b"+50.1234-005.1234+012.000/")
                packet.stream = data
                packet.pts = packet.dts = index
                packet.time_base = Fraction(1, fps)
                out.mux(packet)
        out.mux(video.encode(None))
        if audio is not None:
            out.mux(audio.encode(None))
    return path


# Audio ------------------------------------------------------------------------------------


def mp3_tagged(tmp: Path) -> Path:
    """MP3 with an ID3v2.3 tag (title, artist, comment) and a PNG cover picture."""
    return write_audio(tmp / "song.mp3", format="mp3", codec="libmp3lame", tags=TAGS,
                       cover=True, container_options={"id3v2_version": "3"})


def m4a_aac(tmp: Path) -> Path:
    return write_audio(tmp / "voice.m4a", format="ipod", codec="aac", tags=PHONE_TAGS,
                       container_options={"movflags": "use_metadata_tags"})


def wav_pcm(tmp: Path, seconds: float = 1.0) -> Path:
    return write_audio(tmp / "take.wav", format="wav", codec="pcm_s16le", tags=TAGS,
                       seconds=seconds)


def flac_tagged(tmp: Path) -> Path:
    return write_audio(tmp / "take.flac", format="flac", codec="flac", tags=TAGS, cover=True)


def ogg_vorbis(tmp: Path) -> Path:
    # FFmpeg's own Vorbis encoder is marked experimental; it is enough to make a test file.
    return write_audio(tmp / "take.ogg", format="ogg", codec="vorbis", tags=TAGS,
                       options={"strict": "experimental"})


def ogg_opus(tmp: Path) -> Path:
    return write_audio(tmp / "take.opus", format="ogg", codec="libopus", rate=48000, tags=TAGS)


def webm_opus_recording(tmp: Path, seconds: float = 1.0) -> Path:
    """What a browser's MediaRecorder makes for a voice note: WebM/Opus with no duration."""
    return write_audio(tmp / "note.webm", format="webm", codec="libopus", rate=48000,
                       layout="mono", tags=TAGS, seconds=seconds,
                       container_options={"live": "1"})


def surround_flac(tmp: Path) -> Path:
    return write_audio(tmp / "surround.flac", format="flac", codec="flac", layout="5.1",
                       rate=48000)


# Video ------------------------------------------------------------------------------------


def mp4_phone(tmp: Path, *, faststart: bool = False, data_track: bool = False) -> Path:
    """H.264 + AAC MP4 carrying what a phone writes: title, artist, comment, creation time,
    make, model, location (the 3GPP `location` and QuickTime's ISO 6709 key), optionally a
    data track of location fixes."""
    flags = "use_metadata_tags+faststart" if faststart else "use_metadata_tags"
    return write_video(tmp / "clip.mp4", format="mp4", tags=PHONE_TAGS, stream_tags=STREAM_TAGS,
                       container_options={"movflags": flags}, data_track=data_track)


def mp4_rotated(tmp: Path, rotation: int = -90) -> Path:
    """A portrait phone clip: landscape pixels with a display matrix turning them upright.

    -90 (counter-clockwise, as FFmpeg counts) is what an iPhone held upright writes: ffprobe
    reports "rotation of -90", and the pictures are to be turned a quarter clockwise."""
    return write_video(tmp / "portrait.mp4", format="mp4", rotation=rotation, tags=PHONE_TAGS,
                       container_options={"movflags": "use_metadata_tags"})


def mov_hevc(tmp: Path) -> Path:
    return write_video(tmp / "clip.mov", format="mov", codec="libx265", tags=PHONE_TAGS,
                       stream_tags=STREAM_TAGS,
                       options={"preset": "ultrafast", "x265-params": "log-level=error"},
                       container_options={"movflags": "use_metadata_tags"})


def webm_vp8_recording(tmp: Path, seconds: float = 1.0) -> Path:
    """What MediaRecorder makes in Firefox/Chrome: WebM VP8 + Opus, no duration in the header."""
    return write_video(tmp / "recording.webm", format="webm", codec="libvpx",
                       audio_codec="libopus", tags=TAGS, seconds=seconds,
                       options={"deadline": "realtime", "cpu-used": "8"},
                       container_options={"live": "1"})


def webm_vp9(tmp: Path) -> Path:
    return write_video(tmp / "clip.webm", format="webm", codec="libvpx-vp9",
                       audio_codec="libopus", tags=TAGS,
                       options={"deadline": "realtime", "cpu-used": "8"})


def webm_av1(tmp: Path) -> Path:
    # libsvtav1 ships in PyAV's FFmpeg (libaom and rav1e do not); preset 12 is its fastest.
    os.environ.setdefault("SVT_LOG", "1")  # errors only: SVT-AV1 prints a banner otherwise
    return write_video(tmp / "clip-av1.webm", format="webm", codec="libsvtav1",
                       audio_codec="libopus", tags=TAGS, options={"preset": "12"})


def mp4_recording(tmp: Path) -> Path:
    """What Safari's MediaRecorder makes: H.264 + AAC in fragmented MP4 (no index up front)."""
    return write_video(tmp / "recording-safari.mp4", format="mp4", tags=TAGS,
                       container_options={"movflags": "frag_keyframe+empty_moov+default_base_moof"})


def mp4_vp9_opus(tmp: Path) -> Path:
    """Chrome's MediaRecorder in MP4 mode: VP9 + Opus in an MP4 container."""
    return write_video(tmp / "recording.mp4", format="mp4", codec="libvpx-vp9",
                       audio_codec="libopus", tags=TAGS,
                       options={"deadline": "realtime", "cpu-used": "8"})


def gp3(tmp: Path) -> Path:
    return write_video(tmp / "clip.3gp", format="3gp", tags=TAGS,
                       options={"profile": "baseline"}, audio_rate=16000)


def portrait_pixels(tmp: Path) -> Path:
    """Stored upright (120x160 pixels), no display matrix."""
    return write_video(tmp / "upright.mp4", format="mp4", width=HEIGHT, height=WIDTH)


def lying_webm(tmp: Path, *, video: bool, seconds: float = 3.0, declared: float = 0.5) -> Path:
    """A WebM whose header says `declared` seconds while it holds `seconds` of media."""
    if video:
        path = write_video(tmp / "lying.webm", format="webm", codec="libvpx",
                           audio_codec=None, seconds=seconds, width=64, height=48,
                           options={"deadline": "realtime", "cpu-used": "8"})
    else:
        path = write_audio(tmp / "lying.webm", format="webm", codec="libopus", rate=48000,
                           layout="mono", seconds=seconds)
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Segment Info > Duration, an 8-byte float in ms
    assert at > 0
    data[at + 3 : at + 11] = struct.pack(">d", declared * 1000)
    path.write_bytes(bytes(data))
    return path


def webm_late_sound(tmp: Path) -> Path:
    """Two seconds of pictures whose sound starts only after the first second."""
    path = tmp / "late.webm"
    with av.open(str(path), "w", format="webm") as out:
        video = cast(VideoStream, out.add_stream(
            "libvpx", rate=FPS, options={"deadline": "realtime", "cpu-used": "8"}))
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = cast(AudioStream, out.add_stream("libopus", rate=48000, layout="stereo"))
        step = 48000 // FPS
        for index in range(2 * FPS):
            frame = av.VideoFrame.from_image(pattern(index)).reformat(format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            out.mux(video.encode(frame))
            if index >= FPS:
                out.mux(audio.encode(tone(48000, index * step, step)))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path


def mp4_yuv444(tmp: Path) -> Path:
    """H.264 + AAC but 4:4:4, which many browsers cannot play: must be transcoded."""
    return write_video(tmp / "clip444.mp4", format="mp4", pix_fmt="yuv444p")


# Not media, or not usable -----------------------------------------------------------------


def mp4_data_only(tmp: Path) -> Path:
    """An MP4 whose only track is data (as a phone's timed-metadata track would be)."""
    path = tmp / "data.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_data_stream("bin_data")
        for index in range(10):
            packet = av.Packet(b"+50.1234-005.1234 %d" % index)
            packet.stream = stream
            packet.pts = packet.dts = index
            packet.time_base = Fraction(1, 10)
            out.mux(packet)
    return path


def webm_zero_frames(tmp: Path) -> Path:
    """A WebM with a VP8 video track declared and not a single frame in it."""
    path = tmp / "empty.webm"
    with av.open(str(path), "w", format="webm") as out:
        video = out.add_stream("libvpx", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        out.start_encoding()
    return path


def zip_named_mp4(tmp: Path) -> Path:
    path = tmp / "holiday.mp4"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("clip.mp4", b"\0\0\0\x18ftypisom" + b"x" * 200)
    return path


def png_image(tmp: Path) -> Path:
    path = tmp / "picture.mp4"
    pattern(0).save(path, "PNG")
    return path


def text_file(tmp: Path) -> Path:
    path = tmp / "notes.mp3"
    path.write_text("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
    return path


def truncated(source: Path, fraction: float = 0.5) -> Path:
    data = source.read_bytes()
    path = source.with_name("truncated-" + source.name)
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def wav_header(
    path: Path, *, channels: int = 1, rate: int = 8000, data_bytes: int, body: bytes = b""
) -> Path:
    """A PCM WAV header declaring `data_bytes` of 16-bit samples, followed by `body` only."""
    block = 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, 16)
    path.write_bytes(
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", data_bytes) + body
    )
    return path


def wav_500_channels(tmp: Path) -> Path:
    body = b"\0" * (2 * 500 * 100)
    return wav_header(tmp / "channels.wav", channels=500, data_bytes=len(body), body=body)


def wav_20_hours(tmp: Path) -> Path:
    """The header of 20 hours of 8 kHz mono silence (1.15 GB declared), and a moment of it."""
    return wav_header(tmp / "long.wav", data_bytes=20 * 3600 * 8000 * 2, body=b"\0" * 1600)
