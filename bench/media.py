"""Media benchmarks: upload memory (multipart and tus), remux vs transcode, audio, range serving.

Every figure sits beside an anchor measured in the same run (the machine is shared and noisy):
PyAV's demux, decode and plain encode floors for processing, a 1 MB upload on the same path
for memory, and Starlette's bare FileResponse and a plain disk read for serving. Media are
generated with FFmpeg's own test sources through PyAV (nothing binary is committed) in a
temporary folder that is removed.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import av
import httpx
from av.filter import Graph
from sqlalchemy import text

from bench.server import serve, serve_floor
from scrapbook.cli import run_migrations
from scrapbook.core.config import Settings
from scrapbook.core.db import make_engine
from scrapbook.core.security import hash_token, new_public_id
from scrapbook.media import av as media_av
from scrapbook.vocabulary import Kind

PARTS = ("upload", "video", "audio", "range")
MB = 1_000_000
MIB = 1024 * 1024
UPLOAD_BYTES = 499_000_000  # just under the default video limit (500 MB)
UPLOAD_TARGET_MB = 64  # issue 7: a 500 MB upload raises the server's peak RSS by less than this
TUS_CHUNK = 8 * MIB
RANGE_FILE_BYTES = 50 * MB
RANGE_SLICE = MB

Result = tuple[str, str]


# --- Generated media -------------------------------------------------------------------------


def _source(spec: str, audio: bool) -> Iterator[Any]:
    """Frames from one of FFmpeg's source filters (testsrc2, aevalsrc, ...), made in C."""
    graph = Graph()
    name, _, args = spec.partition("=")
    source = graph.add(name, args)
    sink = graph.add("abuffersink" if audio else "buffersink")
    source.link_to(sink)
    graph.configure()
    while True:
        try:
            yield sink.pull()
        except (av.EOFError, BlockingIOError):
            return


def _tones(seconds: float, rate: int) -> str:
    """A chord with a little noise on two channels: harder to compress than a plain sine."""
    left = "0.25*sin(2*PI*220*t)+0.15*sin(2*PI*277*t)+0.05*(random(0)-0.5)"
    right = "0.25*sin(2*PI*330*t)+0.15*sin(2*PI*415*t)+0.05*(random(1)-0.5)"
    return f"aevalsrc={left}|{right}:s={rate}:d={seconds}:c=stereo"


def make_video(
    path: Path, *, seconds: float, width: int, height: int, fps: int = 30,
    rotation: int | None = None,
) -> Path:
    """H.264 (yuv420p) + AAC in MP4, `moov` first, interleaved like a phone's; `rotation` adds
    a display matrix (a portrait phone clip, which must be transcoded)."""
    opts = {"movflags": "+faststart"}
    with av.open(str(path), "w", format="mp4", container_options=opts) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "23"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation is not None:
            video.set_display_rotation(rotation)
        audio = out.add_stream("aac", rate=48_000, layout="stereo")
        frames = _source(f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}", False)
        sound = _source(_tones(seconds, 48_000), True)
        pending_sound: Any = None
        for index, frame in enumerate(frames):
            frame.pts, frame.time_base = index, Fraction(1, fps)
            out.mux(video.encode(frame))
            # Interleave: sound up to this frame's time.
            while True:
                pending_sound = pending_sound or next(sound, None)
                if pending_sound is None or pending_sound.time > (index + 1) / fps:
                    break
                out.mux(audio.encode(pending_sound))
                pending_sound = None
        for rest in ([pending_sound] if pending_sound else []) + list(sound):
            out.mux(audio.encode(rest))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))
    return path


def make_audio(path: Path, *, fmt: str, codec: str, seconds: float) -> Path:
    rate = 44_100
    with av.open(str(path), "w", format=fmt) as out:
        stream: Any = out.add_stream(codec, rate=rate, layout="stereo")
        for frame in _source(_tones(seconds, rate), True):
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def pad_with_free_box(small: Path, dest: Path, total: int) -> Path:
    """`small` followed by one top-level `free` box up to `total` bytes: still a valid MP4 (a
    reader skips free/skip boxes), as large as we like in no time (the zeros are sparse)."""
    head = small.read_bytes()
    box = total - len(head)
    assert 8 <= box < 2**32
    with dest.open("wb") as out:
        out.write(head)
        out.write(struct.pack(">I4s", box, b"free"))
        out.truncate(total)
    return dest


# --- Timing helpers --------------------------------------------------------------------------


