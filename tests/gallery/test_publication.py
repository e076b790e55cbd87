"""One publication lifecycle: every public read follows a decision at once (gallery, search,
the piece, its media, the receipt's public link), and publishing again puts it first."""

from __future__ import annotations

from tests.conftest import approve, submit
from tests.samples import plain_jpeg


def _decide(moderator, cid: str, action: str) -> None:
    version = moderator.get(f"/api/admin/contributions/{cid}").json()["version"]
    body = {"action": action, "version": version}
    if action == "reject":
        body["public_reason"] = "Thank you; it is not one we can show."
    r = moderator.post(f"/api/admin/contributions/{cid}/decision", json=body)
    assert r.status_code == 200, r.text


def test_every_public_read_follows_publish_and_unpublish(client, moderator):
    sent = submit(client, files=[("kettle.jpg", plain_jpeg(320, 240), "image/jpeg")],
                  kind="image", form="photo", title="Marmalade kettle", body="",
                  alt_text="A kettle on a windowsill").json()
    other = submit(client, title="Other evening").json()
    cid = sent["id"]
    approve(moderator, cid)
    approve(moderator, other["id"])
    media = client.get(f"/api/gallery/{cid}").json()["media"][0]["variants"]["display"]
    receipt = f"/api/receipts/{sent['receipt']}"

    def public() -> dict[str, bool]:
        return {
            "item": client.get(f"/api/gallery/{cid}").status_code == 200,
            "search": any(i["id"] == cid for i in
                          client.get("/api/gallery", params={"q": "marmalade"}).json()["items"]),
            "media": client.get(media).status_code == 200,
            "receipt link": client.get(receipt).json()["public_url"] is not None,
        }

    assert all(public().values()), public()
    for action in ("hold", "reject"):
        _decide(moderator, cid, action)
        assert not any(public().values()), (action, public())
    approve(moderator, cid)
    assert all(public().values()), public()
    # Published again: it comes first, before the piece approved after it the first time.
    first = client.get("/api/gallery").json()["items"][0]
    assert first["id"] == cid
