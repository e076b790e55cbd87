"""Gallery throughput and a spike through the proxy, with wrk (issue 10, benchmarks 1 and 6).

Run: .venv/bin/python -m bench.throughput [--rows 3000] [--duration 5] [--spike-duration 30]
     [--spike-connections 2000] [--profile /tmp/gallery.txt]
Needs `wrk` and `nginx` (`make bench-deps`). Set SCRAPBOOK_BENCH_DATABASE_URL for PostgreSQL (its
contribution tables are emptied first).

1. Throughput: `wrk -t2 -c32 -d<duration>s --timeout 10s --latency` against one uvicorn
   process serving the app with two bare routes beside it (bench/bare.py): the gallery's first
   page, a deep cursor page and a region + tag page, against `/bench/bytes` (the same first page
   as ready bytes) and `/bench/dicts` (the same page as a dict FastAPI encodes). Once with the
   public read cache on (the default), once in a fresh server with
   `SCRAPBOOK_PUBLIC_CACHE_BYTES=0`. Runs are interleaved (anchor, page, anchor, page, ...) in
   `--rounds` rounds; each figure is the median.
   Ratios: cached / bytes route (target >= 0.8), uncached / dicts route (target >= 1.0).
2. Spike: `wrk -t2 -c2000 -d30s --timeout 10s --latency` on the gallery through nginx on
   loopback (deploy/nginx.conf's site server, written for loopback into a temporary folder) in
   front of `scrapbook serve --workers 2`, while a thread sends a text contribution through the
   proxy every 0.5 s. Reported: 5xx and non-2xx answers, socket errors, p99, submissions accepted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode

import httpx

from bench import server
from scrapbook.cli import run_migrations

CONNECTIONS = 32
TIMEOUT = "10s"  # wrk's default (2 s) would drop the slowest answers from the percentiles
ROUNDS = 3
WARM_UP_SECONDS = 1.0
SPIKE_CONNECTIONS = 2000
SPIKE_SECONDS = 30.0
SPIKE_TIMEOUT = "10s"
SUBMIT_EVERY = 0.5
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # sbin: not on every user's PATH
# `scrapbook serve`'s uvicorn options (scrapbook/cli.py), for the factory with the bare routes.
BARE_SERVER = [
    "-m", "uvicorn", "--factory", "bench.bare:create_bench_app", "--host", "127.0.0.1",
    "--no-access-log", "--no-server-header", "--no-proxy-headers", "--log-level", "warning",
]
SPIKE_SERVER = ["-m", "scrapbook.cli", "serve", "--workers", "2"]
ANCHORS = {"bytes": "bare route, ready bytes", "dicts": "bare route, list of dicts"}
PAGES = {"first": "gallery first page", "deep": "gallery deep cursor page",
         "filtered": "gallery region + tag page"}
ORDER = ("bytes", "first", "dicts", "deep", "filtered")  # anchors between the pages


# ---------------------------------------------------------------------------------------- wrk


@dataclass
class WrkRun:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    output: str = ""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> WrkRun:
    def grab(pattern: str) -> str | None:
        found = re.search(pattern, output, re.MULTILINE)
        return found.group(1) if found else None

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkRun(
        rps=float(grab(r"^Requests/sec:\s+([\d.]+)") or 0),
        p50_ms=_ms(grab(r"^\s+50%\s+(\S+)") or "0us"),
        p99_ms=_ms(grab(r"^\s+99%\s+(\S+)") or "0us"),
        requests=int(grab(r"^\s+(\d+) requests in") or 0),
        non_2xx=int(grab(r"Non-2xx or 3xx responses: (\d+)") or 0),
        statuses={int(status): int(n)
                  for status, n in re.findall(r"^status (\d+) (\d+)$", output, re.M)},
        socket_errors=dict(zip(("connect", "read", "write", "timeout"),
                               map(int, errors.groups()), strict=True)) if errors else {},
        output=output,
    )


# Counts answers by status (wrk itself only counts "Non-2xx or 3xx"). Each wrk thread has its
# own Lua state; done() sums them and prints one "status N count" line per status.
COUNT_STATUSES = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("status %d %d\\n", status, n)) end
end
"""