def _paired(
    measure: Callable[[], object], *anchors: Callable[[], object], repeats: int,
    warm: bool = False,
) -> tuple[float, ...]:
    """Median seconds of `measure` and of each anchor, run in turn so all see the same noise."""
    if warm:  # first requests: connections, the server's lazy imports
        for call in (*anchors, measure):
            call()
    samples: list[list[float]] = [[] for _ in range(1 + len(anchors))]
    for _ in range(repeats):
        for i, call in enumerate((*anchors, measure)):
            start = time.perf_counter()
            call()
            samples[i].append(time.perf_counter() - start)
    medians = [statistics.median(times) for times in samples]
    return (medians[-1], *medians[:-1])


def demux_all(path: Path) -> int:
    """The physical floor: read every packet, decode nothing."""
    count = 0
    with av.open(str(path)) as source:
        for packet in source.demux():
            count += packet.size > 0
    return count


def copy_streams(path: Path, dest: Path, *, encode_sound: bool = False) -> None:
    """A plain PyAV remux: video packets copied into a new MP4, and the sound copied too, or
    decoded and encoded again as AAC (what the pipeline's remux does), with no checks."""
    with av.open(str(path)) as source, av.open(str(dest), "w", format="mp4") as out:
        video_in, audio_in = source.streams.video[0], source.streams.audio[0]
        video = out.add_stream_from_template(video_in)
        audio: Any = (out.add_stream("aac", rate=audio_in.rate, layout="stereo")
                      if encode_sound else out.add_stream_from_template(audio_in))
        for packet in source.demux(video_in, audio_in):
            if packet.dts is None:
                continue
            if packet.stream is video_in:
                packet.stream = video
                out.mux(packet)
            elif not encode_sound:
                packet.stream = audio
                out.mux(packet)
            else:
                for frame in packet.decode():
                    assert isinstance(frame, av.AudioFrame)
                    frame.pts = None
                    out.mux(audio.encode(frame))
        if encode_sound:
            out.mux(audio.encode(None))


def decode_all(path: Path) -> int:
    """The decode floor: every video and audio frame decoded (threads as the pipeline uses)."""
    count = 0
    with av.open(str(path)) as source:
        for stream in source.streams.video:
            stream.codec_context.thread_type = "AUTO"
        for packet in source.demux():
            count += len(packet.decode())
    return count


def transcode_floor(path: Path, dest: Path) -> None:
    """Decode, then encode as the pipeline does (libx264 veryfast CRF 23, AAC) with no
    filter, checks, poster or metadata work: what any transcode of this clip costs."""
    with av.open(str(path)) as source, av.open(str(dest), "w", format="mp4") as out:
        video_in = source.streams.video[0]
        video_in.codec_context.thread_type = "AUTO"
        video = out.add_stream("libx264", rate=video_in.average_rate,
                               options={"preset": "veryfast", "crf": "23"})
        video.width, video.height = video_in.codec_context.width, video_in.codec_context.height
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=48_000, layout="stereo")
        audio.bit_rate = 128_000
        for packet in source.demux(video_in, source.streams.audio[0]):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    out.mux(video.encode(frame))
                elif isinstance(frame, av.AudioFrame):
                    frame.pts = None
                    out.mux(audio.encode(frame))
        out.mux(video.encode(None))
        out.mux(audio.encode(None))


def audio_encode_floor(path: Path, work: Path) -> None:
    """Decode once, encode AAC (M4A) and Opus (WebM) at the pipeline's bit rates, nothing else."""
    with (
        av.open(str(path)) as source,
        av.open(str(work / "floor.m4a"), "w", format="mp4") as m4a,
        av.open(str(work / "floor.webm"), "w", format="webm") as webm,
    ):
        aac = m4a.add_stream("aac", rate=44_100, layout="stereo")
        aac.bit_rate = 128_000
        opus = webm.add_stream("libopus", rate=48_000, layout="stereo")
        opus.bit_rate = 96_000
        for frame in source.decode(audio=0):
            frame.pts = None
            m4a.mux(aac.encode(frame))
            webm.mux(opus.encode(frame))
        m4a.mux(aac.encode(None))
        webm.mux(opus.encode(None))


def _process(path: Path, work: Path, settings: Settings, kind: Kind) -> media_av.ProcessedAV:
    out = work / "out"
    try:
        return media_av.process(path, out, settings, kind)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _process_into(
    made: list[media_av.ProcessedAV], path: Path, work: Path, settings: Settings, kind: Kind
) -> None:
    made.append(_process(path, work, settings, kind))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


# --- 2 & 3: processing -----------------------------------------------------------------------


