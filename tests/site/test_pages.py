"""The website's pages rendered on the server: one layout, the right item marked current."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

# Page address -> (its <title>, the main-navigation item marked current, or None).
PAGES = {
    "/": ("Scrapbook: loneliness and isolation, in our own words", "/"),
    "/gallery": ("The scrapbook · Scrapbook", "/gallery"),
    "/contributions/some-id": ("A contribution · Scrapbook", "/gallery"),
    "/contribute": ("Share something · Scrapbook", "/contribute"),
    "/status": ("Your receipt: check or withdraw · Scrapbook", "/status"),
    "/support": ("Support · Scrapbook", "/support"),
    "/about": ("About and privacy · Scrapbook", "/about"),
    "/guidelines": ("Guidelines · Scrapbook", None),
    "/moderate": ("Moderation · Scrapbook", None),
}
MAIN_NAV = ["/", "/gallery", "/contribute", "/status", "/support", "/about"]


class Page(HTMLParser):
    """The tags of a page, each with its attributes, and the text of its <title>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self._in_title = False
        self._main_nav_depth = 0
        self.main_nav_links: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        self._in_title = tag == "title"
        if tag == "nav" and attributes.get("aria-label") == "Main":
            self._main_nav_depth = 1
        elif tag == "nav" and self._main_nav_depth:
            self._main_nav_depth += 1
        if tag == "a" and self._main_nav_depth:
            self.main_nav_links.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if tag == "nav" and self._main_nav_depth:
            self._main_nav_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def count(self, tag: str, **attributes: str) -> int:
        return sum(
            1 for name, attrs in self.tags
            if name == tag and all(attrs.get(k.replace("_", "-")) == v
                                   for k, v in attributes.items())
        )


def assert_one_chrome(page: Page) -> None:
    assert page.count("a", **{"class": "skip-link"}) == 1
    assert page.count("header", **{"class": "site-header"}) == 1
    assert page.count("button", **{"class": "easy-read-toggle"}) == 1
    assert page.count("nav", aria_label="Main") == 1
    assert page.count("main", id="main") == 1
    assert page.count("footer", **{"class": "site-footer"}) == 1
    assert page.count("link", rel="stylesheet", href="/assets/css/site.css") == 1
    assert page.count("script", src="/assets/js/easy-read-early.js") == 1
    assert [link["href"] for link in page.main_nav_links] == MAIN_NAV


def assert_no_inline_code(page: Page) -> None:
    """The Content-Security-Policy allows scripts and styles from files only."""
    assert all(attrs.get("src") for tag, attrs in page.tags if tag == "script")
    assert page.count("style") == 0
    assert not any("style" in attrs or any(k.startswith("on") for k in attrs)
                   for _, attrs in page.tags)


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_html_with_one_header_navigation_and_footer(client, url):
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = Page(r.text)
    assert page.title == PAGES[url][0]
    assert_one_chrome(page)
    assert_no_inline_code(page)
    assert "{%" not in r.text and "{{" not in r.text


@pytest.mark.parametrize("url", PAGES)
def test_only_the_current_pages_navigation_item_is_marked_current(client, url):
    current = PAGES[url][1]
    links = Page(client.get(url).text).main_nav_links
    marked = [link["href"] for link in links if link.get("aria-current") == "page"]
    assert marked == ([current] if current else [])
    assert Page(client.get(url).text).count("a", aria_current="page") == len(marked)


def test_pages_answer_head_too(client):
    for url in PAGES:
        assert client.head(url).status_code == 200, url


@pytest.mark.parametrize(
    "url", ["/no-such-page", "/gallery.html", "/assets/no-such.css", "/templates/base.html",
            "/templates/index.html", "/assets/../templates/base.html"],
)
def test_an_unknown_page_is_the_404_page(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"
    page = Page(r.text)
    assert page.title == "Page not found · Scrapbook"
    assert page.count("meta", name="robots", content="noindex") == 1
    assert_one_chrome(page)
    assert [link for link in page.main_nav_links if link.get("aria-current")] == []
    assert "{%" not in r.text  # a template is never served as a file


def test_assets_are_static_files(client):
    r = client.get("/assets/css/site.css")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "etag" in r.headers and "cache-control" not in r.headers
    assert client.get("/assets/favicon.svg").headers["content-type"] == "image/svg+xml"
    assert client.get("/assets/js/easy-read-early.js").status_code == 200


def test_unknown_api_paths_stay_json(client):
    r = client.get("/api/no-such-thing")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"


def test_writing_to_a_page_is_not_allowed(client):
    for url in ("/no-such-page", "/assets/css/site.css"):
        r = client.post(url)
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD", url
