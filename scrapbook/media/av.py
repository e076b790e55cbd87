"""Audio and video intake: recognise from bytes, check limits, re-encode or remux, strip metadata.

PyAV runs FFmpeg's libraries in-process; nothing shells out. Everything here is blocking CPU
work: `probe` runs in a worker thread before anything is stored, `process` in a job-queue
worker. Memory stays bounded: frames are streamed one at a time, never a whole file decoded.
"""

from __future__ import annotations

import io
import math
import struct
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.filter import Graph
from av.packet import Packet
from av.sidedata.sidedata import SideData
from av.sidedata.sidedata import Type as SideDataType
from av.stream import Disposition, Stream
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageDraw

from scrapbook.core.config import Settings
from scrapbook.core.errors import (
    ErrorCode,
    InvalidInput,
    ScrapbookError,
    TooLarge,
    UnsupportedMedia,
)
from scrapbook.core.units import limit_words, size_words
from scrapbook.media.images import ProcessedImage, process_image
from scrapbook.vocabulary import Kind

# What we decode, by FFmpeg's codec name (never the decoder's: AV1 decodes with libdav1d).
AUDIO_CODECS = frozenset({"aac", "mp3", "flac", "vorbis", "opus", "alac", "amr_nb", "amr_wb"})
VIDEO_CODECS = frozenset({"h264", "hevc", "vp8", "vp9", "av1", "mpeg4", "h263"})
# More channels than 7.1 is no song or voice note: refused before any decoder or resampler
# has to allocate for, say, the 500 a damaged or hostile header declares.
SAMPLE_RATE_MAX = 384_000

AUDIO_TYPE = "audio/mp4"
OPUS_TYPE = "audio/webm"
VIDEO_TYPE = "video/mp4"

# How much of a file FFmpeg may read and analyse to find its streams, and how many streams.
# Only files on local disk are ever opened, and QuickTime references to other files are off.
_OPEN_OPTIONS = {
    "probesize": str(10_000_000),
    "analyzeduration": str(10_000_000),  # microseconds
    "max_streams": "32",
    "protocol_whitelist": "file",
    "enable_drefs": "0",
}
# Muxer options for every output: `bitexact` keeps FFmpeg from writing its own version
# (the `encoder` tag), `empty_hdlr_name` leaves the track handler names blank, no tmcd track,
# and the index (moov) goes before the data so playback can start at once.
_MP4_OPTIONS = {
    "movflags": "+faststart",
    "fflags": "+bitexact",
    "empty_hdlr_name": "1",
    "write_tmcd": "0",
}
# FFmpeg's AAC encoder writes its version into the first frame unless told to be bitexact.
_AAC_OPTIONS = {"flags": "+bitexact"}
_WEBM_OPTIONS = {"fflags": "+bitexact"}
_X264_OPTIONS = {"preset": "veryfast", "crf": "23"}
# SEI units carry the encoder's version string, and some cameras put user data in them;
# nothing a browser needs to play a progressive H.264 stream lives there.
_STRIP_SEI = "filter_units=remove_types=6"

# Beside pictures, sound more than this late (at the start, or after a gap) is kept late.
_GAP_SECONDS = 0.02
_PROBE_DECODE_PACKETS = 2_000  # packets demuxed while looking for the first frames
_POSTER_SECONDS = 1.0  # the poster is the frame at 1 s, or at a tenth of a shorter clip
_PEAK_RATE = 8_000  # the waveform is drawn from mono 8 kHz samples...
_PEAK_BUCKET = 80  # ...one peak per 10 ms
_WAVEFORM_SIZE = (1600, 400)
_WAVEFORM_BARS = 160
_PAPER = (250, 247, 240)
_INK = (52, 58, 74)


@dataclass(frozen=True)
class AvProbe:
    kind: Kind  # what the bytes are
    container: str  # "mp4", "mov", "m4a", "3gp", "webm", "matroska", "mp3", "aac", ...
    duration: float | None  # seconds; measured by demuxing when the header has none (WebM)
    width: int | None
    height: int | None
    fps: float | None
    rotation: int  # 0/90/180/270: clockwise turn the display matrix asks for
    video_codec: str | None
    audio_codec: str | None
    pix_fmt: str | None


@dataclass(frozen=True)
class OutputFile:
    name: str  # "audio" (M4A), "opus" (WebM/Opus, only when smaller), "video" (MP4)
    path: Path  # inside workdir
    content_type: str


@dataclass(frozen=True)
class ProcessedAV:
    kind: Kind
    duration: float  # of the playable output, in seconds
    width: int | None  # the playable video's size (None for audio)
    height: int | None
    files: tuple[OutputFile, ...]
    poster: ProcessedImage  # video: a frame; audio: a waveform (thumb, display, blurhash)
    remuxed: bool = False  # video packets copied (plain H.264), not re-encoded; sound always is