def bench_video(work: Path, repeats: int) -> list[Result]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    seconds, width, height = 10, 1280, 720
    plain = make_video(work / "plain.mp4", seconds=seconds, width=width, height=height)
    portrait = make_video(work / "portrait.mp4", seconds=seconds, width=width, height=height,
                          rotation=-90)
    results: list[Result] = []
    made: list[media_av.ProcessedAV] = []
    floor_file = work / "floor.mp4"

    took, demux, copy, copy_aac = _paired(
        lambda: made.append(_process(plain, work, settings, Kind.video)),
        lambda: demux_all(plain),
        lambda: copy_streams(plain, floor_file),
        lambda: copy_streams(plain, floor_file, encode_sound=True),
        repeats=repeats,
    )
    assert made[-1].remuxed, "the plain clip should take the remux path"
    size = plain.stat().st_size / MB
    results.append((
        f"av.process remux, {seconds} s {width}x{height} 30 fps H.264+AAC MP4 ({size:.0f} MB)",
        f"{_ms(took)}; demux floor {_ms(demux)} (x{took / demux:.0f}); "
        f"stream copy {_ms(copy)} (x{took / copy:.0f}); "
        f"video copy + sound to AAC {_ms(copy_aac)} (x{took / copy_aac:.1f})",
    ))

    took, decode, encode = _paired(
        lambda: made.append(_process(portrait, work, settings, Kind.video)),
        lambda: decode_all(portrait),
        lambda: transcode_floor(portrait, floor_file),
        repeats=repeats,
    )
    assert not made[-1].remuxed, "the rotated clip should be transcoded"
    floor_file.unlink()
    results.append((
        f"av.process transcode, same clip rotated 90° -> {made[-1].width}x{made[-1].height}",
        f"{_ms(took)}; decode-only floor {_ms(decode)} (x{took / decode:.1f}); "
        f"decode + x264 veryfast + AAC floor {_ms(encode)} (x{took / encode:.2f}); "
        f"{seconds / took:.1f}x real time",
    ))
    return results


def bench_audio(work: Path, repeats: int) -> list[Result]:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    seconds = 60
    files = {
        "MP3 (LAME, 44.1 kHz stereo)": make_audio(work / "song.mp3", fmt="mp3",
                                                  codec="libmp3lame", seconds=seconds),
        "WAV (PCM s16, 44.1 kHz stereo)": make_audio(work / "take.wav", fmt="wav",
                                                     codec="pcm_s16le", seconds=seconds),
    }
    results: list[Result] = []
    made: list[media_av.ProcessedAV] = []
    for name, path in files.items():
        took, decode, encode = _paired(
            partial(_process_into, made, path, work, settings, Kind.audio),
            partial(decode_all, path),
            partial(audio_encode_floor, path, work),
            repeats=repeats,
        )
        outputs = "+".join(f.name for f in made[-1].files)
        results.append((
            f"av.process {seconds} s {name} -> {outputs} + waveform",
            f"{_ms(took)}; decode-only floor {_ms(decode)} (x{took / decode:.0f}); "
            f"decode + AAC + Opus floor {_ms(encode)} (x{took / encode:.2f}); "
            f"{seconds / took:.0f}x real time",
        ))
    return results


# --- 1: upload memory ------------------------------------------------------------------------


