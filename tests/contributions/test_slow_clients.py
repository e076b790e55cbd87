"""Slow clients cannot starve others: bodies that stall or trickle are cut off (408), the
intake slots are taken only once a body has arrived, and one client reads few bodies at once."""

from __future__ import annotations

import asyncio
import socket
import time

from tests.conftest import live_server, submit

BOUNDARY = "slowslowslow"


def start_upload(port: int, first: bytes, length: int = 100_000) -> socket.socket:
    """A multipart POST that declares `length` bytes and sends only `first` (so far)."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = ("POST /api/contributions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {length}\r\n\r\n")
    sock.sendall(head.encode() + first)
    return sock


PART = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ntext\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n").encode()


def answer(sock: socket.socket, seconds: float = 15) -> str:
    """The whole response: its head, then as many body bytes as Content-Length says."""
    sock.settimeout(seconds)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    sock.close()
    return (head + b"\r\n\r\n" + body).decode(errors="replace")


def test_a_stalled_body_is_answered_408(app, settings):
    settings.body_idle_seconds = 0.5
    with live_server(app) as port:
        sock = start_upload(port, PART)
        started = time.monotonic()
        reply = answer(sock)
    assert reply.startswith("HTTP/1.1 408"), reply
    assert '"request_timeout"' in reply
    assert time.monotonic() - started < 10


def test_a_trickle_slower_than_the_minimum_rate_is_answered_408(app, settings):
    settings.body_grace_seconds = 0.5
    settings.body_min_rate = 10_000
    with live_server(app) as port:
        sock = start_upload(port, PART)
        reply = ""
        for _ in range(40):  # 50 bytes every 0.1 s: 500 B/s
            try:
                sock.sendall(b"a" * 50)
            except OSError:
                break
            time.sleep(0.1)
        reply = answer(sock)
    assert reply.startswith("HTTP/1.1 408"), reply


def test_slow_uploads_do_not_hold_the_intake_slots(app, client, settings):
    app.state.intake_slots = asyncio.Semaphore(1)  # one slot, and a slow upload in flight
    settings.intake_wait_seconds = 1
    with live_server(app) as port:
        slow = start_upload(port, PART)
        time.sleep(0.3)
        r = submit(client)  # another person, meanwhile
        slow.close()
    assert r.status_code == 202, r.text


def test_one_client_reads_only_a_few_bodies_at_once(app, settings):
    settings.receives_per_client = 2
    with live_server(app) as port:
        first, second = start_upload(port, PART), start_upload(port, PART)
        time.sleep(0.3)
        third = start_upload(port, PART)
        reply = answer(third)
        first.close()
        second.close()
    assert reply.startswith("HTTP/1.1 429"), reply