class MediaFailed(Exception):
    """Found only while decoding; `reason` is a sentence for moderators."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Inspection:
    probe: AvProbe
    demuxer: str
    # Filters that turn the pictures the way the display matrix says (transpose, flips).
    upright: tuple[tuple[str, str | None], ...]
    sample_aspect: Fraction | None
    declared: float | None  # the length the header states, when it states one


# Public API -------------------------------------------------------------------------------


def probe(path: Path, settings: Settings, expect: Kind) -> AvProbe:
    """Cheap checks before anything is stored: the type from the bytes, size, declared limits.

    Raises UnsupportedMedia (415), TooLarge (413) or InvalidInput (422) with a sentence."""
    return _inspect(path, settings, expect).probe


def process(path: Path, workdir: Path, settings: Settings, expect: Kind) -> ProcessedAV:
    """Decode, check every limit again, and write clean playable files into `workdir`."""
    try:
        found = _inspect(path, settings, expect)
    except ScrapbookError as exc:
        raise MediaFailed(exc.detail) from exc
    workdir.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    try:
        if found.probe.kind is Kind.audio:
            result = _process_audio(path, workdir, settings, found, made)
        else:
            result = _process_video(path, workdir, settings, found, made)
        _check_complete(found, result.duration)
        return result
    except MediaFailed:
        _remove(made)
        raise
    except ScrapbookError as exc:  # the poster or waveform refused by the image pipeline
        _remove(made)
        raise MediaFailed(f"The preview picture could not be made: {exc.detail}") from exc
    except (av.FFmpegError, ValueError, EOFError, IndexError) as exc:
        _remove(made)
        raise MediaFailed(
            f"The file could not be decoded ({_describe(exc)}); it is probably damaged "
            "or incomplete."
        ) from exc


# Recognising and checking -----------------------------------------------------------------


def _inspect(path: Path, settings: Settings, expect: Kind) -> _Inspection:
    noun = _noun(expect)
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput("The file is empty.", code=ErrorCode.empty_file, field="files")
    bytes_max = settings.video_bytes_max if expect is Kind.video else settings.audio_bytes_max
    if size > bytes_max:
        raise TooLarge(
            f"{noun.capitalize()}s may be at most {limit_words(bytes_max)}; "
            f"this one is {size_words(size)}.",
            code=ErrorCode.file_too_large, field="files",
        )
    sniffed = _sniff(path)
    if sniffed is None:
        raise UnsupportedMedia(_not_accepted(expect),
            code=ErrorCode.unsupported_type, field="files")
    demuxer, container_name = sniffed
    if demuxer == "wav":
        _check_wav_header(path, size, settings)
    try:
        with _open(path, demuxer) as container:
            return _inspect_open(container, demuxer, container_name, settings, expect,
                                 exact=_exact_duration(path, demuxer))
    except ScrapbookError:
        raise
    except (av.FFmpegError, ValueError, EOFError, IndexError) as exc:
        raise InvalidInput(
            f"The {noun} is damaged or incomplete and cannot be read.",
            code=ErrorCode.damaged_media, field="files"
        ) from exc


def _inspect_open(
    container: InputContainer, demuxer: str, container_name: str, settings: Settings,
    expect: Kind, *, exact: bool,
) -> _Inspection:
    video, audio = _pick_video(container), _pick_audio(container)
    if expect is Kind.video and video is None:
        if audio is not None:
            raise UnsupportedMedia(
                "This file has sound but no pictures; choose Sound to send it.",
                code=ErrorCode.wrong_kind, field="files"
            )
        raise UnsupportedMedia("This file has no pictures or sound we can use.",
                               code=ErrorCode.no_usable_stream, field="files")
    if expect is Kind.audio:
        if video is not None:
            raise UnsupportedMedia(
                "This file has pictures; choose Video to send it.",
                code=ErrorCode.wrong_kind, field="files"
            )
        if audio is None:
            raise UnsupportedMedia("This file has no sound we can use.",
                code=ErrorCode.no_usable_stream, field="files")
    video_codec = _check_video_stream(video, settings) if video is not None else None
    audio_codec = _check_audio_stream(audio, expect, settings) if audio is not None else None

    duration = _header_duration(container, video, audio)
    declared = duration if exact else None
    first = _first_frames(container, video, audio, settings, expect, measure=duration is None)
    if duration is None:
        duration = first.measured
    seconds_max = _seconds_max(settings, expect)
    if duration is not None and duration > seconds_max:
        raise InvalidInput(
            f"{_noun(expect).capitalize()}s may be at most {_span(seconds_max)} long; "
            f"this one is {_span(duration)}.",
            code=ErrorCode.too_long, field="files",
        )
    if video is not None and first.video is None:
        raise InvalidInput("The video has no pictures in it.",
            code=ErrorCode.no_frames, field="files")
    if audio is not None and first.audio is None:
        if expect is Kind.audio:
            raise InvalidInput("The sound file has no sound in it.",
                code=ErrorCode.no_frames, field="files")
        audio_codec = None  # an empty sound track beside the pictures: leave it out

    width = height = None
    fps = None
    rotation = 0
    upright: tuple[tuple[str, str | None], ...] = ()
    sample_aspect = None
    pix_fmt = None
    if video is not None and first.video is not None:
        frame = first.video
        width, height = frame.width, frame.height
        _check_frame_size(width, height, settings, InvalidInput)
        rotation, upright = _display_transform(frame)
        rate = video.average_rate
        fps = float(rate) if rate else None
        if fps is not None and fps > settings.video_fps_max + 0.5:
            raise InvalidInput(_fps_message(settings, fps),
                code=ErrorCode.frame_rate_too_high, field="files")
        pix_fmt = video.codec_context.pix_fmt
        sample_aspect = video.sample_aspect_ratio
    kind = Kind.video if video is not None else Kind.audio
    return _Inspection(
        probe=AvProbe(
            kind=kind, container=container_name, duration=duration, width=width, height=height,
            fps=fps, rotation=rotation, video_codec=video_codec, audio_codec=audio_codec,
            pix_fmt=pix_fmt,
        ),
        demuxer=demuxer,
        upright=upright,
        sample_aspect=sample_aspect,
        declared=declared,
    )


def _sniff(path: Path) -> tuple[str, str] | None:
    """(FFmpeg demuxer, container name) from the first bytes; the name and type never count.

    Opening with an explicit demuxer also keeps FFmpeg's other demuxers (playlists, image
    sequences, ...) from ever seeing the bytes."""
    with path.open("rb") as f:
        head = f.read(64)
        if head.startswith(b"ID3"):
            f.seek(_id3_end(head))
            after = f.read(4096).lstrip(b"\0")
            if after.startswith(b"fLaC"):
                return "flac", "flac"
            return _mpeg_audio(after)
    box = head[4:8]
    if box == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "mov", "mov"
        if brand.startswith((b"3gp", b"3g2")):
            return "mov", "3gp"
        if brand in (b"M4A ", b"M4B "):
            return "mov", "m4a"
        return "mov", "mp4"
    if box in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov", "mov"  # QuickTime files from before the ftyp box
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska", "webm" if b"webm" in head else "matroska"
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav", "wav"
    if head.startswith(b"fLaC"):
        return "flac", "flac"
    if head.startswith(b"OggS"):
        return "ogg", "ogg"
    return _mpeg_audio(head)


def _id3_end(head: bytes) -> int:
    """Where the audio starts after an ID3v2 tag (its size is a 28-bit "syncsafe" number)."""
    if len(head) < 10:
        return len(head)
    size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | head[9] & 0x7F
    return 10 + size + (10 if head[5] & 0x10 else 0)  # a footer repeats the header


def _exact_duration(path: Path, demuxer: str) -> bool:
    """Whether the header states the length rather than FFmpeg estimating it from the bit
    rate: raw AAC never does; MP3 only with a Xing, Info or VBRI frame (LAME always writes
    one). Only a stated length can show that a file was cut short."""
    if demuxer == "aac":
        return False
    if demuxer != "mp3":
        return True
    with path.open("rb") as f:
        head = f.read(10)
        f.seek(_id3_end(head) if head.startswith(b"ID3") else 0)
        first = f.read(4096).lstrip(b"\0")[:200]
    return any(marker in first for marker in (b"Xing", b"Info", b"VBRI"))


def _mpeg_audio(head: bytes) -> tuple[str, str] | None:
    """An MPEG audio frame (MP3) or an ADTS frame (raw AAC) at the very start."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0x06 == 0:  # layer bits 00: ADTS
        return ("aac", "aac") if head[1] & 0xF6 == 0xF0 else None
    return "mp3", "mp3"