def wrk(
    url: str, connections: int, duration: float, timeout: str | None = None,
    statuses: Path | None = None,
) -> WrkRun:
    """One wrk run; with `statuses` (a path to write the Lua script to), answers by status."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if timeout:
        args += ["--timeout", timeout]
    if statuses:
        statuses.write_text(COUNT_STATUSES)
        args += ["-s", str(statuses)]
    done = subprocess.run([*args, url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def _median(runs: list[WrkRun]) -> tuple[float, float, float]:
    return (statistics.median(r.rps for r in runs), statistics.median(r.p50_ms for r in runs),
            statistics.median(r.p99_ms for r in runs))


# ------------------------------------------------------------------------------------ servers


@contextmanager
def _serve_command(
    url: str, root: Path, command: list[str], **settings: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """bench.server.serve (its environment, limits lifted, and its start-up wait), running
    `command` instead of a one-worker `scrapbook serve`."""
    running = server._running

    def ours(args: list[str], env: dict[str, str], log_path: Path):  # type: ignore[no-untyped-def]
        return running(command, env, log_path)

    with mock.patch.object(server, "_running", ours), \
            server.serve(url, root, **settings) as started:
        yield started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# deploy/nginx.conf's site server, for loopback: a free port, the app's port as upstream, and
# every file nginx writes (pid, error log, temp folders) in a temporary folder. Errors are
# logged at `warn` (deploy logs only `crit`, for privacy) to say why a request failed.
NGINX_CONF = """\
daemon off;
worker_processes auto;
worker_rlimit_nofile {nofile};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
{user}
events {{
    worker_connections {worker_connections};
}}

http {{
    access_log off;
    server_tokens off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;

    client_header_timeout 10s;
    client_body_timeout 30s;
    send_timeout 60s;
    keepalive_timeout 30s;
    client_max_body_size 501m;
    proxy_request_buffering on;
    client_body_buffer_size 1m;

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_read_timeout 120s;

    server {{
        listen 127.0.0.1:{port} default_server;
        server_name _;
        set $app http://127.0.0.1:{app_port};

        location / {{
            proxy_pass $app;
        }}

        location /api/uploads/ {{
            proxy_request_buffering off;
            client_max_body_size 0;
            proxy_pass $app;
        }}
    }}
}}
"""


@contextmanager
def nginx(app_port: int, root: Path, connections: int) -> Iterator[str]:
    """nginx in front of 127.0.0.1:app_port, as a child process; yields its base URL."""
    root.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    # Run as root, nginx hands requests to an unprivileged user that could not enter our
    # private temporary folder; the workers stay root instead (loopback only, a benchmark).
    user = "user root;" if os.geteuid() == 0 else ""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        root=root, port=port, app_port=app_port, user=user, nofile=nofile,
        worker_connections=4 * connections + 1024,  # each client and its upstream, any worker
    ))
    command = [NGINX, "-p", str(root), "-e", str(root / "error.log"), "-c", str(conf)]
    subprocess.run([*command, "-t", "-q"], check=True)
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {(root / 'error.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("nginx did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _raise_open_files(needed: int) -> None:
    """wrk and nginx inherit this process's limit: one descriptor per connection and more."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} < {needed} needed for the spike")
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --------------------------------------------------------------------------------- throughput


def _check(client: httpx.Client, paths: dict[str, str]) -> None:
    """Every route answers 200 JSON, and the bare routes serve the gallery's first page."""
    bodies = {}
    for name, path in paths.items():
        answer = client.get(path)
        kind = answer.headers.get("content-type", "")
        if answer.status_code != 200 or not kind.startswith("application/json"):
            raise RuntimeError(f"{path}: {answer.status_code} {kind} {answer.text[:200]}")
        bodies[name] = answer.content
    if bodies["bytes"] != bodies["first"] or client.get(paths["dicts"]).json() != \
            client.get(paths["first"]).json():
        raise RuntimeError("the bare routes do not serve the gallery's first page")


