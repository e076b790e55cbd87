"""Servers for the benchmarks, each in a subprocess on loopback: a real `scrapbook serve`, and
Starlette's bare FileResponse as the floor for serving files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BENCH_ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _running(
    args: list[str], env: dict[str, str], log_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Start `python <args> --port N`, wait for /api/health or /health, yield (process, base)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=BENCH_ROOT,
        )
        try:
            for _ in range(300):
                if proc.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"server exited:\n{tail}")
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 404:
                        httpx.get(f"{base}/health", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                raise RuntimeError("server did not start")
            try:
                yield proc, base
            except BaseException:
                log.flush()
                tail = log_path.read_text(errors="replace")[-4000:]
                print(f"--- {log_path.name} (last lines) ---\n{tail}", file=sys.stderr)
                raise
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def serve(url: str, root: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`scrapbook serve` (one uvicorn process: its pid is the server's); yields (process, base).

    Uploads, resumable uploads, the job queue and temporary files all live under `root`, and no
    job runs unless `worker_threads` is given: a benchmark measures one thing at a time.
    """
    tmp = root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SCRAPBOOK_DATABASE_URL": url,
        "SCRAPBOOK_UPLOADS_DIR": str(root / "uploads"),
        "SCRAPBOOK_TUS_DIR": str(root / "var" / "tus"),
        "SCRAPBOOK_QUEUE_PATH": str(root / "var" / "queue.db"),
        "SCRAPBOOK_WORKER_THREADS": "0",
        # One process (serve's default is one per core): its pid is the server whose memory
        # is measured, and the anchors run in one process too.
        "SCRAPBOOK_WEB_WORKERS": "1",
        "SCRAPBOOK_SECRET_KEY": "b" * 40,
        "SCRAPBOOK_SUBMISSIONS_PER_HOUR": "100000",
        "SCRAPBOOK_SUBMISSION_ATTEMPTS_PER_HOUR": "100000",
        "SCRAPBOOK_RECEIPTS_PER_HOUR": "100000",
        "SCRAPBOOK_RECEIVES_PER_CLIENT": "100",
        "SCRAPBOOK_LOG_LEVEL": "warning",
        "TMPDIR": str(tmp),  # multipart uploads spool here
        **{f"SCRAPBOOK_{name.upper()}": value for name, value in settings.items()},
    }
    with _running(["-m", "scrapbook.cli", "serve"], env, root / "server.log") as running:
        yield running


@contextmanager
def serve_floor(path: Path, root: Path) -> Iterator[str]:
    """bench/floor.py serving `path` at /file under uvicorn, as the app is served; yields base."""
    env = {**os.environ, "BENCH_FLOOR_FILE": str(path)}
    args = ["-m", "uvicorn", "bench.floor:app", "--log-level", "warning", "--no-access-log"]
    with _running(args, env, root / "floor.log") as (_, base):
        yield base