def _check_wav_header(path: Path, size: int, settings: Settings) -> None:
    """FFmpeg trusts the file size over a WAV header, so read the declared length ourselves:
    a header declaring 20 hours is refused without reading it all."""
    byte_rate = data_size = 0
    with path.open("rb") as f:
        f.seek(12)
        for _ in range(64):  # chunks before the data: fmt, LIST, bext, junk...
            header = f.read(8)
            if len(header) < 8:
                return
            chunk, length = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk == b"fmt ":
                body = f.read(min(length, 64))
                if len(body) >= 12:
                    byte_rate = struct.unpack("<I", body[8:12])[0]
                f.seek(length - len(body) + (length & 1), io.SEEK_CUR)
            elif chunk == b"data":
                data_size = length
                break
            else:
                f.seek(length + (length & 1), io.SEEK_CUR)
        data_start = f.tell()
    if not byte_rate or data_size in (0, 0xFFFFFFFF):  # unknown (streamed, or RF64)
        return
    declared = data_size / byte_rate
    if declared > settings.audio_seconds_max:
        raise InvalidInput(
            f"Sound files may be at most {_span(settings.audio_seconds_max)} long; this one "
            f"declares {_span(declared)}.",
            code=ErrorCode.too_long, field="files",
        )
    if data_start + data_size > size + max(65_536, size // 100):
        raise InvalidInput(
            "The sound file is incomplete: it ends long before the length it declares.",
            code=ErrorCode.damaged_media, field="files",
        )


def _open(path: Path, demuxer: str) -> InputContainer:
    return av.open(str(path), "r", format=demuxer, options=_OPEN_OPTIONS,
                   metadata_errors="ignore")


def _pick_video(container: InputContainer) -> VideoStream | None:
    """The video stream to keep: not cover art (an attached picture is not a video), one we
    can decode before any other (a camera's thumbnail track), the default before the rest."""
    streams = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    return min(streams, key=lambda s: _preference(s, VIDEO_CODECS), default=None)


def _pick_audio(container: InputContainer) -> AudioStream | None:
    return min(container.streams.audio, key=lambda s: _preference(s, AUDIO_CODECS), default=None)


def _preference(stream: Stream, codecs: frozenset[str]) -> tuple[bool, bool, int]:
    codec = _codec_name(stream) or ""
    usable = codec in codecs or (stream.type == "audio" and codec.startswith("pcm_"))
    return (not usable, not stream.disposition & Disposition.default, stream.index)


def _codec_name(stream: Stream) -> str | None:
    context = stream.codec_context
    return context.codec.canonical_name if context is not None else None


def _check_video_stream(stream: VideoStream, settings: Settings) -> str:
    codec = _codec_name(stream)
    if codec not in VIDEO_CODECS:
        raise UnsupportedMedia(
            f"The video is coded as {codec or 'something unknown'}, which we cannot take: "
            "send H.264, HEVC, VP8, VP9 or AV1 (what phones, cameras and browsers make).",
            code=ErrorCode.unsupported_codec, field="files",
        )
    width, height = stream.codec_context.width, stream.codec_context.height
    if width and height:
        _check_frame_size(width, height, settings, InvalidInput)
    return codec


def _check_audio_stream(stream: AudioStream, expect: Kind, settings: Settings) -> str:
    codec = _codec_name(stream)
    if codec is None or (codec not in AUDIO_CODECS and not codec.startswith("pcm_")):
        raise UnsupportedMedia(
            f"The sound is coded as {codec or 'something unknown'}, which we cannot take: send "
            "MP3, AAC (M4A), WAV, FLAC, Ogg Vorbis or Opus.",
            code=ErrorCode.unsupported_codec, field="files",
        )
    context = stream.codec_context
    channels = context.channels
    if channels > settings.audio_channels_max:
        raise InvalidInput(
            f"{_noun(expect).capitalize()}s may have at most {settings.audio_channels_max} "
            "sound channels; "
            f"this one declares {channels}.",
            code=ErrorCode.too_many_channels, field="files",
        )
    if channels < 1 or not 0 < context.sample_rate <= SAMPLE_RATE_MAX:
        raise InvalidInput("The sound is damaged and cannot be read.",
            code=ErrorCode.damaged_media, field="files")
    return codec


def _check_frame_size(
    width: int, height: int, settings: Settings, error: type[InvalidInput] | type[MediaFailed]
) -> None:
    long_edge, short_edge = max(width, height), min(width, height)
    if width < 1 or height < 1:
        raise error("The video's pictures have no size.")
    if long_edge > settings.video_long_edge_max or short_edge > settings.video_short_edge_max:
        message = (
            f"Videos may be at most {settings.video_long_edge_max}×"
            f"{settings.video_short_edge_max} pixels (either way up); this one is "
            f"{width}×{height}."
        )
        if error is InvalidInput:
            raise InvalidInput(message, code=ErrorCode.too_many_pixels, field="files")
        raise error(message)


def _fps_message(settings: Settings, fps: float) -> str:
    return (
        f"Videos may have at most {settings.video_fps_max:g} frames per second; "
        f"this one has {fps:.4g}."
    )


def _header_duration(
    container: InputContainer, video: VideoStream | None, audio: AudioStream | None
) -> float | None:
    if container.duration and container.duration > 0:
        return container.duration / 1_000_000
    ends = [
        float(stream.duration * stream.time_base)
        for stream in (video, audio)
        if stream is not None and stream.duration and stream.time_base
    ]
    return max(ends) if ends else None


@dataclass
class _FirstFrames:
    video: VideoFrame | None = None
    audio: AudioFrame | None = None
    measured: float | None = None


def _first_frames(
    container: InputContainer, video: VideoStream | None, audio: AudioStream | None,
    settings: Settings, expect: Kind, *, measure: bool,
) -> _FirstFrames:
    """Decode the first picture and sound (proving they decode, and reading the display
    matrix); when the header has no duration (a recorded WebM), demux on to measure it.

    Demuxing without decoding is cheap, and bounded: the file is within the byte limit, the
    count of packets is capped, and measuring stops once the duration limit is passed."""
    found = _FirstFrames()
    streams = [s for s in (video, audio) if s is not None]
    limit = _past(_seconds_max(settings, expect))
    packets_max = int(limit * 1_000) + _PROBE_DECODE_PACKETS  # generous: 1000 a second
    start: float | None = None
    end: float | None = None
    for count, packet in enumerate(container.demux(streams)):
        if count > (packets_max if measure else _PROBE_DECODE_PACKETS):
            if measure:
                raise InvalidInput(
                    f"The {_noun(expect)} has too many pieces to measure.",
                    code=ErrorCode.damaged_media, field="files"
                )
            break
        if measure and packet.pts is not None and packet.time_base:
            t0 = float(packet.pts * packet.time_base)
            t1 = t0 + float((packet.duration or 0) * packet.time_base)
            start = t0 if start is None else min(start, t0)
            end = t1 if end is None else max(end, t1)
            if end - start > limit:
                break
        if packet.stream is video and found.video is None:
            frames = packet.decode()
            if frames:
                found.video = frames[0]  # type: ignore[assignment]
        elif packet.stream is audio and found.audio is None:
            frames = packet.decode()
            if frames:
                found.audio = frames[0]  # type: ignore[assignment]
        done = (video is None or found.video is not None) and (
            audio is None or found.audio is not None)
        if done and not measure:
            break
    if start is not None and end is not None:
        found.measured = max(0.0, end - start)
    return found


def _display_transform(frame: VideoFrame) -> tuple[int, tuple[tuple[str, str | None], ...]]:
    """The clockwise turn and the filters that apply a frame's display matrix, as FFmpeg's
    own command line does when it rotates automatically."""
    sides = cast("Iterable[SideData]", frame.side_data)  # PyAV's stub types it as one item
    side = next((sd for sd in sides if sd.type == SideDataType.DISPLAYMATRIX), None)
    if side is None:
        return 0, ()
    raw = bytes(side)
    if len(raw) < 36:
        return 0, ()
    m = struct.unpack("=9i", raw[:36])
    a, b, c, d = (v / 65536 for v in (m[0], m[1], m[3], m[4]))
    scale_x, scale_y = math.hypot(a, c), math.hypot(b, d)
    if not scale_x or not scale_y:
        return 0, ()
    # av_display_rotation_get() is counter-clockwise; FFmpeg's get_rotation() negates it.
    theta = float(round(math.degrees(math.atan2(b / scale_y, a / scale_x))))
    theta -= 360 * math.floor(theta / 360 + 0.9 / 360)
    if abs(theta - 90) < 1:
        return 90, (("transpose", "cclock_flip" if m[3] > 0 else "clock"),)
    if abs(theta - 180) < 1:
        flips = (("hflip", None),) if m[0] < 0 else ()
        return 180, flips + ((("vflip", None),) if m[4] < 0 else ())
    if abs(theta - 270) < 1:
        return 270, (("transpose", "clock_flip" if m[3] < 0 else "cclock"),)
    if abs(theta) < 1 and m[4] < 0:
        return 0, (("vflip", None),)
    return 0, ()  # no turn, or an odd angle no phone writes: shown as stored


def _check_complete(found: _Inspection, duration: float) -> None:
    """A file cut short (an upload or copy that stopped early) often still decodes as far as
    it goes: refuse it when it holds clearly less than its header states."""
    declared = found.declared
    if declared is not None and duration < declared - max(0.5, declared * 0.05):
        raise MediaFailed(
            f"The file ends early: its header says {_span(declared)} but it holds only "
            f"{_span(duration)}. It was probably cut off while being copied or uploaded."
        )


# Audio ------------------------------------------------------------------------------------


def _process_audio(
    path: Path, workdir: Path, settings: Settings, found: _Inspection, made: list[Path]
) -> ProcessedAV:
    aac_path, opus_path = workdir / "audio.m4a", workdir / "audio.webm"
    made += [aac_path, opus_path]
    peaks = _Peaks()
    with _open(path, found.demuxer) as source:
        stream = _pick_audio(source)
        assert stream is not None  # checked by the inspection
        layout = "mono" if stream.codec_context.channels == 1 else "stereo"
        rate = 44_100 if stream.codec_context.sample_rate == 44_100 else 48_000
        with (
            av.open(str(aac_path), "w", format="mp4", container_options=_MP4_OPTIONS) as aac,
            av.open(str(opus_path), "w", format="webm", container_options=_WEBM_OPTIONS) as opus,
        ):
            aac_stream = _add_aac(aac, rate, layout)
            opus_stream = opus.add_stream("libopus", rate=48_000, layout=layout)
            opus_stream.bit_rate = 48_000 if layout == "mono" else 96_000
            encoder = _AudioEncoder(rate, layout, [(aac, aac_stream), (opus, opus_stream)], peaks)
            limit = _past(settings.audio_seconds_max)
            for frame in _decoded(source, stream):
                encoder.feed(frame)
                if encoder.seconds > limit:
                    raise MediaFailed(_ran_past(settings.audio_seconds_max, Kind.audio))
            encoder.finish()
    if encoder.samples == 0:
        raise MediaFailed("The sound file has no sound in it that we could decode.")
    files = [OutputFile("audio", aac_path, AUDIO_TYPE)]
    if opus_path.stat().st_size < aac_path.stat().st_size:
        files.append(OutputFile("opus", opus_path, OPUS_TYPE))
    else:
        opus_path.unlink()
    poster = _image(peaks.draw(), settings, "The waveform")
    return ProcessedAV(
        kind=Kind.audio, duration=_duration_of(aac_path), width=None, height=None,
        files=tuple(files), poster=poster,
    )


def _add_aac(out: OutputContainer, rate: int, layout: str) -> AudioStream:
    stream = out.add_stream("aac", rate=rate, layout=layout, options=_AAC_OPTIONS)
    stream.bit_rate = 64_000 if layout == "mono" else 128_000
    return stream


class _AudioEncoder:
    """Decoded frames in; at most stereo, resampled once, out to each encoder (and the
    waveform). Timestamps are counted in samples: an output is gapless and starts at 0 (or,
    beside pictures, where the sound starts)."""

    def __init__(
        self, rate: int, layout: str, outputs: list[tuple[OutputContainer, AudioStream]],
        peaks: _Peaks | None = None,
    ) -> None:
        self.rate, self.layout, self.outputs, self.peaks = rate, layout, outputs, peaks
        self.samples = 0
        self._next: float | None = None  # where the sound fed so far ends, in source seconds
        self._resampler: AudioResampler | None = None
        self._shape: tuple[str, str, int] | None = None

    @property
    def seconds(self) -> float:
        return self.samples / self.rate

    def feed(self, frame: AudioFrame, at: float | None = None) -> None:
        """`at`: when the frame should sound, in seconds from the first picture (beside a
        video). Sound that starts late keeps its lead-in (a gap in the timestamps, as the
        source had), and a later gap in the source is filled with silence, so the sound stays
        in step with the pictures instead of sliding earlier."""
        length = frame.samples / frame.sample_rate if frame.sample_rate else 0.0
        if at is not None and (self._next is None or at - self._next > _GAP_SECONDS):
            if self._next is not None:
                self._silence(frame, at - self._next)
            elif self.samples == 0 and at > _GAP_SECONDS:
                self.samples = round(at * self.rate)
            self._next = at + length
        elif self._next is not None:
            self._next += length  # on time, or overlapping: played straight after
        shape = (frame.format.name, frame.layout.name, frame.sample_rate)
        if shape != self._shape:  # a stream may change layout or rate midway
            self._drain(None)
            self._resampler = AudioResampler(format="fltp", layout=self.layout, rate=self.rate)
            self._shape = shape
        frame.pts = None
        self._drain(frame)

    def _silence(self, like: AudioFrame, seconds: float) -> None:
        """Silence in the shape of `like`, through the same resampler, a second at a time."""
        rate = like.sample_rate
        quiet = b"\x80" if like.format.name in ("u8", "u8p") else b"\0"
        left = round(seconds * rate)
        while left > 0 and rate > 0:
            count = min(left, rate)
            frame = AudioFrame(format=like.format.name, layout=like.layout.name, samples=count)
            frame.sample_rate = rate
            for plane in frame.planes:
                plane.update(quiet * plane.buffer_size)
            self.feed(frame)
            left -= count

    def finish(self) -> None:
        self._drain(None)
        for out, stream in self.outputs:
            out.mux(stream.encode(None))
        if self.peaks is not None:
            self.peaks.finish()

    def _drain(self, frame: AudioFrame | None) -> None:
        if self._resampler is None:
            return
        for out_frame in self._resampler.resample(frame):
            out_frame.pts = self.samples
            out_frame.time_base = Fraction(1, self.rate)
            self.samples += out_frame.samples
            for out, stream in self.outputs:
                out.mux(stream.encode(out_frame))
            if self.peaks is not None:
                self.peaks.feed(out_frame)
        if frame is None:
            self._resampler = None
            self._shape = None


class _Peaks:
    """The loudest sample of every 10 ms, from mono 8 kHz, kept as small integers."""

    def __init__(self) -> None:
        self.values = array("H")
        self._resampler: AudioResampler | None = AudioResampler("s16", "mono", _PEAK_RATE)
        self._carry = array("h")

    def feed(self, frame: AudioFrame) -> None:
        assert self._resampler is not None
        for mono in self._resampler.resample(frame):
            self._take(mono)

    def finish(self) -> None:
        if self._resampler is not None:
            for mono in self._resampler.resample(None):
                self._take(mono)
            self._resampler = None
        if self._carry:
            self.values.append(min(32767, max(abs(v) for v in self._carry)))
            self._carry = array("h")

    def _take(self, frame: AudioFrame) -> None:
        samples = array("h")
        samples.frombytes(bytes(frame.planes[0])[: frame.samples * 2])
        self._carry.extend(samples)
        whole = len(self._carry) - len(self._carry) % _PEAK_BUCKET
        for i in range(0, whole, _PEAK_BUCKET):
            bucket = self._carry[i : i + _PEAK_BUCKET]
            self.values.append(min(32767, max(max(bucket), -min(bucket))))
        del self._carry[:whole]

    def draw(self) -> bytes:
        """Bars of the peaks, scaled to the loudest, as PNG bytes for the image pipeline."""
        width, height = _WAVEFORM_SIZE
        im = Image.new("RGB", (width, height), _PAPER)
        draw = ImageDraw.Draw(im)
        values = self.values
        loudest = max(values) if values else 0
        slot = width / _WAVEFORM_BARS
        for bar in range(_WAVEFORM_BARS):
            lo = bar * len(values) // _WAVEFORM_BARS
            hi = max(lo + 1, (bar + 1) * len(values) // _WAVEFORM_BARS)
            peak = max(values[lo:hi]) if loudest and lo < len(values) else 0
            half = max(2.0, (height * 0.45) * (peak / loudest if loudest else 0))
            x = bar * slot + slot * 0.2
            draw.rectangle((x, height / 2 - half, x + slot * 0.6, height / 2 + half), fill=_INK)
        buf = io.BytesIO()
        im.save(buf, "PNG")
        return buf.getvalue()


# Video ------------------------------------------------------------------------------------


def _process_video(
    path: Path, workdir: Path, settings: Settings, found: _Inspection, made: list[Path]
) -> ProcessedAV:
    probe_ = found.probe
    dest = workdir / "video.mp4"
    made.append(dest)
    # Only pictures every browser plays as they are, already upright, are copied packet for
    # packet (with AAC or no sound beside them; the sound is encoded again either way).
    remux = (
        found.demuxer == "mov"
        and probe_.video_codec == "h264"
        and probe_.pix_fmt == "yuv420p"
        and not found.upright
        and probe_.audio_codec in (None, "aac")
        and found.sample_aspect in (None, 0, 1)
    )
    if remux:
        _remux(path, dest, settings, found)
        poster_frame = _poster_from(path, found, _duration_of(dest))
    else:
        poster_frame = _transcode(path, dest, settings, found)
    with av.open(str(dest)) as result:
        stream = result.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
    return ProcessedAV(
        kind=Kind.video, duration=_duration_of(dest), width=width, height=height,
        files=(OutputFile("video", dest, VIDEO_TYPE),),
        poster=_image(_png(poster_frame, settings), settings, "The poster frame"),
        remuxed=remux,
    )


class _Clock:
    """Re-checks the duration and frame-rate limits as frames go by: headers can lie."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.frames = 0
        self.first: float | None = None
        self.last: float | None = None

    def tick(self, seconds: float | None) -> None:
        self.frames += 1
        limit = _past(self.settings.video_seconds_max)
        if seconds is not None:
            self.first = seconds if self.first is None else min(self.first, seconds)
            self.last = seconds if self.last is None else max(self.last, seconds)
            if self.last - self.first > limit:
                raise MediaFailed(_ran_past(self.settings.video_seconds_max, Kind.video))
        if self.frames > limit * self.settings.video_fps_max * 1.1 + 10:
            raise MediaFailed(_ran_past(self.settings.video_seconds_max, Kind.video))

    def finish(self) -> None:
        if self.frames == 0:
            raise MediaFailed("The video has no pictures in it that we could decode.")
        span = (self.last or 0) - (self.first or 0)
        if self.frames > 10 and span > 0.5:
            fps = (self.frames - 1) / span
            if fps > self.settings.video_fps_max * 1.05 + 1:
                raise MediaFailed(_fps_message(self.settings, fps))


def _remux(path: Path, dest: Path, settings: Settings, found: _Inspection) -> None:
    """Copy the H.264 packets (less their SEI units) into a fresh MP4 with no other stream,
    tag or atom. The sound is decoded and encoded again: an AAC stream can carry its
    encoder's name and version in fill elements, which copying would keep."""
    with (
        _open(path, found.demuxer) as source,
        av.open(str(dest), "w", format="mp4", container_options=_MP4_OPTIONS) as out,
    ):
        video = _pick_video(source)
        assert video is not None
        audio = _pick_audio(source) if found.probe.audio_codec else None
        video_out = out.add_stream_from_template(video)
        video_out.metadata.clear()
        streams: list[Stream] = [video]
        encoder = None
        if audio is not None:
            encoder = _audio_encoder(out, audio)
            streams.append(audio)
        sei = av.BitStreamFilterContext(_STRIP_SEI, video)
        clock = _Clock(settings)
        offset = (source.start_time or 0) / 1_000_000
        for packet in source.demux(streams):
            if packet.stream is video:
                if packet.dts is None or packet.size == 0:
                    continue
                _shift(packet, offset)
                clock.tick(float(packet.pts * packet.time_base) if packet.pts is not None
                           else None)
                for clean in sei.filter(packet):
                    _mux(out, clean, video_out, packet.time_base)
            elif encoder is not None:
                for frame in packet.decode():
                    if isinstance(frame, AudioFrame):
                        _feed_audio(encoder, frame, offset, settings)
        for clean in sei.filter(None):
            _mux(out, clean, video_out, video.time_base)
        clock.finish()
        if encoder is not None:
            encoder.finish()


def _audio_encoder(out: OutputContainer, audio: AudioStream) -> _AudioEncoder:
    """AAC beside the pictures: mono stays mono, anything else becomes stereo."""
    layout = "mono" if audio.codec_context.channels == 1 else "stereo"
    rate = 44_100 if audio.codec_context.sample_rate == 44_100 else 48_000
    return _AudioEncoder(rate, layout, [(out, _add_aac(out, rate, layout))])


def _feed_audio(
    encoder: _AudioEncoder, frame: AudioFrame, start: float, settings: Settings
) -> None:
    """One decoded sound frame of a video, in step with the pictures (which start at 0)."""
    at = frame.time - start if frame.time is not None else None
    if at is not None and at > _past(settings.video_seconds_max):
        raise MediaFailed(_ran_past(settings.video_seconds_max, Kind.video))
    encoder.feed(frame, at)
    if encoder.seconds > _past(settings.video_seconds_max):
        raise MediaFailed(_ran_past(settings.video_seconds_max, Kind.video))


def _image_of(frame: VideoFrame) -> Image.Image:
    """A decoded frame as a Pillow image (PyAV does not type to_image)."""
    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
    return image


def _shift(packet: Packet[Any], offset: float) -> None:
    if not offset or not packet.time_base:
        return
    ticks = round(offset / packet.time_base)
    if packet.pts is not None:
        packet.pts -= ticks
    if packet.dts is not None:
        packet.dts -= ticks


def _mux(
    out: OutputContainer, packet: Packet[Any], stream: Stream, time_base: Fraction | None
) -> None:
    if time_base is not None:
        packet.time_base = time_base
    packet.stream = stream
    out.mux(packet)


def _transcode(path: Path, dest: Path, settings: Settings, found: _Inspection) -> Image.Image:
    """Decode, turn upright, scale to at most `video_output_edge` on the short side, and
    encode H.264 (yuv420p) + AAC. Returns the poster frame."""
    probe_ = found.probe
    with (
        _open(path, found.demuxer) as source,
        av.open(str(dest), "w", format="mp4", container_options=_MP4_OPTIONS) as out,
    ):
        video = _pick_video(source)
        assert video is not None
        audio = _pick_audio(source) if probe_.audio_codec else None
        video.codec_context.thread_type = "AUTO"
        width, height = _output_size(found, settings)
        rate = _frame_rate(video, settings)
        video_out = out.add_stream("libx264", rate=rate, options=_X264_OPTIONS)
        video_out.width, video_out.height, video_out.pix_fmt = width, height, "yuv420p"
        time_base = Fraction(1, 90_000)
        video_out.codec_context.time_base = time_base
        video_out.time_base = time_base
        encoder = None
        streams: list[Stream] = [video]
        if audio is not None:
            encoder = _audio_encoder(out, audio)
            streams.append(audio)
        shaper = _Shaper(found.upright, width, height)
        sei = av.BitStreamFilterContext(_STRIP_SEI, "h264")
        clock = _Clock(settings)
        start = (source.start_time or 0) / 1_000_000
        poster: Image.Image | None = None  # the frame at poster_at...
        first: Image.Image | None = None  # ...or the first, if the clip ends sooner
        poster_at = min(_POSTER_SECONDS, (probe_.duration or 0) / 10)
        last_pts = -1
        step = max(1, round(1 / (rate * time_base)))  # one frame, for frames without a time

        def write(packets: list[Packet[Any]]) -> None:
            for packet in packets:
                for clean in sei.filter(packet):
                    _mux(out, clean, video_out, packet.time_base)

        for packet in source.demux(streams):
            for frame in packet.decode():
                if isinstance(frame, VideoFrame):
                    _check_frame_size(frame.width, frame.height, settings, MediaFailed)
                    seconds = frame.time - start if frame.time is not None else None
                    clock.tick(seconds)
                    upright = shaper(frame)
                    pts = round(seconds / time_base) if seconds is not None else last_pts + step
                    pts = max(pts, last_pts + 1)
                    last_pts = pts
                    upright.pts, upright.time_base = pts, time_base
                    if first is None:
                        first = _image_of(upright)
                    if poster is None and (seconds or 0) >= poster_at:
                        poster = _image_of(upright)
                    write(video_out.encode(upright))
                elif encoder is not None and isinstance(frame, AudioFrame):
                    _feed_audio(encoder, frame, start, settings)
        clock.finish()
        write(video_out.encode(None))
        for clean in sei.filter(None):
            _mux(out, clean, video_out, time_base)
        if encoder is not None:
            encoder.finish()
    poster = poster or first
    if poster is None:
        raise MediaFailed("The video has no pictures in it that we could decode.")
    return poster


def _output_size(found: _Inspection, settings: Settings) -> tuple[int, int]:
    """Upright, square pixels, at most `video_output_edge` on the short side, even sizes."""
    probe_ = found.probe
    assert probe_.width and probe_.height
    width, height = float(probe_.width), float(probe_.height)
    aspect = found.sample_aspect
    if aspect and aspect > 0 and aspect != 1:
        width *= float(aspect)
    if probe_.rotation in (90, 270):
        width, height = height, width
    scale = min(1.0, settings.video_output_edge / min(width, height))
    return _even(width * scale), _even(height * scale)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def _frame_rate(stream: VideoStream, settings: Settings) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or Fraction(30)
    if not 0 < rate <= settings.video_fps_max + 0.5:
        rate = Fraction(30)
    return Fraction(rate).limit_denominator(1001)


class _Shaper:
    """A filter graph per input shape: turn upright, scale, yuv420p. Rebuilt if a stream
    changes size midway (the output size never changes)."""

    def __init__(self, upright: tuple[tuple[str, str | None], ...], width: int, height: int):
        self.upright, self.width, self.height = upright, width, height
        self._graph: Graph | None = None
        self._shape: tuple[int, int, str] | None = None

    def __call__(self, frame: VideoFrame) -> VideoFrame:
        shape = (frame.width, frame.height, frame.format.name)
        if self._graph is None or shape != self._shape:
            self._graph = self._build(frame)
            self._shape = shape
        self._graph.vpush(frame)
        return self._graph.vpull()

    def _build(self, frame: VideoFrame) -> Graph:
        graph = Graph()
        nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format,
                                  time_base=Fraction(1, 90_000))]
        nodes += [graph.add(name, args) for name, args in self.upright]
        nodes += [
            graph.add("scale", f"{self.width}:{self.height}"),
            graph.add("format", "yuv420p"),
            graph.add("buffersink"),
        ]
        graph.link_nodes(*nodes).configure()
        return graph