def _deep_cursor(client: httpx.Client, rows: int) -> str:
    """A cursor about halfway down the gallery (24 a page)."""
    cursor = client.get("/api/gallery").json()["next_cursor"]
    for _ in range(max(0, rows // 48 - 1)):
        following = client.get("/api/gallery", params={"cursor": cursor}).json()["next_cursor"]
        cursor = following or cursor
    assert cursor, "the gallery has a single page: seed more rows"
    return str(cursor)


def _measure(
    base: str, paths: dict[str, str], duration: float, rounds: int
) -> dict[str, list[WrkRun]]:
    for name in ORDER:  # fill caches, warm the thread pool and the database connections
        wrk(base + paths[name], CONNECTIONS, WARM_UP_SECONDS)
    runs: dict[str, list[WrkRun]] = {name: [] for name in ORDER}
    for _ in range(rounds):
        for name in ORDER:
            run = wrk(base + paths[name], CONNECTIONS, duration, timeout=TIMEOUT)
            if run.non_2xx or not run.requests:
                raise RuntimeError(f"{paths[name]}: failures under load\n{run.output}")
            runs[name].append(run)
    return runs


def _profile(pid: int, out: Path, url: str, duration: float) -> None:
    """py-spy (from the venv or PATH) on the server during one more wrk run of `url`."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not spy:
        print("--profile: py-spy not found (pip install py-spy into .venv)")
        return
    seconds = max(2, round(duration * 2))
    record = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "-d", str(seconds), "-r", "200", "--nonblocking",
         "-f", "raw", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(1)  # py-spy attaches
    wrk(url, CONNECTIONS, seconds - 1)
    record.wait()


@dataclass
class Row:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    ratio: str = ""
    socket_errors: int = 0  # summed over the runs (timeouts included)


def throughput(
    url: str, root: Path, rows: int, duration: float, rounds: int, profile: Path | None
) -> list[Row]:
    table = []
    paths = {"bytes": "/bench/bytes", "dicts": "/bench/dicts", "first": "/api/gallery",
             "filtered": "/api/gallery?" + urlencode({"region": "devon", "tag": "tide"})}
    for mode, settings in (("cached", {}), ("uncached", {"public_cache_bytes": "0"})):
        with _serve_command(url, root / mode, BARE_SERVER, **settings) as (proc, base):
            with httpx.Client(base_url=base, timeout=30) as client:
                if "deep" not in paths:
                    paths["deep"] = "/api/gallery?" + urlencode(
                        {"cursor": _deep_cursor(client, rows)})
                _check(client, paths)
            runs = _measure(base, paths, duration, rounds)
            if profile and mode == "uncached":
                _profile(proc.pid, profile, base + paths["first"], duration)
        anchor = "bytes" if mode == "cached" else "dicts"
        target = 0.8 if mode == "cached" else 1.0
        anchor_rps = _median(runs[anchor])[0]
        for name in ("first", "deep", "filtered", "bytes", "dicts"):
            rps, p50, p99 = _median(runs[name])
            errors = sum(sum(run.socket_errors.values()) for run in runs[name])
            if name in PAGES:
                ratio = f"{rps / anchor_rps:.2f}x the {anchor} route (target >= {target})"
                table.append(Row(f"{PAGES[name]}, {mode}", rps, p50, p99, ratio, errors))
            else:
                table.append(Row(f"{ANCHORS[name]} ({mode} server)", rps, p50, p99, "", errors))
    return table


# -------------------------------------------------------------------------------------- spike


class Submitter(threading.Thread):
    """Sends a text contribution through the proxy every SUBMIT_EVERY seconds until stopped."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.stopping = threading.Event()
        self.statuses: list[int] = []  # 0: no answer (timeout, connection error)
        self.seconds: list[float] = []

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as client:
            i = 0
            while not self.stopping.wait(SUBMIT_EVERY):
                i += 1
                start = time.perf_counter()
                try:
                    status = client.post(
                        "/api/contributions",
                        data={"kind": "text", "form": "note", "body": f"spike {i}",
                              "consent": "true"},
                        files={"_": ("", b"", "application/octet-stream")},
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                self.statuses.append(status)
                self.seconds.append(time.perf_counter() - start)


def spike(url: str, root: Path, connections: int, duration: float) -> list[tuple[str, str]]:
    _raise_open_files(connections + 1024)
    with _serve_command(url, root / "spike", SPIKE_SERVER,
                        forwarded_allow_ips="127.0.0.1") as (_, base):
        app_port = int(base.rsplit(":", 1)[1])
        with nginx(app_port, root / "nginx", connections) as proxy:
            httpx.get(f"{proxy}/api/gallery", timeout=30).raise_for_status()
            wrk(f"{proxy}/api/gallery", CONNECTIONS, WARM_UP_SECONDS)
            submitter = Submitter(proxy)
            submitter.start()
            run = wrk(f"{proxy}/api/gallery", connections, duration, timeout=SPIKE_TIMEOUT,
                      statuses=root / "statuses.lua")
            submitter.stopping.set()
            submitter.join()
            logged = (root / "nginx" / "error.log").read_text(errors="replace").splitlines()
    by_status = ", ".join(f"{status}: {n}" for status, n in sorted(run.statuses.items()))
    status_5xx = sum(n for status, n in run.statuses.items() if status >= 500)
    accepted = sum(200 <= s < 300 for s in submitter.statuses)
    refused = [s for s in submitter.statuses if not 200 <= s < 300]
    errors = ", ".join(f"{k} {v}" for k, v in run.socket_errors.items()) or "none"
    problems = [line.split("] ", 1)[-1][:200] for line in logged
                if re.search(r"\[(error|crit|alert|emerg)\]", line)]
    seconds = sorted(submitter.seconds) or [0.0]
    return [
        (f"spike: {connections} connections on the gallery through nginx, {duration:g} s",
         f"{run.rps:.0f} req/s, {run.requests} answered, p50 {run.p50_ms:.0f} ms, "
         f"p99 {run.p99_ms:.0f} ms (of those answered within {SPIKE_TIMEOUT})"),
        ("spike: 5xx answers", f"{status_5xx} (all answers by status: {by_status or 'none'})"),
        ("spike: socket errors (connect, read, write, timeout)", errors),
        (f"spike: submissions during it (one every {SUBMIT_EVERY} s, through nginx)",
         f"{accepted} of {len(submitter.statuses)} accepted (2xx); others: "
         f"{refused or 'none'}; p50 {statistics.median(seconds) * 1000:.0f} ms, "
         f"max {seconds[-1] * 1000:.0f} ms"),
        ("spike: nginx error log", f"{len(problems)} error lines"
         + (f", first: {problems[0]}" if problems else "")),
    ]


# ---------------------------------------------------------------------------------------- run


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(
    url: str | None, rows: int, duration: float, *, rounds: int = ROUNDS,
    spike_connections: int = SPIKE_CONNECTIONS, spike_duration: float = SPIKE_SECONDS,
    profile: Path | None = None,
) -> list[tuple[str, str]]:
    """Benchmarks 1 and 6; prints a markdown table and returns (name, figure) pairs."""
    for tool in ("wrk", NGINX):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: make bench-deps")
    # Imported here: bench/__main__.py imports this module, and `python -m bench` runs it as
    # __main__, so a module-level import of bench.__main__ would go in a circle.
    from bench.__main__ import seed

    started = _load()
    with tempfile.TemporaryDirectory(prefix="scrapbook-throughput-") as tmp:
        root = Path(tmp)
        url = url or f"sqlite:///{root}/bench.db"
        run_migrations(url)
        seed(url, rows)
        table = throughput(url, root, rows, duration, rounds, profile)
        spiked = spike(url, root, spike_connections, spike_duration) if spike_duration else []
    ended = _load()
    results = [(f"{row.name} ({rows} rows)", f"{row.rps:.0f} req/s, p50 {row.p50_ms:.1f} ms, "
                f"p99 {row.p99_ms:.1f} ms" + (f"; {row.ratio}" if row.ratio else "")
                + (f"; {row.socket_errors} socket errors" if row.socket_errors else ""))
               for row in table]
    results += spiked
    results += [("load average at start / end (1, 5, 15 min)", f"{started} / {ended}")]

    backend = url.split(":", 1)[0]
    print(f"\n### Gallery throughput ({backend}, {os.cpu_count()} cores, {dt.date.today()}, "
          f"{rows} approved rows, wrk -t2 -c{CONNECTIONS} --timeout {TIMEOUT} --latency, "
          f"median of {rounds} runs of {duration:g} s)\n")
    print("| what | req/s | p50 | p99 | ratio | socket errors |\n|---|---|---|---|---|---|")
    for row in table:
        print(f"| {row.name} | {row.rps:.0f} | {row.p50_ms:.1f} ms | {row.p99_ms:.1f} ms | "
              f"{row.ratio} | {row.socket_errors} |")
    if spiked:
        print("\n| spike | result |\n|---|---|")
        for name, figure in spiked:
            print(f"| {name} | {figure} |")
    print(f"\nLoad average at start / end: {started} / {ended}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--spike-connections", type=int, default=SPIKE_CONNECTIONS)
    parser.add_argument("--spike-duration", type=float, default=SPIKE_SECONDS,
                        help="0 skips the spike")
    parser.add_argument("--profile", type=Path,
                        help="py-spy raw profile of the uncached server under the first page")
    args = parser.parse_args()
    run(os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL"), args.rows, args.duration,
        rounds=args.rounds, spike_connections=args.spike_connections,
        spike_duration=args.spike_duration, profile=args.profile)


if __name__ == "__main__":
    main()
