"""Faults a person saw, each from the issue "One rule in one place": long words that pushed the
queue out of reach, the audit log off a phone's screen, licence slugs, a safeguarding notice
that linked nowhere, file sizes in two units, reuse invited where it is not allowed, "chair.…"."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.frontend.conftest import IMAGE_BYTES_MAX, check_page, overflow_at, sign_in
from tests.frontend.conftest import decide as approve
from tests.frontend.conftest import send_note as send

LONG_WORD = "Lonely" + "x" * 84  # 90 characters, no spaces

# Is the middle of each queue item really that item (not covered by the detail panel)?
CLICKABLE = """() => [...document.querySelectorAll('#queue-list .queue-item')].map(button => {
  button.scrollIntoView({block: 'center', behavior: 'instant'});  // not the page's smooth scrolling
  const box = button.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return box.width > 0 && box.right <= window.innerWidth + 1 && !!hit && button.contains(hit);
})"""


def show(page, title: str) -> None:
    page.locator("#queue-list .queue-item").filter(has_text=title).click()
    expect(page.locator("#detail-h")).to_have_text(title)


def test_a_long_unbroken_title_keeps_every_queue_item_clickable(page, live_server):
    title = f"{LONG_WORD[:84]}{uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title, body="Some days I want to die.")  # "may be at risk"
    send(live_server.base_url, f"Short note {uuid.uuid4().hex[:6]}")
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    risky = page.locator("#queue-list .queue-item").filter(has_text=title)
    expect(risky.locator(".risk-flag")).to_have_text("May be at risk")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        assert overflow_at(page, width) <= 0, f"the moderation page scrolls sideways at {width} px"
        assert all(page.evaluate(CLICKABLE)), f"a queue item is covered or off-screen at {width} px"
        risky.click()
        expect(page.locator("#detail-h")).to_have_text(title)
    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "moderate-long-title")

    # Once published, the gallery card and the piece's own page hold too.
    cid = approve(live_server.base_url, title)
    for path in ("/gallery", f"/contributions/{cid}"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        for width in (1280, 375):
            assert overflow_at(page, width) <= 0, f"{path} scrolls sideways at {width} px"


def test_the_audit_log_scrolls_within_its_own_region_on_a_phone(page, live_server):
    title = f"Audited note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title)
    approve(live_server.base_url, title, "reject",
            reason=f"Please see {LONG_WORD} and send it again.")
    sign_in(page)
    page.get_by_role("link", name="Audit log").click()
    page.locator("#audit-body tr").first.wait_for()
    page.set_viewport_size({"width": 375, "height": 800})
    assert overflow_at(page, 375) <= 0, "the audit log runs off a phone's screen"
    region = page.get_by_role("region", name="Moderation actions")
    expect(region).to_be_visible()
    region.focus()  # a keyboard user can scroll it sideways
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "moderate-audit")


def test_moderators_see_licence_names_and_a_safeguarding_link_that_goes_somewhere(page,
                                                                                  live_server):
    title = f"Licensed note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, title, body="I can't go on like this.", licence="cc-by-4.0")
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    show(page, title)
    facts = page.locator("#detail .item-meta").first.inner_text()
    assert "licence: Creative Commons Attribution 4.0" in facts
    assert "cc-by-4.0" not in facts

    link = page.locator("#risk-notice").get_by_role("link", name="Follow the safeguarding steps")
    link.click()
    steps = page.locator(f"{link.get_attribute('href')}")
    expect(steps).to_be_visible()
    expect(steps.get_by_role("heading", name=re.compile("Safeguarding steps"))).to_be_in_viewport()
    text = steps.inner_text()
    assert "Samaritans" in text and "116 123" in text
    assert "Shout" in text and "85258" in text
    assert "NHS" in text and "111" in text
    show(page, title)  # the queue still works after following the link
    check_page(page, "moderate-safeguarding")


def test_the_picture_field_says_what_is_chosen_in_the_apis_units(page, context):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    picker = page.locator("#files-field .file-picker")
    expect(picker).to_contain_text("No pictures chosen yet")
    # The browser's own box (which would say "No file chosen") is not what people see.
    assert page.locator("#files").evaluate("el => el.getBoundingClientRect().width") <= 1
    # The keyboard reaches it, its focus shows on the visible button, and it opens the chooser.
    page.get_by_label("Your pictures", exact=True).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "files"
    ring = page.locator("#files-button").evaluate("el => getComputedStyle(el).outlineStyle")
    assert ring == "solid"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    assert chooser.value.is_multiple()
    page.locator("#files").set_input_files([
        {"name": "small.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * 11_500},
        {"name": "tiny.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * 200},
    ])
    expect(picker).to_contain_text("2 pictures chosen")
    items = page.locator("#file-list li")
    expect(items.nth(0)).to_contain_text("small.png (12 kB)")
    expect(items.nth(1)).to_contain_text("tiny.png (1 kB)")
    assert "0 MB" not in page.locator("#file-list").inner_text()

    # Just over the limit reads as over it, in the server's own units (1 MB = 1,000,000 bytes).
    page.locator("#files").set_input_files([{"name": "big.png", "mimeType": "image/png",
                                             "buffer": b"\x89PNG" + b"0" * IMAGE_BYTES_MAX}])
    error = page.locator("#files-error").inner_text()
    assert "“big.png” is 2.1 MB, more than the 2 MB limit" in error
    expect(picker).to_contain_text("2 pictures chosen")

    # A limit that is not a round number is worded as the server words it: whole MB, rounded down.
    def mebibytes(route):
        response = route.fetch()
        data = response.json()
        data["accepted"]["image"]["max_bytes"] = 20 * 1024 * 1024
        route.fulfill(response=response, json=data)

    context.route("**/api/meta", mebibytes)
    page.reload()
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    hint = page.locator("#files-hint").inner_text()
    assert "up to 20 MB" in hint, hint


def test_all_rights_reserved_does_not_invite_reuse_and_visitors_read_about_this_work(page,
                                                                                     live_server):
    reserved = f"Reserved note {uuid.uuid4().hex[:6]}"
    shared = f"Shared note {uuid.uuid4().hex[:6]}"
    send(live_server.base_url, reserved, licence="all-rights-reserved")
    send(live_server.base_url, shared, licence="cc-by-4.0")
    page.goto(f"/contributions/{approve(live_server.base_url, reserved)}")
    section = page.locator("section[aria-labelledby=licence-h]")
    expect(section).to_contain_text("All rights reserved")
    text = section.inner_text()
    assert "credit it like this" not in text and page.locator(".credit").count() == 0
    assert "your work" not in text.lower() and "this work" in text

    page.goto(f"/contributions/{approve(live_server.base_url, shared)}")
    section = page.locator("section[aria-labelledby=licence-h]")
    expect(section).to_contain_text("please credit it like this")
    text = section.inner_text()
    assert "your work" not in text.lower() and "credit the author" in text
    check_page(page, "contribution-licence")


def test_an_excerpt_is_cut_at_a_word_without_an_ellipsis_after_a_full_stop(page, live_server):
    title = f"Excerpt note {uuid.uuid4().hex[:6]}"
    said = "I sat by the window all afternoon and nobody came to sit in the other old wooden chair."
    body = f"{said} Afterwards it rained."
    assert len(said) <= 90 < len(said) + len(" Afterwards")  # 90 characters end inside "Afterwards"
    send(live_server.base_url, title, body=body)
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    shown = page.locator("#queue-list .queue-item").filter(has_text=title).locator(".qi-meta").last
    assert shown.inner_text() == said  # not "chair.…", nor "chair. Af…"