def _poster_from(path: Path, found: _Inspection, duration: float) -> Image.Image:
    """The frame at 1 s (or a tenth of a shorter clip), for files that were not decoded."""
    target = min(_POSTER_SECONDS, duration / 10)
    with _open(path, found.demuxer) as source:
        video = _pick_video(source)
        assert video is not None
        start = (source.start_time or 0) / 1_000_000
        chosen: VideoFrame | None = None
        for frame in source.decode(video):
            chosen = frame
            if frame.time is None or frame.time - start >= target:
                break
        if chosen is None:
            raise MediaFailed("The video has no pictures in it that we could decode.")
        return _image_of(chosen)


# Shared helpers ---------------------------------------------------------------------------


def _decoded(source: InputContainer, stream: Stream) -> Iterator[Any]:
    for packet in source.demux(stream):
        yield from packet.decode()


def _png(image: Image.Image, settings: Settings) -> bytes:
    image = image.convert("RGB")
    image.thumbnail((settings.display_edge, settings.display_edge))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _image(png: bytes, settings: Settings, label: str) -> ProcessedImage:
    return process_image(
        png, max_bytes=settings.image_bytes_max, max_pixels=settings.image_pixels_max,
        display_edge=settings.display_edge, thumb_edge=settings.thumb_edge, label=label,
    )


