"""Resumable uploads (tus 1.0.0) over real HTTP: each requirement of the protocol we implement,
a dropped connection on a real socket, and what intake and the sweep rely on."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from scrapbook.core.config import Settings
from scrapbook.core.errors import InvalidInput, NotFound
from scrapbook.main import create_app
from scrapbook.models import Upload
from scrapbook.uploads import router as uploads_router
from scrapbook.uploads.service import FIXED_TIME, expire_uploads, take_finished
from tests.conftest import live_server

TUS = {"Tus-Resumable": "1.0.0"}
STREAM = "application/offset+octet-stream"
PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes, every byte value


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"tus_dir": tmp_path / "tus"})


@pytest.fixture(autouse=True)
def _empty_upload_table(app: Any) -> Iterator[None]:
    yield
    with app.state.engine.begin() as conn:
        conn.execute(text("DELETE FROM upload"))


def create(client: TestClient, length: int, **headers: str) -> str:
    r = client.post("/api/uploads/", headers={**TUS, "Upload-Length": str(length), **headers})
    assert r.status_code == 201, r.text
    return r.headers["location"]


def patch(client: TestClient, url: str, offset: int, data: bytes, **headers: str) -> Any:
    return client.patch(url, content=data, headers={
        **TUS, "Content-Type": STREAM, "Upload-Offset": str(offset), **headers,
    })


def offset_of(client: TestClient, url: str) -> int:
    r = client.head(url, headers=TUS)
    assert r.status_code == 200, r.status_code
    return int(r.headers["upload-offset"])


def file_of(settings: Settings, url: str) -> Path:
    return Path(settings.tus_dir) / url.rsplit("/", 1)[1]


def upload_id(url: str) -> str:
    return url.rsplit("/", 1)[1]


def assert_error(r: Any, status: int, code: str | None = None) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["tus-resumable"] == "1.0.0"
    assert r.headers["cache-control"] == "no-store"
    if code:
        assert r.json()["error"] == code, r.json()


# --- OPTIONS, creation, HEAD -----------------------------------------------------------------


def test_options_advertises_version_extensions_and_max_size(client, settings):
    for url in ("/api/uploads/", "/api/uploads"):
        r = client.options(url)  # no Tus-Resumable needed (and ignored) on OPTIONS
        assert r.status_code == 204
        assert r.headers["tus-version"] == "1.0.0"
        assert r.headers["tus-extension"] == "creation,termination,expiration"
        assert r.headers["tus-max-size"] == str(settings.video_bytes_max)
        assert r.headers["cache-control"] == "no-store"
    assert client.options("/api/uploads/", headers={"Tus-Resumable": "0.2.2"}).status_code == 204


def test_creation_answers_201_with_location_and_an_expiry_at_midnight(client, settings):
    before = dt.datetime.now(dt.UTC)
    r = client.post("/api/uploads/", headers={**TUS, "Upload-Length": "1000"})
    assert r.status_code == 201
    assert r.headers["tus-resumable"] == "1.0.0"
    assert r.headers["cache-control"] == "no-store"
    url = r.headers["location"]
    assert url.startswith("/api/uploads/") and len(upload_id(url)) == 16
    expires = email.utils.parsedate_to_datetime(r.headers["upload-expires"])
    assert r.headers["upload-expires"].endswith(" GMT")  # RFC 9110 IMF-fixdate
    assert (expires.hour, expires.minute, expires.second) == (0, 0, 0)  # the day, no finer
    hours = dt.timedelta(hours=settings.tus_expiry_hours)
    assert before + hours <= expires <= before + hours + dt.timedelta(days=1)

    h = client.head(url, headers=TUS)
    assert h.status_code == 200
    assert h.headers["upload-offset"] == "0"
    assert h.headers["upload-length"] == "1000"
    assert h.headers["upload-expires"] == r.headers["upload-expires"]
    assert h.headers["cache-control"] == "no-store"
    assert h.headers["tus-resumable"] == "1.0.0"
    # The creation URL without the trailing slash works too.
    assert client.post("/api/uploads", headers={**TUS, "Upload-Length": "1"}).status_code == 201


def test_creation_refuses_bad_lengths(client, settings, app):
    too_big = str(settings.video_bytes_max + 1)
    r = client.post("/api/uploads/", headers={**TUS, "Upload-Length": too_big})
    assert_error(r, 413, "too_large")
    assert f"{settings.video_bytes_max // 1_000_000} MB" in r.json()["detail"]
    assert_error(client.post("/api/uploads/", headers=TUS), 400, "length_required")
    for bad in ("-1", "12.5", "ten", "1e9", "99999999999999999999999"):
        r = client.post("/api/uploads/", headers={**TUS, "Upload-Length": bad})
        assert_error(r, 400, "invalid_header")
    r = client.post("/api/uploads/", headers={**TUS, "Upload-Defer-Length": "1"})
    assert_error(r, 400, "defer_length_unsupported")
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM upload")).scalar_one() == 0


def test_creation_is_limited_per_client_per_hour(settings):
    limited = create_app(settings.model_copy(update={"submissions_per_hour": 2}))
    with TestClient(limited) as c:
        create(c, 10)
        create(c, 10)
        r = c.post("/api/uploads/", headers={**TUS, "Upload-Length": "10"})
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) > 0
        with limited.state.engine.connect() as conn:  # the refused one left no row
            assert conn.execute(text("SELECT count(*) FROM upload")).scalar_one() == 2
    limited.state.engine.dispose()


# --- PATCH -----------------------------------------------------------------------------------


def test_patch_in_chunks_builds_the_exact_bytes(client, settings):
    url = create(client, len(PAYLOAD))
    offset = 0
    for size in (1, 4095, 3000, len(PAYLOAD) - 7096):
        r = patch(client, url, offset, PAYLOAD[offset : offset + size])
        assert r.status_code == 204, r.text
        offset += size
        assert r.headers["upload-offset"] == str(offset)
        assert r.headers["tus-resumable"] == "1.0.0"
        assert "upload-expires" in r.headers
        assert offset_of(client, url) == offset
    path = file_of(settings, url)
    assert path.read_bytes() == PAYLOAD
    # Neither the file nor its directory tells when the bytes arrived.
    assert path.stat().st_mtime == FIXED_TIME
    assert Path(settings.tus_dir).stat().st_mtime == FIXED_TIME
    # A finished upload takes no more bytes; an empty PATCH just confirms the offset.
    assert_error(patch(client, url, offset, b"x"), 413, "too_large")
    assert patch(client, url, offset, b"").headers["upload-offset"] == str(offset)


def test_offset_mismatch_is_409_and_changes_nothing(client, settings):
    url = create(client, 100)
    assert patch(client, url, 0, b"a" * 10).status_code == 204
    for wrong in (0, 5, 11, 100):
        assert_error(patch(client, url, wrong, b"b" * 10), 409, "offset_mismatch")
    assert offset_of(client, url) == 10
    assert file_of(settings, url).read_bytes() == b"a" * 10


def test_wrong_content_type_is_415(client):
    url = create(client, 100)
    for content_type in ("application/octet-stream", "text/plain", None):
        headers = {**TUS, "Upload-Offset": "0"}
        if content_type:
            headers["Content-Type"] = content_type
        assert_error(client.patch(url, content=b"abc", headers=headers), 415, "unsupported_media")
    assert offset_of(client, url) == 0


def test_missing_or_bad_upload_offset_is_400(client):
    url = create(client, 100)
    r = client.patch(url, content=b"abc", headers={**TUS, "Content-Type": STREAM})
    assert_error(r, 400, "offset_required")
    assert_error(patch(client, url, 0, b"abc", **{"Upload-Offset": "-3"}), 400, "invalid_header")


def test_missing_or_other_tus_version_is_412_and_nothing_is_done(client, settings, app):
    url = create(client, 10)
    attempts = [
        ("POST", "/api/uploads/", {"Upload-Length": "10"}, b""),
        ("HEAD", url, {}, b""),
        ("PATCH", url, {"Content-Type": STREAM, "Upload-Offset": "0"}, b"abc"),
        ("DELETE", url, {}, b""),
    ]
    for version in (None, "0.2.2", "1.0", "2.0.0"):
        for method, target, headers, body in attempts:
            sent = dict(headers)
            if version:
                sent["Tus-Resumable"] = version
            r = client.request(method, target, headers=sent, content=body)
            assert_error(r, 412)
            assert r.headers["tus-version"] == "1.0.0"
            if method != "HEAD":
                assert r.json()["error"] == "unsupported_version"
    assert offset_of(client, url) == 0
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM upload")).scalar_one() == 1


def test_a_patch_past_the_length_is_413_and_keeps_nothing_of_it(client, settings):
    url = create(client, 20)
    assert patch(client, url, 0, b"x" * 8).status_code == 204
    # Declared too long: refused before reading.
    assert_error(patch(client, url, 8, b"y" * 13), 413, "too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: found while reading
        yield b"y" * 10
        yield b"y" * 10

    r = client.patch(url, content=chunks(), headers={
        **TUS, "Content-Type": STREAM, "Upload-Offset": "8",
    })
    assert_error(r, 413, "too_large")
    assert offset_of(client, url) == 8
    assert file_of(settings, url).read_bytes() == b"x" * 8
    assert patch(client, url, 8, b"z" * 12).headers["upload-offset"] == "20"


def test_method_override_for_clients_that_cannot_send_patch_or_delete(client, settings):
    url = create(client, 6)
    r = client.post(url, content=b"abcdef", headers={
        **TUS, "X-HTTP-Method-Override": "PATCH", "Content-Type": STREAM, "Upload-Offset": "0",
    })
    assert r.status_code == 204 and r.headers["upload-offset"] == "6"
    r = client.post(url, headers={**TUS, "X-HTTP-Method-Override": "HEAD"})
    assert r.status_code == 200 and r.headers["upload-offset"] == "6" and r.content == b""
    assert_error(client.post(url, headers=TUS), 405, "method_not_allowed")
    r = client.post(url, headers={**TUS, "X-HTTP-Method-Override": "DELETE"})
    assert r.status_code == 204
    assert not file_of(settings, url).exists()
    assert client.head(url, headers=TUS).status_code == 404


# --- Dropped connections and concurrent requests, on a real socket ---------------------------


def start_patch(port: int, url: str, offset: int, length: int, first: bytes) -> socket.socket:
    """A PATCH that declares `length` bytes of body but sends only `first` (so far)."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
            f"Content-Type: {STREAM}\r\nUpload-Offset: {offset}\r\n"
            f"Content-Length: {length}\r\n\r\n")
    sock.sendall(head.encode() + first)
    return sock


