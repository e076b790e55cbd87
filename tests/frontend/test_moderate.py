"""The moderation dashboard beyond approving: hold, reject with a kind reason (which the
contributor then reads on the status page), and a stale edit refused without losing track."""

from __future__ import annotations

import uuid

import httpx

from tests.frontend.conftest import MODERATOR, PASSWORD, is_focused, sign_in


def send(base_url: str, title: str) -> str:
    """A contribution through the real API, as the form sends it; returns the receipt code."""
    fields = {"kind": "text", "form": "note", "title": title, "body": "Nobody rang today.",
              "consent": "true"}
    r = httpx.post(f"{base_url}/api/contributions", data=fields,
                   files={"_": ("", b"", "application/octet-stream")})
    assert r.status_code == 202, r.text
    return r.json()["receipt"]


def select_by_title(page, title: str) -> None:
    for key in ["k"] * 10 + ["j"] * 30:
        if page.locator("#detail-h").inner_text() == title:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{title!r} is not in the queue")


def test_hold_and_reject_with_a_reason(page, live_server):
    run = uuid.uuid4().hex[:6]
    held, rejected = f"Held note {run}", f"Rejected note {run}"
    send(live_server.base_url, held)
    code = send(live_server.base_url, rejected)
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    page.locator("body").click(position={"x": 5, "y": 5})

    select_by_title(page, held)
    page.keyboard.press("h")
    page.wait_for_function("t => !document.querySelector('#queue-list').innerText.includes(t)",
                           arg=held)

    select_by_title(page, rejected)
    page.keyboard.press("r")
    reason = page.get_by_label("Reason the contributor will see")
    assert is_focused(reason)
    page.get_by_role("button", name="Reject with this reason").click()  # empty: refused
    assert "kind reason" in page.locator("#detail-error").inner_text()
    assert reason.get_attribute("aria-invalid") == "true"
    reason.fill("It names someone who has not agreed. Please share it again without the name.")
    page.get_by_role("button", name="Reject with this reason").click()
    page.wait_for_function("t => !document.querySelector('#queue-list').innerText.includes(t)",
                           arg=rejected)

    page.get_by_label("Showing").select_option("held")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_function("t => document.querySelector('#queue-list').innerText.includes(t)",
                           arg=held)

    page.goto("/status")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("Receipt code").press("Enter")
    result = page.locator("#result")
    result.wait_for(state="visible")
    assert "It was not published." in result.inner_text()
    assert "names someone who has not agreed" in result.inner_text()


def test_a_stale_edit_is_refused_and_the_contribution_reloaded(page, live_server):
    title = f"Contested note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title)
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    page.locator("body").click(position={"x": 5, "y": 5})
    select_by_title(page, title)

    # Another moderator changes it meanwhile.
    with httpx.Client(base_url=live_server.base_url) as other:
        r = other.post("/api/admin/session", json={"username": MODERATOR, "password": PASSWORD})
        other.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        queue = other.get("/api/admin/queue", params={"status": "pending", "limit": 100}).json()
        item = next(i for i in queue["items"] if i["title"] == title)
        r = other.patch(f"/api/admin/contributions/{item['id']}",
                        json={"version": item["version"], "tags": ["changed-elsewhere"]})
        assert r.status_code == 200, r.text

    page.keyboard.press("a")
    error = page.locator("#detail-error")
    error.wait_for(state="visible")
    assert "Someone else changed this contribution" in error.inner_text()
    assert page.get_by_label("Tags").input_value() == "changed-elsewhere"  # reloaded
    page.keyboard.press("Escape")
    page.keyboard.press("a")  # now with the fresh version it goes through
    page.wait_for_function("t => !document.querySelector('#queue-list').innerText.includes(t)",
                           arg=title)


def test_a_visitors_report_reaches_the_reported_view(page, live_server):
    title = f"Reported note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title)
    with httpx.Client(base_url=live_server.base_url) as other:
        r = other.post("/api/admin/session", json={"username": MODERATOR, "password": PASSWORD})
        other.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        queue = other.get("/api/admin/queue", params={"status": "pending", "limit": 100}).json()
        item = next(i for i in queue["items"] if i["title"] == title)
        r = other.post(f"/api/admin/contributions/{item['id']}/decision",
                       json={"action": "approve", "version": item["version"]})
        assert r.status_code == 200, r.text
    cid = item["id"]

    # A visitor reports it from its page.
    page.goto(f"/contributions/{cid}")
    page.get_by_text("Report this contribution").click()
    page.get_by_label("What is wrong?").fill("It names my neighbour.")
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("A moderator will look at it").wait_for()

    sign_in(page)
    page.get_by_label("Showing").select_option("reported")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_function("t => document.querySelector('#queue-list').innerText.includes(t)",
                           arg=title)
    page.locator("#queue-list .queue-item").filter(has_text=title).click()
    assert "Reported by visitors once" in page.locator("#detail").inner_text()
