"""Every page in Chromium: axe finds nothing, 320 px holds, no CSP or script errors, small."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.frontend.conftest import BUDGET_BYTES, LiveServer, asset_bytes, check_page, is_focused

CRISIS_PAGES = {"home", "contribute", "status", "support"}
PAGES = [
    ("home", "/"),
    ("contribute", "/contribute"),
    ("gallery", "/gallery"),
    ("status", "/status"),
    ("support", "/support"),
    ("about", "/about"),
    ("guidelines", "/guidelines"),
    ("moderate-sign-in", "/moderate"),
    ("not-found", "/no-such-page"),
]


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page(page, name, path):
    response = page.goto(path)
    assert response.status == (404 if name == "not-found" else 200)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1
    crisis = page.locator("aside.crisis")
    if name in CRISIS_PAGES:
        text = crisis.inner_text()
        assert "not a crisis service" in text
        for number in ("116 123", "85258", "111"):
            assert number in text
    # The browser logs the 404 page's own status as an error; nothing else may appear.
    expected = {"not-found": ("/no-such-page",)}
    check_page(page, name, ignore_console=expected.get(name, ()))
    assert asset_bytes(page) <= BUDGET_BYTES, sorted(page.watch.assets)


def test_skip_link_is_first_and_moves_focus_to_main(page):
    page.goto("/gallery")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert is_focused(skip)
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # Focus is visible: a real outline, not removed.
    page.keyboard.press("Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_easy_read_is_remembered_and_changes_words_and_size(page):
    page.goto("/")
    toggle = page.get_by_role("button", name="Easy read")
    size_before = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert toggle.get_attribute("aria-pressed") == "false"
    standard = page.locator("p.lead.std")
    easy = page.locator("p.lead.easy")
    assert standard.is_visible() and not easy.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.classList.contains('easy-read')")
    assert page.get_by_role("button", name="Easy read").get_attribute("aria-pressed") == "true"
    assert easy.is_visible() and not standard.is_visible()
    size_after = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert size_after >= size_before * 1.2
    page.goto("/contribute")  # the choice holds on every page
    assert page.evaluate("() => document.documentElement.classList.contains('easy-read')")
    check_page(page, "contribute-easy-read")
    page.get_by_role("button", name="Easy read").click()
    page.reload()
    assert not page.evaluate("() => document.documentElement.classList.contains('easy-read')")


def test_blurhash_placeholders_decode_like_the_reference(page):
    import blurhash_rs

    from tests.samples import halves

    hash_ = blurhash_rs.blurhash_encode(halves(64, 48), x_components=4, y_components=3)
    image = blurhash_rs.blurhash_decode(hash_, 8, 6).convert("RGB")
    raw = image.tobytes()
    expected = [list(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    page.goto("/about")
    pixels = page.evaluate(
        """async (hash) => {
            const { decode } = await import('/assets/js/blurhash.js');
            const rgba = decode(hash, 8, 6);
            const out = [];
            for (let i = 0; i < rgba.length; i += 4) out.push([rgba[i], rgba[i + 1], rgba[i + 2]]);
            return out;
        }""",
        hash_,
    )
    assert len(pixels) == len(expected) == 48
    worst = max(abs(a - b) for got, want in zip(pixels, expected, strict=True)
                for a, b in zip(got, want, strict=True))
    assert worst <= 2, (pixels[:4], expected[:4])


def test_reduced_motion_turns_transitions_off(page):
    page.emulate_media(reduced_motion="reduce")
    page.goto("/")
    button = page.locator("a.button").first
    duration = button.evaluate("el => getComputedStyle(el).transitionDuration")
    assert duration in ("0s", "0s, 0s")


def test_support_lists_the_directory_and_filters_by_area(page):
    page.goto("/support")
    page.locator("#directory").wait_for(state="visible")
    assert page.locator("#services > li").count() > 0
    assert page.locator("#d-category option").count() > 1  # categories from the API
    page.get_by_label("Area").select_option("devon")
    page.get_by_role("button", name="Show services").click()
    page.wait_for_url("**/support?region=devon*")
    page.locator("#directory").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert any("/api/services?region=devon" in call for call in page.watch.api_calls)
    assert page.get_by_label("Area").input_value() == "devon"
    services = page.locator("#services > li")
    assert services.count() > 0
    for i in range(services.count()):
        meta = services.nth(i).locator(".item-meta").first.inner_text()
        assert "Devon" in meta or "national" in meta, meta
    check_page(page, "support-devon")


def test_support_shows_helplines_only_when_the_directory_api_is_missing(page, context):
    context.route("**/api/services*", lambda route: route.fulfill(
        status=404, json={"error": "not_found", "detail": "There is no such API endpoint."}))
    page.goto("/support")
    page.wait_for_load_state("networkidle")
    helplines = page.locator("#helplines")
    for name in ("Samaritans", "Shout", "NHS 111"):
        assert name in helplines.inner_text()
    assert page.locator("#helplines a[href='tel:116123']").count() == 1
    assert page.locator("#directory").is_hidden()
    body = page.locator("main").inner_text().lower()
    assert "error" not in body and "could not" not in body and "not found" not in body


@contextmanager
def a_located_service(live_server: LiveServer) -> Iterator[None]:
    """Put one seed service's location in Exeter for a while (the seed has no coordinates)."""
    from sqlalchemy import create_engine, text

    from scrapbook.core.config import Settings
    from scrapbook.gallery.publication import public_generation

    engine = create_engine(live_server.database_url)
    with engine.begin() as conn:
        location = conn.execute(text(
            "SELECT sal.location_id FROM service_at_location sal "
            "JOIN service s ON s.id = sal.service_id WHERE s.status = 'active' "
            "ORDER BY sal.location_id LIMIT 1")).scalar_one()
    # SQL by hand, as an operator might run it: then, as the README says, the public pages
    # every process keeps are refreshed (`scrapbook refresh-public` does this).
    refresh = public_generation(Settings(queue_path=live_server.uploads_dir.parent / "queue.db"))
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE location SET latitude = 50.7236, longitude = -3.5275 "
                              "WHERE id = :id"), {"id": location})
        refresh.advance()
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE location SET latitude = NULL, longitude = NULL "
                              "WHERE id = :id"), {"id": location})
        refresh.advance()
        engine.dispose()


