from tests.conftest import approve, submit


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_meta_lists_vocabularies_limits_prompts_and_helplines(client, moderator):
    approve(moderator, submit(client, tags="tide").json()["id"])
    submit(client, tags="unpublished-tag")
    meta = client.get("/api/meta").json()
    assert meta["kinds"] == ["text", "image", "audio", "video"]
    assert meta["accepted"]["audio"]["max_bytes"] == 100_000_000
    assert meta["accepted"]["video"]["max_seconds"] == 600
    assert meta["accepted"]["video"]["max_long_edge"] == 3840
    assert meta["uploads"]["tus"] == "/api/uploads/"
    assert "poem" in meta["forms"] and "film" in meta["forms"]
    regions = {r["code"]: r["name"] for r in meta["regions"]}
    assert len(regions) == 17 and regions["bath-and-north-east-somerset"].startswith("Bath")
    licences = {lic["code"]: lic for lic in meta["licences"]}
    assert set(licences) == {
        "cc-by-4.0",
        "cc-by-sa-4.0",
        "cc-by-nc-4.0",
        "cc-by-nc-nd-4.0",
        "all-rights-reserved",
    }
    assert all(lic["explanation"] for lic in licences.values())
    assert meta["tags"] == ["tide"]  # only tags of approved work
    assert meta["accepted"]["image"]["max_bytes"] == 20_000_000
    assert "image/heic" in meta["accepted"]["image"]["types"]
    assert meta["limits"]["body"] == 20_000
    assert meta["prompts"]
    helplines = " ".join(str(h) for h in meta["helplines"])
    for number in ("116 123", "85258", "111"):
        assert number in helplines
    assert "not a crisis service" in meta["not_a_crisis_service"]


def test_unknown_api_route_is_a_json_404(client):
    r = client.get("/api/nope")
    assert r.status_code == 404 and set(r.json()) == {"error", "detail"}


def test_pages_carry_a_strict_content_security_policy(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_api_docs_are_served_with_their_own_policy_not_the_pages(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
    assert r.headers["content-security-policy"] != client.get("/").headers[
        "content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert client.get("/openapi.json").json()["info"]["title"] == "Scrapbook"


def test_unknown_api_and_openreferral_paths_are_json_404s(client):
    for url in ("/api/nope/deeper", "/openreferral/nope"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"] == "application/json", url
        assert set(r.json()) == {"error", "detail"}
    assert client.get("/no-such-page").headers["content-type"].startswith("text/html")


def test_licences_speak_to_contributors_and_to_visitors_and_say_which_allow_reuse(client):
    licences = {item["code"]: item for item in client.get("/api/meta").json()["licences"]}
    assert "your work" in licences["cc-by-4.0"]["explanation"]
    for item in licences.values():
        assert "your" not in item["visitor_explanation"].lower()
        assert item["reusable"] == item["code"].startswith("cc-")
    assert "do not copy" in licences["all-rights-reserved"]["visitor_explanation"]