def wait_until(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def is_locked(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_dropped_connection_keeps_what_arrived_and_resumes_byte_identical(app, client, settings):
    data = os.urandom(3_000_000)
    url = create(client, len(data))
    path = file_of(settings, url)
    with live_server(app) as port:
        sock = start_patch(port, url, 0, len(data), data[:2_000_000])
        wait_until(lambda: path.exists() and path.stat().st_size > 0, "the first bytes are on disk")
        sock.close()  # the phone loses its signal
        wait_until(lambda: not is_locked(path), "the server has recorded what arrived")

    arrived = offset_of(client, url)
    assert 0 < arrived <= 2_000_000
    assert path.read_bytes() == data[:arrived]  # the offset is exactly what is on disk
    assert path.stat().st_mtime == FIXED_TIME

    r = patch(client, url, arrived, data[arrived:])
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    assert path.read_bytes() == data


def test_a_second_patch_while_one_is_running_is_409(app, client, settings):
    data = os.urandom(3_000_000)
    url = create(client, len(data))
    path = file_of(settings, url)
    with live_server(app) as port:
        sock = start_patch(port, url, 0, len(data), data[:1_500_000])
        wait_until(lambda: path.exists() and path.stat().st_size > 0, "the first PATCH writes")
        assert_error(patch(client, url, 0, data), 409, "upload_busy")
        sock.sendall(data[1_500_000:])  # the first one finishes normally
        reply = sock.recv(4096).decode()
        sock.close()
    assert reply.startswith("HTTP/1.1 204"), reply
    assert f"upload-offset: {len(data)}" in reply.lower()
    assert path.read_bytes() == data


def test_a_long_patch_records_its_progress_as_it_goes(app, client, settings, monkeypatch):
    monkeypatch.setattr(uploads_router, "RECORD_BYTES", 1024 * 1024)  # 16 MiB in production
    data = os.urandom(4_000_000)
    url = create(client, len(data))
    with live_server(app) as port:
        sock = start_patch(port, url, 0, len(data), data[:2_500_000])
        # Still sending, and HEAD already shows recorded progress (what a restart would keep).
        wait_until(lambda: offset_of(client, url) >= 1024 * 1024, "progress is recorded")
        recorded = offset_of(client, url)  # once: it moves on while bytes keep arriving
        assert file_of(settings, url).read_bytes()[:recorded] == data[:recorded]
        sock.sendall(data[2_500_000:])
        reply = sock.recv(4096).decode()
        sock.close()
    assert reply.startswith("HTTP/1.1 204"), reply
    assert file_of(settings, url).read_bytes() == data


def test_bytes_written_but_never_recorded_are_cut_off(client, settings):
    url = create(client, 20)
    patch(client, url, 0, b"a" * 10)
    with file_of(settings, url).open("ab") as f:  # what a server killed mid-request leaves
        f.write(b"junk!")
    assert offset_of(client, url) == 10
    assert patch(client, url, 10, b"b" * 10).headers["upload-offset"] == "20"
    assert file_of(settings, url).read_bytes() == b"a" * 10 + b"b" * 10


# --- Termination, expiry, privacy ------------------------------------------------------------


def test_termination_deletes_the_file_and_the_row(client, settings, app):
    url = create(client, 100)
    patch(client, url, 0, b"a" * 50)
    assert file_of(settings, url).exists()
    r = client.delete(url, headers=TUS)
    assert r.status_code == 204 and r.headers["tus-resumable"] == "1.0.0"
    assert not file_of(settings, url).exists()
    with app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM upload")).scalar_one() == 0
    assert_error(client.head(url, headers=TUS), 404)
    assert_error(patch(client, url, 50, b"b"), 404, "not_found")
    assert_error(client.delete(url, headers=TUS), 404, "not_found")


def test_unknown_and_malformed_ids_are_404(client, settings):
    for target in ("/api/uploads/AAAAAAAAAAAAAAAA", "/api/uploads/nope",
                   "/api/uploads/" + "A" * 15 + ".", "/api/uploads/" + "A" * 17):
        assert_error(client.head(target, headers=TUS), 404)
        assert_error(patch(client, target, 0, b"x"), 404, "not_found")
        assert_error(client.delete(target, headers=TUS), 404, "not_found")
    assert not Path(settings.tus_dir).exists() or not any(Path(settings.tus_dir).iterdir())


def _expire(db: Any, url: str) -> None:
    with db() as session:
        session.execute(update(Upload).where(Upload.id == upload_id(url)).values(  # type: ignore[arg-type]
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))


def test_expired_uploads_answer_410_and_the_sweep_deletes_them(client, settings, db, app):
    expired, live = create(client, 100), create(client, 100)
    for url in (expired, live):
        patch(client, url, 0, b"a" * 10)
    orphan = Path(settings.tus_dir) / "ZZZZZZZZZZZZZZZZ"  # a file whose row is gone
    orphan.write_bytes(b"left behind")
    _expire(db, expired)

    assert_error(client.head(expired, headers=TUS), 410, None)
    assert_error(patch(client, expired, 10, b"b"), 410, "upload_expired")
    with db() as session:
        assert expire_uploads(session, settings) == 2  # the expired upload and the orphan
    assert not file_of(settings, expired).exists() and not orphan.exists()
    assert_error(client.head(expired, headers=TUS), 404)
    # The live one is untouched.
    assert offset_of(client, live) == 10 and file_of(settings, live).exists()
    with db() as session:
        assert expire_uploads(session, settings) == 0


def test_no_file_name_type_or_time_is_stored(client, settings, app, database_url):
    name, kind = "holiday-in-Brighton-2026-06-01.mov", "video/quicktime"
    metadata = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                        for k, v in (("filename", name), ("filetype", kind)))
    url = create(client, len(PAYLOAD), **{"Upload-Metadata": metadata + ",is_private"})
    patch(client, url, 0, PAYLOAD)
    h = client.head(url, headers=TUS)
    assert "upload-metadata" not in h.headers  # ignored, so there is none to give back

    with app.state.engine.connect() as conn:
        result = conn.execute(text("SELECT * FROM upload"))
        columns = list(result.keys())
        rows = [tuple(row) for row in result]
    assert columns == ["pk", "id", "length", "offset", "expires_at"]
    (row,) = rows
    expires = row[4] if isinstance(row[4], dt.datetime) else dt.datetime.fromisoformat(row[4])
    assert (expires.minute, expires.second, expires.microsecond) == (0, 0, 0)
    stored = [Path(database_url.removeprefix("sqlite:///"))]
    stored += [p for p in Path(settings.tus_dir).rglob("*")]
    needles = [name, kind, "Brighton", base64.b64encode(name.encode()).decode()[:12]]
    for path in stored:
        if path.is_file():
            content = path.read_bytes()
            assert path.name in (upload_id(url), "scrapbook.db") or path.suffix in ("-wal",)
            for needle in needles:
                assert needle.encode() not in content, (needle, path)
                assert needle not in path.name
    for needle in needles:
        assert needle not in repr(rows)
    assert [p.name for p in Path(settings.tus_dir).iterdir()] == [upload_id(url)]


# --- What intake uses ------------------------------------------------------------------------


def test_take_finished_hands_over_the_file_and_forgets_the_upload(client, settings, db):
    url = create(client, len(PAYLOAD))
    patch(client, url, 0, PAYLOAD)
    with db() as session:
        path = take_finished(session, settings, upload_id(url))
    assert path == file_of(settings, url) and path.read_bytes() == PAYLOAD
    assert_error(client.head(url, headers=TUS), 404)
    with db() as session:
        with pytest.raises(NotFound):
            take_finished(session, settings, upload_id(url))
        assert expire_uploads(session, settings) == 1  # the caller did not move it: swept


def test_take_finished_refuses_unfinished_unknown_and_expired(client, settings, db):
    url = create(client, 100)
    patch(client, url, 0, b"a" * 99)
    with db() as session, pytest.raises(InvalidInput) as unfinished:
        take_finished(session, settings, upload_id(url))
    assert unfinished.value.code == "upload_unfinished"
    assert offset_of(client, url) == 99  # still there, still resumable
    for unknown in ("AAAAAAAAAAAAAAAA", "../etc/passwd", ""):
        with db() as session, pytest.raises(NotFound):
            take_finished(session, settings, unknown)
    patch(client, url, 99, b"a")
    _expire(db, url)
    with db() as session, pytest.raises(NotFound):
        take_finished(session, settings, upload_id(url))


def test_an_empty_upload_is_finished_at_once(client, settings, db):
    url = create(client, 0)
    assert offset_of(client, url) == 0
    with db() as session:
        path = take_finished(session, settings, upload_id(url))
    assert path.read_bytes() == b""