def test_support_nearest_first_sends_only_a_rounded_location(page, context, live_server):
    # No service has a place on the map yet: nearest-first would mean nothing, so no button.
    page.goto("/support")
    page.locator("#directory").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Nearest to me first").count() == 0
    assert page.locator("#d-locate-hint").is_hidden()

    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 50.726341, "longitude": -3.527519})  # Exeter
    with a_located_service(live_server):
        page.reload()
        page.locator("#directory").wait_for(state="visible")
        page.get_by_role("button", name="Nearest to me first").click()
        page.wait_for_url("**/support?near=50.73%2C-3.53*")
        page.locator("#directory").wait_for(state="visible")
        page.wait_for_load_state("networkidle")
        calls = [c for c in page.watch.api_calls if "/api/services?" in c and "near=" in c]
        assert calls and all("50.73%2C-3.53" in c for c in calls), calls
        assert not any("50.726" in c or "3.5275" in c for c in page.watch.api_calls)
        assert "Nearest first" in page.locator("#d-locate-status").inner_text()
        assert "km away" in page.locator("#services > li").first.inner_text()
        check_page(page, "support-near")


def test_support_report_leaves_focus_on_its_thank_you(page):
    page.goto("/support")
    page.locator("#directory").wait_for(state="visible")
    service = page.locator("#services > li").first
    service.get_by_text("Are these details out of date?").click()
    send = service.get_by_role("button", name="Send", exact=True)
    send.click()  # nothing written: the field says so
    field = service.get_by_label("What has changed?")
    assert is_focused(field) and field.get_attribute("aria-invalid") == "true"
    field.fill("The phone number has changed.")
    send.focus()
    page.keyboard.press("Enter")
    thanks = service.get_by_role("status")
    expect(thanks).to_contain_text("Thank you")
    assert is_focused(thanks)  # not dropped onto <body> with the Send button
