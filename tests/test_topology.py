"""The scale-out topology without Docker: two `scrapbook serve` processes and one
`scrapbook worker`, started as real processes against this machine's PostgreSQL (a database of
their own), Redis (a database number of their own) and an S3-compatible server on loopback.

Whatever one app process changes (an approval, an edit, an unpublish, a withdrawal), both
serve on the very next request, with no pause: gallery pages (each filter), the item, the
tags in `/api/meta`, ETags and the media files, after every page was read many times in both
processes (so a per-process cache holding them would be caught). A stale page after a
withdrawal is a privacy bug.

Needs SCRAPBOOK_TEST_DATABASE_URL (any database on the server: a fresh one named
`scrapbook_topology_<random>` is created beside it through the `postgres` maintenance
database and dropped afterwards) and Redis on 127.0.0.1:6379 (database 12, emptied before and
after); skipped otherwise.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scrapbook.cli import ROOT
from tests import av_samples
from tests.samples import plain_jpeg

PG_URL = os.environ.get("SCRAPBOOK_TEST_DATABASE_URL")
# A Redis database of its own, emptied before and after (other tests use 13, 14 and 15).
REDIS_URL = "redis://127.0.0.1:6379/12"
PASSWORD = "topology horse battery staple"
CLI = [sys.executable, "-c", "from scrapbook.cli import app; app()"]
# `scrapbook migrate` and `scrapbook moderator add mod --password-stdin`, the real commands,
# in one interpreter (each start costs seconds of imports on a busy machine).
SETUP = [sys.executable, "-c", "import sys\nfrom scrapbook.cli import app\n"
         "for args in (['migrate'], ['moderator', 'add', 'mod', '--password-stdin']):\n"
         "    code = app(args, standalone_mode=False)\n"
         "    if code:\n"
         "        sys.exit(code)\n"]
START_SECONDS = 120  # to migrate, or to start serving (a cold start on a busy 2-core machine)
JOB_SECONDS = 45  # for the worker to make an upload ready
WARM = 3  # reads of every page in each process before a change (10 before the withdrawal)
IDENTITY = {"Accept-Encoding": "identity"}  # a cache may keep compressed copies apart

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SCRAPBOOK_TEST_DATABASE_URL is not set (the topology needs PostgreSQL)"
)


# --- the processes ------------------------------------------------------------------------------


@dataclass
class Topology:
    a: str  # base URLs of the two app processes
    b: str
    logs: dict[str, Path] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def tails(self, lines: int = 60) -> str:
        out = []
        for name, path in self.logs.items():
            text_ = path.read_text(errors="replace") if path.exists() else ""
            tail = "\n".join(text_.splitlines()[-lines:])
            out.append(f"----- {name} ({path}) -----\n{tail}")
        return "\n".join(out)

    def assert_alive(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, (
                f"{name} exited with {process.returncode}\n{self.tails()}"
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _redis_or_skip() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379 (`.ci/run` starts one)")
    return client


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, created and dropped through `postgres`."""
    assert PG_URL
    base = make_url(PG_URL)
    name = f"scrapbook_topology_{secrets.token_hex(6)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(command: list[str], env: dict[str, str], cwd: Path, log: Path, **kw: Any) -> None:
    with log.open("ab") as out:
        done = subprocess.run(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                              timeout=START_SECONDS, check=False, **kw)
    assert done.returncode == 0, f"{command}\n{log.read_text(errors='replace')}"


def _wait_until_serving(topology: Topology, name: str, url: str, deadline: float) -> None:
    while True:
        topology.assert_alive()
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{name} did not start serving\n{topology.tails()}"
        time.sleep(0.1)