class Watch:
    """A server process's resident memory from /proc: the kernel's peak (VmHWM, reset through
    clear_refs), cross-checked by polling VmRSS every 50 ms. The poller also adds up the files
    the process holds open in the system temp dir (unlinked, so invisible to `ls`): a tmpfs
    /tmp would hold those bytes in RAM, outside the process's RSS."""

    def __init__(self, pid: int, temp_dir: Path) -> None:
        self.pid = pid
        self.temp_dir = str(temp_dir)
        self.polled = 0
        self.temp_peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _field(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{name} not in /proc/{self.pid}/status")

    def rss(self) -> int:
        return self._field("VmRSS")

    def hwm(self) -> int:
        return max(self._field("VmHWM"), self.polled)

    def reset(self) -> int:
        """Make the current RSS the peak (Linux clear_refs 5) and forget the temp peak."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.polled = now = self.rss()
        self.temp_peak = 0
        return now

    def _temp_bytes(self) -> int:
        fds = Path(f"/proc/{self.pid}/fd")
        total = 0
        for fd in fds.iterdir():
            try:
                if os.readlink(fd).startswith(self.temp_dir):
                    total += fd.stat().st_blocks * 512
            except OSError:
                continue  # closed meanwhile
        return total

    def __enter__(self) -> Watch:
        def poll() -> None:
            while not self._stop.wait(0.05):
                self.polled = max(self.polled, self.rss())
                self.temp_peak = max(self.temp_peak, self._temp_bytes())

        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _multipart(client: httpx.Client, path: Path) -> httpx.Response:
    with path.open("rb") as fh:
        return client.post(
            "/api/contributions",
            data={"kind": "video", "form": "film", "consent": "true", "title": "bench"},
            files={"files": ("clip.mp4", fh, "video/mp4")},
        )


_TUS = {"Tus-Resumable": "1.0.0"}


def _read_span(fh: BinaryIO, length: int) -> Iterator[bytes]:
    """`length` bytes of a file in 1 MiB pieces: a PATCH body streamed as a real client does
    (one huge `bytes` makes httpx itself slow: seconds of client CPU for 200 MB)."""
    while length > 0:
        piece = fh.read(min(MIB, length))
        if not piece:
            return
        length -= len(piece)
        yield piece


def _tus(client: httpx.Client, path: Path, chunk_bytes: int = TUS_CHUNK) -> httpx.Response:
    size = path.stat().st_size
    made = client.post("/api/uploads/", headers={**_TUS, "Upload-Length": str(size)})
    assert made.status_code == 201, made.text
    location = made.headers["location"]
    offset = 0
    with path.open("rb") as fh:
        while offset < size:
            length = min(chunk_bytes, size - offset)
            sent = client.patch(location, content=_read_span(fh, length), headers={
                **_TUS, "Upload-Offset": str(offset), "Content-Length": str(length),
                "Content-Type": "application/offset+octet-stream",
            })
            assert sent.status_code == 204, sent.text
            offset = int(sent.headers["upload-offset"])
    return client.post(
        "/api/contributions",
        data={"kind": "video", "form": "film", "consent": "true", "title": "bench",
              "upload_id": location.rsplit("/", 1)[1]},
        files={"_": ("", b"", "application/octet-stream")},
    )


def bench_upload(work: Path) -> list[Result]:
    small = make_video(work / "small.mp4", seconds=2, width=320, height=240)
    anchor_file = pad_with_free_box(small, work / "one-mb.mp4", MB)
    big = pad_with_free_box(small, work / "big.mp4", UPLOAD_BYTES)
    results: list[Result] = []
    paths: list[tuple[str, Callable[[httpx.Client, Path], httpx.Response]]] = [
        ("multipart POST /api/contributions", _multipart),
        ("tus PATCH /api/uploads/ (8 MiB chunks) + attach", _tus),
        # What a tus client without a chunk size sends: the whole file in one PATCH.
        ("tus, one PATCH of the whole file + attach", partial(_tus, chunk_bytes=UPLOAD_BYTES)),
    ]
    for name, send in paths:
        root = work / "server"
        url = f"sqlite:///{root}/bench.db"
        root.mkdir()
        try:
            with serve(url, root) as (proc, base), httpx.Client(base_url=base, timeout=300) as c:
                with Watch(proc.pid, root / "tmp") as watch:
                    baseline = watch.reset()
                    answer = send(c, anchor_file)
                    assert answer.status_code == 202, answer.text
                    anchor_peak = watch.hwm()
                    start = time.perf_counter()
                    answer = send(c, big)
                    took = time.perf_counter() - start
                    assert answer.status_code == 202, answer.text
                    peak = watch.hwm()
                    after = watch.rss()
        finally:
            shutil.rmtree(root, ignore_errors=True)
        delta = (peak - baseline) / MB
        met = "met" if delta < UPLOAD_TARGET_MB else "MISSED"
        results.append((
            f"upload memory, {name}, {UPLOAD_BYTES / MB:.0f} MB video (202)",
            f"RSS idle {baseline / MB:.0f} MB, peak {peak / MB:.0f} MB: +{delta:.1f} MB "
            f"(target < {UPLOAD_TARGET_MB} MB: {met}); anchor, a 1 MB upload just before: "
            f"+{(anchor_peak - baseline) / MB:.1f} MB; RSS after {after / MB:.0f} MB; "
            f"{UPLOAD_BYTES / MB / took:.0f} MB/s; held in the system temp dir: "
            f"{watch.temp_peak / MB:.0f} MB",
        ))
    return results


# --- 4: range serving ------------------------------------------------------------------------


def _seed_video_variant(url: str, uploads: Path, size: int) -> tuple[str, Path]:
    """An approved contribution with one ready video whose variant is `size` random bytes."""
    asset_id = new_public_id()
    key = f"{asset_id[:2]}/{asset_id}/video-{new_public_id()[:8]}.mp4"
    path = uploads / key
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for _ in range(size // MB):
            out.write(os.urandom(MB))
    engine = make_engine(url)
    today = dt.date.today()
    with engine.begin() as conn:
        pk = conn.execute(text(
            "INSERT INTO contribution (id, kind, form, title, body, licence, status, channel, "
            "received_on, published_on, published_seq, receipt_hash, at_risk, version) VALUES "
            "(:id, 'video', 'film', 'bench', '', 'cc-by-4.0', 'approved', 'web', :today, :today, "
            "1, :receipt, false, 1) RETURNING pk"
        ), {"id": new_public_id(), "today": today, "receipt": hash_token(new_public_id())}
        ).scalar_one()
        asset_pk = conn.execute(text(
            "INSERT INTO media_asset (id, contribution_pk, position, type, width, height, "
            "duration, state, attempts) VALUES (:id, :pk, 0, 'video', 1280, 720, 60, 'ready', 0) "
            "RETURNING pk"
        ), {"id": asset_id, "pk": pk}).scalar_one()
        conn.execute(text(
            "INSERT INTO media_variant (asset_pk, name, key, content_type, width, height, bytes, "
            "etag) VALUES (:asset, 'video', :key, 'video/mp4', 1280, 720, :bytes, :etag)"
        ), {"asset": asset_pk, "key": key, "bytes": size, "etag": "0" * 32})
    engine.dispose()
    return key, path


def _read_file(path: Path, start: int = 0, length: int | None = None) -> int:
    """The anchor: the same bytes read from disk in Python, in the server's 64 KiB chunks."""
    remaining = path.stat().st_size - start if length is None else length
    with path.open("rb") as fh:
        fh.seek(start)
        while remaining > 0:
            chunk = fh.read(min(64 * 1024, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    return remaining


def bench_range(work: Path, requests: int) -> list[Result]:
    root = work / "server"
    url = f"sqlite:///{root}/bench.db"
    root.mkdir()
    results: list[Result] = []
    middle = RANGE_FILE_BYTES // 2
    slice_header = {"Range": f"bytes={middle}-{middle + RANGE_SLICE - 1}"}

    def whole(client: httpx.Client, url: str) -> None:
        got = 0
        with client.stream("GET", url) as answer:
            assert answer.status_code == 200, answer.status_code
            for chunk in answer.iter_raw():
                got += len(chunk)
        assert got == RANGE_FILE_BYTES

    def part(client: httpx.Client, url: str) -> None:
        answer = client.get(url, headers=slice_header)
        assert answer.status_code == 206 and len(answer.content) == RANGE_SLICE

    try:
        run_migrations(url)
        key, path = _seed_video_variant(url, root / "uploads", RANGE_FILE_BYTES)
        with (
            serve(url, root) as (_, base),
            serve_floor(path, root) as floor_base,
            httpx.Client(base_url=base, timeout=60) as app,
            httpx.Client(base_url=floor_base, timeout=60) as floor,
        ):
            media = f"/media/{key}"
            full, bare, disk = _paired(
                lambda: whole(app, media), lambda: whole(floor, "/file"),
                lambda: _read_file(path), repeats=max(5, requests // 10), warm=True,
            )
            results.append((
                f"GET /media/<key>, whole {RANGE_FILE_BYTES // MB} MB video (local storage)",
                f"{_ms(full)} ({RANGE_FILE_BYTES / MB / full:.0f} MB/s); Starlette FileResponse "
                f"{_ms(bare)} (x{full / bare:.1f}); read from disk in Python {_ms(disk)} "
                f"(x{full / disk:.0f})",
            ))
            one, bare, disk = _paired(
                lambda: part(app, media), lambda: part(floor, "/file"),
                lambda: _read_file(path, middle, RANGE_SLICE), repeats=requests, warm=True,
            )
            results.append((
                "GET /media/<key> with Range: 1 MB from the middle (206)",
                f"{one * 1000:.1f} ms; Starlette FileResponse {bare * 1000:.1f} ms "
                f"(x{one / bare:.1f}); read from disk {disk * 1000:.2f} ms (x{one / disk:.0f})",
            ))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def bench_media(parts: tuple[str, ...] = PARTS, repeats: int = 3,
                requests: int = 50) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="scrapbook-bench-") as tmp:
        work = Path(tmp)
        if "upload" in parts:
            results += bench_upload(work)
        if "video" in parts:
            results += bench_video(work, repeats)
        if "audio" in parts:
            results += bench_audio(work, repeats)
        if "range" in parts:
            results += bench_range(work, requests)
    return results
