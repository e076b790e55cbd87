"""The contribute form: errors tied to fields, files checked before upload, cancel, focus
kept somewhere sensible; and withdrawing afterwards, which can be tried again if it fails."""

from __future__ import annotations

import json
import re
import uuid

from tests.frontend.conftest import (
    IMAGE_BYTES_MAX,
    axe_violations,
    is_focused,
    send_note,
    throttle_upload,
)
from tests.samples import noisy_jpeg, svg_bytes


def submissions(page) -> list[str]:
    return [c for c in page.watch.api_calls if c.startswith("POST /api/contributions")]


def test_errors_are_summarised_and_tied_to_their_fields(page):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Send it to the moderators").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert is_focused(summary)
    links = summary.locator("a")
    assert links.count() == 2  # the writing and the consent
    body = page.get_by_label("Your writing")
    assert body.get_attribute("aria-invalid") == "true"
    described = body.get_attribute("aria-describedby").split()
    assert "body-hint" in described and "body-error" in described
    assert "Please write something" in page.locator("#body-error").inner_text()
    consent = page.locator("#consent")
    assert "consent-error" in consent.get_attribute("aria-describedby")
    links.first.click()  # the summary link takes you to the field
    assert is_focused(body)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)
    assert submissions(page) == []
    # Fixing a field and sending again clears its error.
    body.fill("Quiet rooms.")
    page.get_by_role("button", name="Send it to the moderators").click()
    assert page.locator("#body-error").count() == 0
    assert body.get_attribute("aria-invalid") is None
    assert page.locator("#consent-error").count() == 1


def test_sound_and_video_appear_only_once_the_api_lists_them(page, context):
    def meta_with(kinds):
        def handle(route):
            response = route.fetch()
            data = response.json()
            data["kinds"] = [k for k in data["kinds"] if k in ("text", "image")] + kinds
            data["accepted"]["audio"] = {"max_bytes": 50_000_000, "max_seconds": 120}
            data["accepted"].pop("video", None)  # the page has no defaults of its own
            route.fulfill(response=response, json=data)
        return handle

    context.route("**/api/meta", meta_with([]))
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    assert page.locator("#kind-choices input").count() == 2  # writing and pictures only
    assert page.locator("#transcript-field").is_hidden()

    context.unroute("**/api/meta")
    context.route("**/api/meta", meta_with(["audio", "video"]))
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("#kind-choices input").count() == 4
    page.get_by_role("radio", name=re.compile(r"^Sound")).check()
    assert page.locator("#files-label").inner_text() == "Choose a sound file"
    hint = page.locator("#files-hint").inner_text()
    assert "50 MB" in hint and "2 minutes" in hint  # the limits from /api/meta
    accept = page.locator("#files").get_attribute("accept")
    assert "audio/*" in accept and ".m4a" in accept
    assert page.locator("#files").get_attribute("multiple") is None
    transcript = page.get_by_label(re.compile(r"^Transcript or description: what is said"))
    assert transcript.is_visible()
    assert "cannot hear" in page.locator("#transcript-hint").inner_text()
    page.get_by_role("radio", name=re.compile(r"^Video")).check()
    hint = page.locator("#files-hint").inner_text()
    # No limits given: the page states none (it copies no server defaults); the server checks.
    assert "MB" not in hint and "minutes" not in hint and hint.startswith("One file (")
    assert "what is said and shown" in page.locator("#transcript-label").inner_text()
    page.get_by_role("radio", name=re.compile(r"^Writing")).check()
    assert page.locator("#transcript-field").is_hidden()


def test_files_are_checked_against_the_limits_before_anything_is_sent(page):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    assert page.locator("#files-field").is_visible()
    hint = page.locator("#files-hint").inner_text()
    assert "2 MB" in hint and "HEIC" in hint  # limits and types from /api/meta
    page.locator("#files").set_input_files([
        {"name": "drawing.svg", "mimeType": "image/svg+xml", "buffer": svg_bytes()},
        {"name": "huge.jpg", "mimeType": "image/jpeg",
         "buffer": b"\xff\xd8" + b"0" * IMAGE_BYTES_MAX},
    ])
    error = page.locator("#files-error")
    assert "drawing.svg" in error.inner_text() and "huge.jpg" in error.inner_text()
    assert "files-error" in page.locator("#files").get_attribute("aria-describedby")
    assert page.locator("#file-list li").count() == 0
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    assert "at least one picture" in page.locator("#files-error").inner_text()
    assert submissions(page) == []