def _stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def topology(fresh_database: str, s3_settings: dict[str, Any],
             tmp_path: Path) -> Iterator[Topology]:
    """App processes A and B (no job threads) and a worker, sharing PostgreSQL, Redis, S3."""
    redis_client = _redis_or_skip()
    redis_client.flushdb()
    shared = tmp_path / "shared"  # the resumable uploads and intake staging of both apps
    shared.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPBOOK_")}
    env.update({
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        "SCRAPBOOK_ENVIRONMENT": "test",
        "SCRAPBOOK_DATABASE_URL": fresh_database,
        "SCRAPBOOK_REDIS_URL": REDIS_URL,
        "SCRAPBOOK_SECRET_KEY": "topology-" + secrets.token_urlsafe(36),
        "SCRAPBOOK_STORAGE_BACKEND": "s3",
        "SCRAPBOOK_S3_BUCKET": s3_settings["s3_bucket"],
        "SCRAPBOOK_S3_ENDPOINT_URL": s3_settings["s3_endpoint_url"],
        "SCRAPBOOK_S3_REGION": s3_settings["s3_region"],
        "SCRAPBOOK_S3_ACCESS_KEY_ID": s3_settings["s3_access_key_id"],
        "SCRAPBOOK_S3_SECRET_ACCESS_KEY": s3_settings["s3_secret_access_key"],
        "SCRAPBOOK_S3_SERVE": "proxy",
        "SCRAPBOOK_UPLOADS_DIR": str(tmp_path / "uploads"),  # unused with S3: never shared
        "SCRAPBOOK_TUS_DIR": str(shared / "tus"),
        "SCRAPBOOK_QUEUE_PATH": str(tmp_path / "queue.db"),  # unused with Redis
        "SCRAPBOOK_WORKER_THREADS": "0",  # the apps only enqueue; the worker runs the jobs
        "SCRAPBOOK_SUBMISSIONS_PER_HOUR": "1000",
        "SCRAPBOOK_SUBMISSION_ATTEMPTS_PER_HOUR": "1000",
        "SCRAPBOOK_RECEIPTS_PER_HOUR": "1000",
        "SCRAPBOOK_LOG_LEVEL": "info",
    })
    # The processes run in a folder of their own: no `.env` of the checkout is read.
    cwd = tmp_path / "run"
    cwd.mkdir()
    port_a, port_b = _free_port(), _free_port()
    while port_b == port_a:
        port_b = _free_port()
    topology = Topology(a=f"http://127.0.0.1:{port_a}", b=f"http://127.0.0.1:{port_b}")
    topology.logs = {name: tmp_path / f"{name}.log" for name in ("setup", "A", "B", "worker")}
    # One process per `serve` (whatever the default for this machine's cores), so that a
    # change made through B and read through A always crosses processes.
    commands = {
        "A": ["serve", "--host", "127.0.0.1", "--port", str(port_a), "--workers", "1"],
        "B": ["serve", "--host", "127.0.0.1", "--port", str(port_b), "--workers", "1"],
        "worker": ["worker", "--threads", "2"],
    }
    try:
        # Once, before anything starts (two `serve` starting together would race to migrate):
        # `scrapbook migrate`, then `scrapbook moderator add`, in one interpreter.
        _run(SETUP, env, cwd, topology.logs["setup"], input=f"{PASSWORD}\n".encode())
        for name, args in commands.items():
            with topology.logs[name].open("wb") as out:
                topology.processes[name] = subprocess.Popen(
                    [*CLI, *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
        deadline = time.monotonic() + START_SECONDS
        _wait_until_serving(topology, "A", topology.a, deadline)
        _wait_until_serving(topology, "B", topology.b, deadline)
        yield topology
    finally:
        _stop(topology.processes)
        print(topology.tails())  # shown by pytest only when the test fails
        redis_client.flushdb()
        redis_client.close()


# --- reading both processes ---------------------------------------------------------------------


def _sign_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=15)
    r = client.post("/api/admin/session", json={"username": "mod", "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    return client


def both(publics: dict[str, httpx.Client], path: str, **kw: Any) -> dict[str, httpx.Response]:
    """The same request to A and to B."""
    return {name: client.get(path, **kw) for name, client in publics.items()}


def ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def reads(c: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """Every public read that would show the contribution `c`."""
    return [
        ("/api/gallery", {}),
        ("/api/gallery", {"tag": c["tag"]}),
        ("/api/gallery", {"q": c["word"]}),
        ("/api/gallery", {"kind": c["kind"]}),
        (f"/api/gallery/{c['id']}", {}),
        ("/api/meta", {}),
    ]


def warm(publics: dict[str, httpx.Client], *contributions: dict[str, Any],
         times: int = WARM) -> None:
    """Read every page many times in both processes, compressed and not, and each media file
    twice, as a busy site would, so that a per-process cache holds them all; each read answers
    the same in both processes every time."""
    paths = sorted({(p, tuple(sorted(q.items()))) for c in contributions for p, q in reads(c)})
    for _ in range(times):
        for path, query in paths:
            for headers in ({}, IDENTITY):
                answers = both(publics, path, params=dict(query), headers=headers)
                assert answers["A"].status_code == answers["B"].status_code, (path, query)
                assert answers["A"].content == answers["B"].content, (path, query)
    for url in sorted({url for c in contributions for url in c["media"]}) * 2:
        answers = both(publics, url)
        assert answers["A"].status_code == answers["B"].status_code, url


def etags(publics: dict[str, httpx.Client], path: str) -> str:
    """The ETag both processes give a public read now (the same: it names the same bytes)."""
    answers = both(publics, path)
    tags = {name: r.headers.get("etag") for name, r in answers.items()}
    assert tags["A"] and tags["A"] == tags["B"], (path, tags)
    return str(tags["A"])


def assert_published(publics: dict[str, httpx.Client], c: dict[str, Any],
                     title: str | None = None) -> dict[str, Any]:
    """Both processes show `c` on every public read, with the same bytes; its item's JSON."""
    items = both(publics, f"/api/gallery/{c['id']}")
    for name, r in items.items():
        assert r.status_code == 200, (name, r.status_code, r.text)
    assert items["A"].content == items["B"].content
    assert items["A"].headers["etag"] == items["B"].headers["etag"]
    item = items["A"].json()
    assert item["tags"] == [c["tag"]]
    if title is not None:
        assert item["title"] == title
    for name, first in both(publics, "/api/gallery").items():
        listed = {i["id"]: i for i in first.json()["items"]}
        assert c["id"] in listed, (name, "first page", list(listed))
        if title is not None:
            assert listed[c["id"]]["title"] == title, name
    pages = both(publics, "/api/gallery")
    assert pages["A"].content == pages["B"].content
    for query in ({"tag": c["tag"]}, {"q": title.split()[-1] if title else c["word"]}):
        for name, r in both(publics, "/api/gallery", params=query).items():
            assert ids(r) == [c["id"]], (name, query)
    for name, r in both(publics, "/api/gallery", params={"kind": c["kind"]}).items():
        assert c["id"] in ids(r), (name, c["kind"])
    for name, r in both(publics, "/api/meta").items():
        assert r.status_code == 200 and c["tag"] in r.json()["tags"], name
    urls = sorted(v for m in item["media"] for v in m["variants"].values())
    assert urls == c["media"], "the public item names the files the moderator saw"
    for url in urls:
        files = both(publics, url)
        for name, r in files.items():
            assert r.status_code == 200, (name, url, r.status_code, r.text)
        assert files["A"].content == files["B"].content, url
        assert files["A"].headers["etag"] == files["B"].headers["etag"], url
    return dict(item)


def assert_not_public(publics: dict[str, httpx.Client], c: dict[str, Any],
                      seen: dict[str, str] | None = None) -> None:
    """Neither process shows `c` anywhere, nor answers 304 for what it showed before."""
    seen = seen or {}
    for headers in ({}, IDENTITY):
        for name, r in both(publics, f"/api/gallery/{c['id']}", headers=headers).items():
            assert r.status_code == 404, (name, r.status_code, r.text)
        for name, first in both(publics, "/api/gallery", headers=headers).items():
            assert c["id"] not in ids(first), (name, "first page")
    for name, client in publics.items():  # 405: the API's GET routes take no HEAD
        assert client.head(f"/api/gallery/{c['id']}").status_code in (404, 405), name
    for query in ({"tag": c["tag"]}, {"q": c["word"]}):
        for name, r in both(publics, "/api/gallery", params=query).items():
            assert ids(r) == [], (name, query)
    for name, r in both(publics, "/api/gallery", params={"kind": c["kind"]}).items():
        assert c["id"] not in ids(r), (name, c["kind"])
    for name, r in both(publics, "/api/meta").items():
        assert r.status_code == 200 and c["tag"] not in r.json()["tags"], name
        assert c["tag"] not in r.text, name
    for url in c["media"]:
        for name, r in both(publics, url).items():
            assert r.status_code in (404, 410), (name, url, r.status_code)
    # What a browser or a CDN kept from before is not confirmed as still good.
    for path, etag in seen.items():
        for name, r in both(publics, path, headers={"If-None-Match": etag}).items():
            assert r.status_code != 304, (name, path, "confirmed a copy from before")
            if path.startswith(("/media/", f"/api/gallery/{c['id']}")):
                assert r.status_code in (404, 410), (name, path, r.status_code)
            else:
                assert r.status_code == 200 and c["id"] not in r.text, (name, path)


# --- the scenario -------------------------------------------------------------------------------


def _word() -> str:
    """A made-up word (letters only, so every search configuration keeps it whole)."""
    return "".join("bcdfghjklmnpqrstvwxz"[b % 20] for b in secrets.token_bytes(10))


def submit(client: httpx.Client, kind: str, form: str, files: list[Any],
           **fields: str) -> dict[str, Any]:
    tag, word = f"topo{_word()}", _word()
    data = {"kind": kind, "form": form, "title": f"Across processes {word}",
            "body": "Seen by every process at once.", "tags": tag, "consent": "true", **fields}
    r = client.post("/api/contributions", data=data, files=[("files", f) for f in files])
    assert r.status_code == 202, r.text
    sent = r.json()
    return {"id": sent["id"], "receipt": sent["receipt"], "tag": tag, "word": word,
            "kind": kind, "media": []}


def wait_until_ready(moderator: httpx.Client, c: dict[str, Any]) -> dict[str, Any]:
    """Poll the moderator view until the worker process has made the media ready."""
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        view = moderator.get(f"/api/admin/contributions/{c['id']}")
        assert view.status_code == 200, view.text
        current = view.json()
        if current["status"] != "processing":
            break
        assert time.monotonic() < deadline, f"the worker did not process {c['kind']} in time"
        time.sleep(0.1)
    assert current["status"] == "pending", current
    assert current["media"] and all(m["variants"] for m in current["media"]), current
    c["media"] = sorted(v for m in current["media"] for v in m["variants"].values())
    assert all(url.startswith("/media/") for url in c["media"]), c["media"]
    return dict(current)


def decide(moderator: httpx.Client, c: dict[str, Any], action: str) -> None:
    version = moderator.get(f"/api/admin/contributions/{c['id']}").json()["version"]
    r = moderator.post(f"/api/admin/contributions/{c['id']}/decision",
                       json={"action": action, "version": version})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == {"approve": "approved", "hold": "held"}[action]


def test_two_app_processes_and_a_worker_serve_every_change_at_once(
    topology: Topology, tmp_path: Path
) -> None:
    publics = {"A": httpx.Client(base_url=topology.a, timeout=15),
               "B": httpx.Client(base_url=topology.b, timeout=15)}
    moderator_a, moderator_b = _sign_in(topology.a), _sign_in(topology.b)
    clients = [*publics.values(), moderator_a, moderator_b]
    try:
        # 1. Through A: a photo (S3 storage) and a song (the worker process transcodes it).
        submitter = publics["A"]
        photo = submit(submitter, "image", "photo",
                       [("square.jpg", plain_jpeg(color=(20, 90, 160)), "image/jpeg")],
                       alt_text="A plain blue square")
        song_file = av_samples.wav_pcm(tmp_path, seconds=1.0)
        song = submit(submitter, "audio", "song",
                      [(song_file.name, song_file.read_bytes(), "audio/wav")],
                      transcript="A single hummed note.")
        for c in (photo, song):
            wait_until_ready(moderator_b, c)
        assert photo["media"] and song["media"]

        # 2. Pending: on neither process, however often asked (the pages are cached now).
        warm(publics, photo, song)
        for c in (photo, song):
            assert_not_public(publics, c)
        # The moderator sees pending media (through either process); the public does not.
        for moderator in (moderator_a, moderator_b):
            for url in photo["media"] + song["media"]:
                assert moderator.get(url).status_code == 200, url
        before = {"/api/gallery": etags(publics, "/api/gallery"),
                  "/api/meta": etags(publics, "/api/meta")}

        # 3. Approved through B; 4. at once, both serve both, the same bytes.
        decide(moderator_b, photo, "approve")
        decide(moderator_b, song, "approve")
        shown = {c["id"]: assert_published(publics, c) for c in (photo, song)}
        for path, etag in before.items():  # what was cached before is not confirmed
            for name, r in both(publics, path, headers={"If-None-Match": etag}).items():
                assert r.status_code == 200, (name, path, r.status_code)
                assert photo["tag"] in r.text and song["tag"] in r.text, (name, path)
        assert shown[song["id"]]["transcript"] == "A single hummed note."
        (song_media,) = shown[song["id"]]["media"]
        assert song_media["type"] == "audio" and "audio" in song_media["variants"]
        sound = publics["B"].get(song_media["variants"]["audio"])
        assert sound.status_code == 200 and sound.headers["content-type"] == "audio/mp4"
        # An ETag one process gave is good in the other (one client, two processes).
        item_etag = publics["A"].get(f"/api/gallery/{photo['id']}").headers["etag"]
        again = publics["B"].get(f"/api/gallery/{photo['id']}",
                                 headers={"If-None-Match": item_etag})
        assert again.status_code == 304, again.status_code

        # An edit through A is what B serves at once.
        warm(publics, photo, song)
        view = moderator_a.get(f"/api/admin/contributions/{photo['id']}").json()
        old_word, new_word = photo["word"], _word()
        new_title = f"Edited across processes {new_word}"
        r = moderator_a.patch(f"/api/admin/contributions/{photo['id']}",
                              json={"version": view["version"], "title": new_title})
        assert r.status_code == 200, r.text
        assert_published(publics, photo, title=new_title)
        for name, r in both(publics, "/api/gallery", params={"q": old_word}).items():
            assert ids(r) == [], (name, "the old title is still found")
        photo["word"] = new_word

        # Unpublished through A (held): gone from B at once, its files too.
        warm(publics, photo, song)
        song_seen = {f"/api/gallery/{song['id']}": etags(publics, f"/api/gallery/{song['id']}"),
                     "/api/gallery": etags(publics, "/api/gallery"),
                     "/api/meta": etags(publics, "/api/meta")}
        song_seen.update({url: publics["A"].get(url).headers["etag"] for url in song["media"]})
        decide(moderator_a, song, "hold")
        assert_not_public(publics, song, song_seen)
        assert_published(publics, photo, title=new_title)

        # 5. Withdrawn through A with its receipt; 6. gone from both at once.
        warm(publics, photo, song, times=10)
        photo_seen = {
            f"/api/gallery/{photo['id']}": etags(publics, f"/api/gallery/{photo['id']}"),
            "/api/gallery": etags(publics, "/api/gallery"),
            "/api/meta": etags(publics, "/api/meta"),
        }
        photo_seen.update({url: publics["B"].get(url).headers["etag"] for url in photo["media"]})
        for name, r in both(publics, f"/api/receipts/{photo['receipt']}").items():
            assert r.status_code == 200 and r.json()["status"] == "approved", (name, r.text)
        gone = publics["A"].delete(f"/api/receipts/{photo['receipt']}")
        assert gone.status_code == 204, gone.text
        assert_not_public(publics, photo, photo_seen)
        for name, r in both(publics, f"/api/receipts/{photo['receipt']}").items():
            assert r.status_code == 404, (name, r.status_code)
        for moderator in (moderator_a, moderator_b):  # nor kept for the moderators
            assert moderator.get(f"/api/admin/contributions/{photo['id']}").status_code == 404
            for url in photo["media"]:
                assert moderator.get(url).status_code in (404, 410), url

        # The held song withdrawn through B: the gallery is empty in both.
        assert publics["B"].delete(f"/api/receipts/{song['receipt']}").status_code == 204
        for name, r in both(publics, "/api/gallery").items():
            assert ids(r) == [], name
        topology.assert_alive()
        for name in ("A", "B", "worker"):
            log = topology.logs[name].read_text(errors="replace")
            assert "Traceback" not in log, f"{name} logged an error\n{topology.tails()}"
    finally:
        for client in clients:
            client.close()
