"""Browser tests: a real uvicorn server on a free port against a freshly migrated SQLite
database, driven by Debian's Chromium through Playwright, with axe-core from npm.

Skipped (with the reason shown) only when Chromium is not installed; CI installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
FRONTEND = ROOT / "frontend"
ARTIFACTS = ROOT / "test-artifacts"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__test__/axe.min.js"  # served by a Playwright route: same origin, so the CSP allows it
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"),
                             "/usr/bin/chromium") if p and Path(p).is_file()), None)
# Fake camera and microphone (a test pattern and a beep), allowed without asking: only pages
# that call getUserMedia (recording on the contribute page) notice them. Tests may start a
# player from script (as a press of its play button would); they check nothing plays by itself.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
               "--autoplay-policy=no-user-gesture-required"]
PASSWORD = "correct horse battery staple"
MODERATOR = "mod"
IMAGE_BYTES_MAX = 2_000_000  # small, so "too large" can be tested without moving 20 MB around
WIDTHS = (1280, 375)
BUDGET_BYTES = 150_000  # JS + CSS for one visitor page, uncompressed


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM:
        return
    skip = pytest.mark.skip(reason="Chromium is not installed: `apt-get install -y chromium` "
                                   "(.ci/run and `make test-browser` do this)")
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    uploads_dir: Path
    log: Path

    def count(self, table: str, where: str = "") -> int:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                sql = f"SELECT count(*) FROM {table} {where}"  # noqa: S608 (fixed by tests)
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from scrapbook import cli
    from scrapbook.core.db import make_engine, transaction
    from scrapbook.moderation.auth import add_moderator

    root = tmp_path_factory.mktemp("live")
    database_url = f"sqlite:///{root / 'scrapbook.db'}"
    cli.run_migrations(database_url)
    load_seed = getattr(cli, "load_seed_on_first_run", None)  # the support directory's seed
    if load_seed is not None:
        load_seed(database_url)
    engine = make_engine(database_url)
    with contextmanager(transaction)(engine) as session:
        add_moderator(session, MODERATOR, PASSWORD, "moderator", password_min=12)
    engine.dispose()

    port = _free_port()
    env = {
        **os.environ,
        "SCRAPBOOK_ENVIRONMENT": "test",
        "SCRAPBOOK_DATABASE_URL": database_url,
        "SCRAPBOOK_UPLOADS_DIR": str(root / "uploads"),
        # The job queue and unfinished tus uploads: this server's own, never ./var/.
        "SCRAPBOOK_QUEUE_PATH": str(root / "queue.db"),
        "SCRAPBOOK_TUS_DIR": str(root / "tus"),
        "SCRAPBOOK_WORKER_THREADS": "1",
        "SCRAPBOOK_SECRET_KEY": "browser-tests-" + "x" * 40,
        "SCRAPBOOK_SUBMISSIONS_PER_HOUR": "10000",
        "SCRAPBOOK_IMAGE_BYTES_MAX": str(IMAGE_BYTES_MAX),
        "SCRAPBOOK_LOG_LEVEL": "warning",
    }
    log = root / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 (fixed command)
            [sys.executable, "-m", "uvicorn", "scrapbook.main:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=1) as r:  # noqa: S310
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    try:
        yield LiveServer(base_url, database_url, root / "uploads", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageWatch:
    """What a page did that a test should know about: console errors, failed requests, assets."""

    console_errors: list[str] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)
    api_calls: list[str] = field(default_factory=list)


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    ctx = browser.new_context(base_url=live_server.base_url,
                              viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.route(f"**{AXE_URL}",
              lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    pg = context.new_page()
    watch = PageWatch()
    pg.watch = watch

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            watch.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")

    def on_request(request: Any) -> None:
        path = request.url.split("://", 1)[-1].split("/", 1)[-1]
        if request.resource_type in ("script", "stylesheet") and path.startswith("assets/"):
            watch.assets.add(path.split("?")[0])
        if path.startswith("api/"):
            watch.api_calls.append(f"{request.method} /{path}")

    def on_navigated(frame: Any) -> None:
        if frame == pg.main_frame:
            watch.console_errors.clear()  # each check_page() covers the page it looks at

    pg.on("framenavigated", on_navigated)
    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: watch.console_errors.append(f"uncaught: {exc}"))
    pg.on("request", on_request)
    yield pg
    pg.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing: run `npm ci --prefix {HERE.relative_to(ROOT)}`")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {
              runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                               'wcag22aa', 'best-practice']},
              resultTypes: ['violations'],
            });
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5)
                .map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
        }"""
    )


