"""/docs and /redoc work offline: every asset from the app, under a policy with no inline script."""

from __future__ import annotations

import re

import pytest

from scrapbook.meta.docs import DOC_PAGES

REFERENCE = re.compile(r"""\b(?:src|href|spec-url|data-spec-url)="([^"]*)\"""")
CONTENT_TYPES = {"js": "text/javascript", "css": "text/css", "png": "image/png",
                 "json": "application/json"}


def directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (d.split() for d in policy.split(";") if d.strip())}


@pytest.mark.parametrize("page", DOC_PAGES)
def test_doc_pages_use_only_same_origin_assets_that_answer(client, page):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = REFERENCE.findall(r.text)
    assert refs and all(ref.startswith("/") and not ref.startswith("//") for ref in refs), refs
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", r.text, flags=re.S)
    assert scripts and all(body == "" for body in scripts)  # no inline script at all
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[ref.rsplit(".", 1)[-1]]), ref


@pytest.mark.parametrize("page", DOC_PAGES)
def test_doc_pages_allow_scripts_from_self_only(client, page):
    r = client.get(page)
    policy = r.headers["content-security-policy"]
    rules = directives(policy)
    assert rules["script-src"] == ["'self'"]
    assert rules["default-src"] == ["'none'"]
    assert rules["connect-src"] == ["'self'"]  # the description, nowhere else
    assert "'unsafe-eval'" not in policy and "http" not in policy
    assert r.headers["x-frame-options"] == "DENY"


def test_swagger_ui_starts_from_a_file_that_reads_the_description_address(client):
    page = client.get("/docs").text
    assert 'data-spec-url="/openapi.json"' in page
    init = client.get("/docs/assets/swagger-init.js").text
    assert "SwaggerUIBundle(" in init and "dataset.specUrl" in init


def test_only_the_listed_docs_assets_are_served(client):
    for path in ("/docs/assets/nope.js", "/docs/assets/..%2Fdocs.py", "/docs/assets/",
                 "/docs/assets/swagger-ui.LICENSE"):
        assert client.get(path).status_code == 404, path