def _duration_of(path: Path) -> float:
    with av.open(str(path)) as result:
        if result.duration:
            return result.duration / 1_000_000
        return max(
            (float(s.duration * s.time_base) for s in result.streams if s.duration and s.time_base),
            default=0.0,
        )


def _remove(paths: list[Path]) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _describe(exc: Exception) -> str:
    """FFmpeg's words without the file name (a path means nothing to a moderator)."""
    if isinstance(exc, av.FFmpegError):
        return str(exc.strerror or "FFmpeg error").rstrip(".").lower()
    return type(exc).__name__


def _past(seconds_max: float) -> float:
    """A header may lie, so decoding stops a little past the limit (not exactly at it: encoder
    delay and rounding make honest files run a few milliseconds over what they declare)."""
    return seconds_max * 1.01 + 1.0


def _seconds_max(settings: Settings, kind: Kind) -> float:
    return settings.video_seconds_max if kind is Kind.video else settings.audio_seconds_max


def _noun(kind: Kind) -> str:
    return "video" if kind is Kind.video else "sound file"


def _not_accepted(kind: Kind) -> str:
    if kind is Kind.video:
        return ("This is not a video we can take: send MP4, MOV, WebM or 3GP "
                "(what phones, cameras and browsers make).")
    return "This is not a sound file we can take: send MP3, M4A, WAV, FLAC, Ogg or WebM."


def _ran_past(seconds_max: float, kind: Kind) -> str:
    return (
        f"{_noun(kind).capitalize()}s may be at most {_span(seconds_max)} long; this one "
        "turned out longer than its header said."
    )




def _span(seconds: float) -> str:
    """10 minutes; 1 minute 30 seconds; 20 hours; 4.5 seconds."""
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.3g} second{'' if seconds == 1 else 's'}"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "hour"), (minutes, "minute"), (secs, "second")]
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n)