def screenshot(page: Any, name: str, widths: tuple[int, ...] = WIDTHS) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(original)


def overflow_at(page: Any, width: int) -> int:
    """How many CSS pixels the page is wider than a `width`-wide viewport (0 = it holds)."""
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    extra = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    page.set_viewport_size(original)
    return int(extra)


def _signed_out_probe(message: str) -> bool:
    """The dashboard asks "am I signed in?" on load; 401 is the normal answer before sign-in."""
    return "status of 401" in message and message.endswith("/api/admin/session")


def check_page(page: Any, name: str, *, ignore_console: tuple[str, ...] = ()) -> None:
    """axe finds nothing, the layout holds at 320 px, no console errors (CSP included),
    screenshots at 1280 and 375 px."""
    page.wait_for_load_state("networkidle")
    # A colour mid-transition (0.15 s after a button changes state) is not what a reader
    # sees for long: let CSS transitions finish before measuring contrast.
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter(a => a instanceof CSSTransition).map(a => a.finished.catch(() => null)))""")
    violations = axe_violations(page)
    assert violations == [], f"axe on {name}:\n{json.dumps(violations, indent=2)}"
    assert overflow_at(page, 320) <= 0, f"{name} scrolls sideways at 320 px"
    screenshot(page, name)
    errors = [e for e in page.watch.console_errors
              if not any(s in e for s in ignore_console) and not _signed_out_probe(e)]
    assert errors == [], f"console errors on {name}: {errors}"


def asset_bytes(page: Any) -> int:
    return sum((FRONTEND / path).stat().st_size for path in page.watch.assets)


def is_focused(locator: Any) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def throttle_upload(context: Any, page: Any, bytes_per_second: int) -> Any:
    """Slow the upload down (as on a phone), so progress and cancel can be seen; -1 = off."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 10, "downloadThroughput": -1,
        "uploadThroughput": bytes_per_second,
    })
    return cdp


def sign_in(page: Any) -> None:
    page.goto("/moderate")
    page.get_by_label("Username").fill(MODERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.locator("#dashboard").wait_for(state="visible")


def send_note(base_url: str, title: str, body: str = "Nobody rang today.", **extra: str) -> str:
    """A contribution through the real API, as the form sends it; returns the receipt code."""
    import httpx

    fields = {"kind": "text", "form": "note", "title": title, "body": body, "consent": "true",
              **extra}
    r = httpx.post(f"{base_url}/api/contributions", data=fields,
                   files={"_": ("", b"", "application/octet-stream")})
    assert r.status_code == 202, r.text
    return str(r.json()["receipt"])


def decide(base_url: str, title: str, action: str = "approve", reason: str | None = None) -> str:
    """A moderator's decision on the pending contribution called `title`, through the real API;
    returns its id."""
    import httpx

    with httpx.Client(base_url=base_url) as mod:
        r = mod.post("/api/admin/session", json={"username": MODERATOR, "password": PASSWORD})
        mod.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        queue = mod.get("/api/admin/queue", params={"status": "pending", "limit": 100}).json()
        item = next(i for i in queue["items"] if i["title"] == title)
        r = mod.post(f"/api/admin/contributions/{item['id']}/decision",
                     json={"action": action, "version": item["version"], "public_reason": reason})
        assert r.status_code == 200, r.text
    return str(item["id"])
