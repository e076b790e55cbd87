"""The moderation dashboard beyond approving: hold, reject with a kind reason (which the
contributor then reads on the status page), a stale edit refused without losing track,
visitors' reports shown inline, and single-key shortcuts that can be turned off."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import expect

from tests.frontend.conftest import MODERATOR, PASSWORD, check_page, decide, is_focused, sign_in
from tests.frontend.conftest import send_note as send

SAID_IN = """text => [...document.querySelectorAll('[aria-live], [role=status], [role=alert]')]
    .filter(region => region.textContent.includes(text)).length"""


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
    page.wait_for_timeout(200)  # past announce()'s 50 ms delay
    assert page.evaluate(SAID_IN, f"Put on hold: {held}") == 1  # said once, not twice

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
    cid = decide(live_server.base_url, title)

    # A visitor reports it from its page; focus stays with the thank-you, not on <body>.
    page.goto(f"/contributions/{cid}")
    page.get_by_text("Report this contribution").click()
    page.get_by_label("What is wrong?").fill("It names my neighbour.")
    page.get_by_role("button", name="Send the report").click()
    thanks = page.locator("#report-message-status")
    expect(thanks).to_contain_text("A moderator will look at it")
    assert is_focused(thanks)

    sign_in(page)
    page.get_by_label("Showing").select_option("reported")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_function("t => document.querySelector('#queue-list').innerText.includes(t)",
                           arg=title)
    page.locator("#queue-list .queue-item").filter(has_text=title).click()
    notice = page.locator("#reports-notice")
    assert "Reported by visitors once" in notice.inner_text()
    assert "Approve again to keep it published and close these reports" in notice.inner_text()
    expect(notice.locator("li")).to_have_count(1)
    assert "It names my neighbour." in notice.locator("li").inner_text()  # what they said, inline
    check_page(page, "moderate-reported")

    page.keyboard.press("a")  # approving again closes the report
    page.wait_for_function("t => !document.querySelector('#queue-list').innerText.includes(t)",
                           arg=title)
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert title not in page.locator("#queue-list").inner_text()


def test_single_key_shortcuts_can_be_turned_off(page, live_server):
    title = f"Shortcut note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title)
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    page.locator("body").click(position={"x": 5, "y": 5})
    select_by_title(page, title)

    page.keyboard.press("?")
    switch = page.locator("#help").get_by_role("switch", name="Keyboard shortcuts")
    assert switch.get_attribute("aria-checked") == "true"  # on unless turned off
    switch.click()
    assert switch.get_attribute("aria-checked") == "false"
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    page.keyboard.press("?")
    page.wait_for_timeout(300)
    assert page.locator("#help").is_hidden()
    assert title in page.locator("#queue-list").inner_text()  # not approved
    assert page.locator("#approve").get_attribute("aria-keyshortcuts") is None

    page.reload()  # the choice is remembered, and shown on the dashboard
    page.locator("#queue-list .queue-item").first.wait_for()
    bar_switch = page.locator("#dashboard").get_by_role("switch", name="Keyboard shortcuts")
    assert bar_switch.get_attribute("aria-checked") == "false"
    assert "Keyboard shortcuts: off" in bar_switch.inner_text()
    bar_switch.click()
    assert bar_switch.get_attribute("aria-checked") == "true"
    select_by_title(page, title)
    page.keyboard.press("a")
    page.wait_for_function("t => !document.querySelector('#queue-list').innerText.includes(t)",
                           arg=title)
