"""The whole story in Chromium, as the issue tells it: a contributor sends a poem and a picture
and keeps the receipts; a moderator approves both with the keyboard (describing the picture);
a visitor finds them, filters by area and reveals the content-warned poem; the contributor
withdraws the picture from the status page and it disappears."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.frontend.conftest import check_page, is_focused, sign_in, throttle_upload
from tests.samples import noisy_jpeg

RECEIPT = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$")


def send_poem(page, title: str) -> str:
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_label("What kind of piece is it?").select_option("poem")
    page.get_by_label("Title (optional)").fill(title)
    page.get_by_label("Your writing").fill(
        "The kettle clicks off\nand nobody asks\nif I want one too.")
    page.get_by_label("Where are you? (optional)").select_option("devon")
    page.get_by_label("Tags (optional)").fill("night, kettle")
    page.get_by_label("Content warning (optional)").fill("grief")
    page.get_by_role("radio", name="With a first name or a pen name").check()
    page.get_by_label("Your first name or pen name").fill("Wren")
    page.get_by_role("radio", name=re.compile(r"^Creative Commons Attribution 4\.0")).check()
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    page.locator("#receipt").wait_for(state="visible")
    assert page.locator("#progress-0").evaluate("el => el.value") == 100
    return page.locator("#receipt-code").inner_text()


def send_picture(page, context, title: str) -> str:
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    page.get_by_label("What kind of piece is it?").select_option("photo")
    page.get_by_label("Title (optional)").fill(title)
    page.locator("#files").set_input_files(
        [{"name": "window.jpg", "mimeType": "image/jpeg", "buffer": noisy_jpeg(700, 500)}])
    assert page.locator("#file-list li").count() == 1
    page.get_by_label("Where are you? (optional)").select_option("cornwall")
    page.locator("#consent").check()
    # A slower link, so the progress bar can be seen moving, as on a phone.
    cdp = throttle_upload(context, page, 400_000)
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => {
          const bar = document.querySelector('#progress-0');
          const pct = document.querySelector('.progress-pct');
          if (bar) window.seen.push([bar.value, pct.textContent]);
        }).observe(document.querySelector('#progress-list'),
                   {subtree: true, childList: true, attributes: true, characterData: true});
    }""")
    page.get_by_role("button", name="Send it to the moderators").click()
    page.locator("#sending").wait_for(state="visible")
    assert page.locator("label[for='progress-0']").inner_text() == "window.jpg"
    check_page(page, "contribute-sending")
    page.locator("#receipt").wait_for(state="visible", timeout=20_000)
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                  "downloadThroughput": -1, "uploadThroughput": -1})
    seen = page.evaluate("() => window.seen")
    assert any(0 < value < 100 for value, _ in seen), seen  # it moved through the middle
    assert seen[-1] == [100, "100%"]
    return page.locator("#receipt-code").inner_text()


def keep_receipt(page, context, code: str, tmp_path: Path) -> None:
    """The receipt is shown with plain words, and can be copied and downloaded."""
    text = page.locator("#receipt").inner_text()
    assert "only way to check on your contribution or take it back" in text
    assert is_focused(page.locator("#receipt-h"))
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy the code").click()
    expect(page.locator("#copy-status")).to_contain_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == code
    with page.expect_download() as download:
        page.get_by_role("button", name="Download it as a file").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "scrapbook-receipt.txt"
    assert code in saved.read_text()


def select_by_title(page, title: str) -> None:
    """Move through the queue with j/k until the contribution is in front of the moderator."""
    for key in ["k"] * 10 + ["j"] * 20:
        if page.locator("#detail-h").inner_text() == title:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{title!r} is not in the queue")


def gone_from_queue(page, title: str) -> None:
    page.wait_for_function(
        "title => !document.querySelector('#queue-list').innerText.includes(title)", arg=title)


def moderate(page, poem: str, picture: str) -> None:
    sign_in(page)
    page.locator("#queue-list .queue-item").first.wait_for()
    queue = page.locator("#queue-list").inner_text()
    assert poem in queue and picture in queue
    assert page.locator("#queue-list img").count() >= 1  # a preview of the picture
    check_page(page, "moderate-queue")

    page.locator("body").click(position={"x": 5, "y": 5})  # not in a field
    select_by_title(page, poem)
    page.keyboard.press("a")
    gone_from_queue(page, poem)
    assert "Approved" in page.locator("#dash-status").inner_text()

    select_by_title(page, picture)
    page.keyboard.press("a")  # refused: the picture has no description yet
    alt = page.locator("#detail textarea[data-media]")
    assert is_focused(alt)
    assert "description" in page.locator("#detail-error").inner_text()
    page.keyboard.type("Rain running down a window at dusk.")
    page.keyboard.press("a")  # typing: no shortcut
    assert alt.input_value().endswith("dusk.a")
    page.keyboard.press("Backspace")
    page.keyboard.press("Escape")  # leave the field; shortcuts work again
    page.keyboard.press("a")  # saves the description, then approves
    gone_from_queue(page, picture)

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()

    page.get_by_role("link", name="Audit log").click()
    page.locator("#audit-body tr").first.wait_for()
    audit = page.locator("#audit-body").inner_text()
    assert audit.count("approved") >= 2 and "edited" in audit
    assert "Rain running down a window at dusk." in audit
    check_page(page, "moderate-audit")


