"""Wrong methods on API addresses: a JSON 405 whose Allow lists what the address takes."""

import pytest


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("OPTIONS", "/api/receipts/abc", "GET, DELETE"),
        ("PUT", "/api/contributions", "POST"),  # POST-only: never "GET, HEAD"
        ("GET", "/api/contributions", "POST"),
        ("OPTIONS", "/api/admin/contributions/x", "GET, PATCH"),
        ("DELETE", "/api/gallery/x", "GET"),
        ("PUT", "/openreferral/services", "GET"),
        ("POST", "/media/ab/cdef/display.webp", "GET, HEAD"),
        ("HEAD", "/api/gallery", "GET"),  # never the website's HTML 404
        ("HEAD", "/api/meta", "GET"),
    ],
)
def test_a_wrong_method_names_every_method_the_address_takes(client, method, url, allow):
    r = client.request(method, url)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert r.headers["content-type"] == "application/json"
    if method != "HEAD":  # a HEAD answer has no body
        assert r.json()["error"] == "method_not_allowed" and method in r.json()["detail"]


@pytest.mark.parametrize("method", ["GET", "OPTIONS", "PUT"])
def test_an_address_no_api_route_takes_is_a_json_404(client, method):
    for url in ("/api/nope", "/openreferral/nope/deeper"):
        r = client.request(method, url)
        assert r.status_code == 404 and r.json()["error"] == "not_found", (method, url)


def test_the_resumable_upload_endpoint_still_answers_options(client):
    r = client.options("/api/uploads/")
    assert r.status_code == 204 and r.headers["tus-version"] == "1.0.0"
