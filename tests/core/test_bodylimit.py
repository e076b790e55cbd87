"""Bodies other than uploads are capped per route while they are read."""

from __future__ import annotations


def test_a_huge_declared_body_is_refused_before_it_is_read(client):
    r = client.post("/api/admin/session", content=b"{}",
                    headers={"Content-Type": "application/json",
                             "Content-Length": str(2_000_000_000)})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert r.headers["connection"] == "close"


def test_a_body_without_a_length_is_cut_off_at_the_cap_as_it_streams(client, settings):
    sent = 0

    def body():
        nonlocal sent
        for _ in range(64):
            sent += 1024
            yield b" " * 1024

    r = client.post("/api/admin/session", content=body(),
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    assert str(settings.signin_body_max) in r.json()["detail"].replace(",", "")


def test_other_json_routes_have_the_json_cap_and_uploads_their_own(client, settings):
    big = b"[" + b"0," * settings.json_body_max + b"0]"
    r = client.post("/api/gallery/AAAAAAAAAAAAAAAA/report", content=big,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    small = client.post("/api/gallery/AAAAAAAAAAAAAAAA/report", json={"message": "hello"})
    assert small.status_code == 404  # within the cap: the route itself answers