def test_sending_can_be_cancelled_and_nothing_is_kept(page, context, live_server):
    before = live_server.count("contribution")
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    photo = noisy_jpeg(900, 700)
    assert 300_000 < len(photo) < IMAGE_BYTES_MAX
    page.locator("#files").set_input_files(
        [{"name": "window.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.get_by_label("Describe picture 1 (optional)").fill("Rain on a window.")
    page.locator("#consent").check()
    throttle_upload(context, page, 60_000)
    page.get_by_role("button", name="Send it to the moderators").click()
    page.wait_for_function("() => document.querySelector('#progress-0').value >= 1")
    label = page.locator("label[for='progress-0']").inner_text()
    assert label == "window.jpg"
    assert page.locator(".progress-pct").first.inner_text().endswith("%")
    page.get_by_role("button", name="Cancel sending").click()
    notice = page.locator("#form-notice")
    assert "cancelled" in notice.inner_text()
    assert is_focused(notice)
    # Everything is still there to try again.
    assert page.locator("#file-list li").count() == 1
    assert page.get_by_label("Describe picture 1 (optional)").input_value() == "Rain on a window."
    assert live_server.count("contribution") == before


def test_words_that_suggest_risk_bring_care_and_helplines_before_the_code(page):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Your writing").fill("Some nights I can't go on like this.")
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    page.locator("#receipt").wait_for(state="visible")
    care = page.locator("#receipt .care")
    assert "Some of what you wrote sounds very hard" in care.inner_text()
    assert care.locator("a[href='tel:116123']").count() == 1
    # It comes before the code, right under the thank-you.
    assert page.evaluate("""() => document.querySelector('#receipt .care')
        .compareDocumentPosition(document.querySelector('#receipt-code'))
        & Node.DOCUMENT_POSITION_FOLLOWING""")
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)


def test_removing_a_picture_keeps_the_file_chooser_in_the_tab_order(page):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_role("radio", name=re.compile(r"^Pictures")).check()
    page.locator("#files").set_input_files([
        {"name": f"{name}.jpg", "mimeType": "image/jpeg", "buffer": noisy_jpeg(60, 40)}
        for name in ("first", "second")])
    page.get_by_role("button", name="Remove first.jpg").focus()
    page.keyboard.press("Enter")
    files = page.locator("#files")
    assert is_focused(files)
    assert files.get_attribute("tabindex") is None
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # Tab comes back to the file chooser, not past it
    assert is_focused(files)


def test_focus_moves_to_the_sending_status_when_cancel_stops_working(page, context):
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Your writing").fill("The house is quiet in the afternoons. " * 150)
    page.locator("#consent").check()
    # Where focus is the moment Cancel is disabled (once every byte has gone).
    page.evaluate("""() => {
        const cancel = document.querySelector('#cancel');
        new MutationObserver(() => {
          if (cancel.disabled && !window.focusAtEnd) window.focusAtEnd = document.activeElement.id;
        }).observe(cancel, {attributes: true, attributeFilter: ['disabled']});
    }""")
    throttle_upload(context, page, 3_000)
    page.get_by_role("button", name="Send it to the moderators").click()
    page.locator("#cancel").focus()  # a keyboard user resting on Cancel while it sends
    page.locator("#receipt").wait_for(state="visible")
    assert page.evaluate("() => window.focusAtEnd") == "sending-status"


def test_a_failed_withdrawal_can_be_tried_again(page, live_server):
    code = send_note(live_server.base_url, f"Withdrawn note {uuid.uuid4().hex[:6]}")
    failures = []

    def fail_once(route):
        if route.request.method == "DELETE" and not failures:
            failures.append(route.request.url)
            route.fulfill(status=500, json={"error": "internal", "detail": "Please try again."})
        else:
            route.continue_()

    page.route("**/api/receipts/*", fail_once)
    page.goto("/status")
    page.get_by_label("Receipt code").fill(code)
    page.get_by_label("Receipt code").press("Enter")
    page.locator("#result").wait_for(state="visible")
    page.get_by_role("button", name="Withdraw it").click()
    page.get_by_role("button", name="Yes, erase it").click()
    error = page.locator("#confirm-error")
    error.wait_for(state="visible")
    assert "Please try again." in error.inner_text()
    assert is_focused(error)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)
    page.get_by_role("button", name="No, keep it").click()
    page.get_by_role("button", name="Withdraw it").click()  # the box still works
    yes = page.get_by_role("button", name="Yes, erase it")
    assert is_focused(yes) and error.is_hidden()
    yes.click()
    page.locator("#withdrawn").wait_for(state="visible")
    assert len(failures) == 1
    assert not [e for e in page.watch.console_errors if e.startswith("uncaught")]


def test_a_refusal_from_the_server_is_shown_beside_the_field_it_names(page):
    # The page checks the address's shape; only the server knows a mailto-style address with
    # parameters is not a plain address. Its answer names the field, and the page uses that.
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Your writing").fill("Quiet rooms.")
    page.locator("#contact_email").fill("me@example.org?subject=hello")
    page.locator("#consent").check()
    page.get_by_role("button", name="Send it to the moderators").click()
    error = page.locator("#contact_email-error")
    error.wait_for(state="visible")
    assert "email address" in error.inner_text()
    assert page.locator("#contact_email").get_attribute("aria-invalid") == "true"
    assert submissions(page) == ["POST /api/contributions"]


def test_the_form_checks_the_limits_the_api_gives_and_no_others(page, context):
    def meta_with_short_titles(route):
        response = route.fetch()
        data = response.json()
        data["limits"]["title"] = 5
        route.fulfill(response=response, json=data)

    context.route("**/api/meta", meta_with_short_titles)
    page.goto("/contribute")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Your writing").fill("Quiet rooms.")
    page.locator("#title").fill("Kettles")
    page.get_by_role("button", name="Send it to the moderators").click()
    assert "at most 5 characters" in page.locator("#title-error").inner_text()
    assert submissions(page) == []