def browse(page, poem: str, picture: str) -> str:
    page.goto("/gallery")
    page.wait_for_load_state("networkidle")
    results = page.locator("#results")
    assert poem in results.inner_text() and picture in results.inner_text()
    poem_card = results.locator("article", has_text=poem)
    excerpt = poem_card.locator(".excerpt")
    assert excerpt.is_hidden()  # covered by its content warning
    assert "grief" in poem_card.inner_text()
    image = results.locator("article", has_text=picture).locator("img")
    assert image.get_attribute("alt") == "Rain running down a window at dusk."
    check_page(page, "gallery")

    page.get_by_label("Area").select_option("devon")
    page.get_by_role("button", name="Show results").click()
    page.wait_for_url(re.compile(r"/gallery\?region=devon$"))
    page.wait_for_load_state("networkidle")
    assert poem in results.inner_text() and picture not in results.inner_text()
    assert page.get_by_label("Area").input_value() == "devon"
    page.go_back()
    page.wait_for_load_state("networkidle")
    assert picture in results.inner_text()
    page.go_forward()
    page.wait_for_load_state("networkidle")
    assert picture not in results.inner_text()

    poem_card = results.locator("article", has_text=poem)
    reveal = poem_card.get_by_role("button", name="Show it")
    assert reveal.get_attribute("aria-expanded") == "false"
    reveal.click()
    assert poem_card.locator(".excerpt").is_visible()
    assert "nobody asks" in poem_card.inner_text()
    hide = poem_card.get_by_role("button", name="Hide it again")
    assert hide.get_attribute("aria-expanded") == "true"

    page.goto("/gallery?tag=kettle")
    page.wait_for_load_state("networkidle")
    assert poem in results.inner_text() and picture not in results.inner_text()

    page.goto("/gallery?q=kettle")
    page.wait_for_load_state("networkidle")
    assert poem in results.inner_text()

    results.get_by_role("link", name=poem).click()
    page.wait_for_url(re.compile(r"/contributions/"))
    page.get_by_role("button", name="Show it").click()
    piece = page.locator("#piece")
    assert "by Wren" in piece.inner_text()
    assert "Creative Commons Attribution 4.0" in piece.inner_text()
    assert f"“{poem}” by Wren" in page.locator(".credit").inner_text()
    assert page.locator("summary", has_text="Report this contribution").count() == 1
    check_page(page, "contribution")

    page.goto("/")  # the home page shows what is new
    page.wait_for_load_state("networkidle")
    assert picture in page.locator("#recent-list").inner_text()
    check_page(page, "home-with-contributions")
    return page.url


def withdraw(page, code: str, picture: str) -> None:
    page.goto("/status")
    page.get_by_label("Receipt code").fill(code.lower().replace("-", " "))  # forgiving input
    page.get_by_label("Receipt code").press("Enter")
    page.locator("#result").wait_for(state="visible")
    assert "It is in the scrapbook." in page.locator("#result").inner_text()
    link = page.get_by_role("link", name="See it in the scrapbook")
    public_url = link.get_attribute("href")
    check_page(page, "status-published")
    page.get_by_role("button", name="Withdraw it").click()
    assert is_focused(page.get_by_role("button", name="Yes, erase it"))
    page.get_by_role("button", name="Yes, erase it").click()
    page.locator("#withdrawn").wait_for(state="visible")
    check_page(page, "status-withdrawn")

    page.goto("/gallery")
    page.wait_for_load_state("networkidle")
    assert picture not in page.locator("#results").inner_text()
    page.goto(public_url)
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "We couldn't find this contribution"
    page.goto("/status")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("Receipt code").press("Enter")
    assert "could not find this code" in page.locator("#code-error").inner_text()


def test_contribute_moderate_browse_withdraw(page, context, tmp_path):
    run = uuid.uuid4().hex[:6]
    poem, picture = f"Kettle at midnight {run}", f"Window in November {run}"

    poem_code = send_poem(page, poem)
    assert RECEIPT.match(poem_code), poem_code
    picture_code = send_picture(page, context, picture)
    assert RECEIPT.match(picture_code) and picture_code != poem_code
    keep_receipt(page, context, picture_code, tmp_path)
    check_page(page, "contribute-receipt")

    moderate(page, poem, picture)
    browse(page, poem, picture)
    withdraw(page, picture_code, picture)
