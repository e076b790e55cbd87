from tests.conftest import submit


def test_health(client):
    r = client.get("/api/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_submit_text(client):
    r = submit(client)
    assert r.status_code == 202, r.text
