"""Purging a CDN: when a commit changes what the public may read, the public pages kept by a
shared cache in front of the app are purged, so a withdrawn piece is not served from it.

Public JSON reads carry `Surrogate-Key: public` and `Cache-Tag: public` (the names Fastly,
Varnish setups and Cloudflare use for tag purges). With `cdn_purge_url` set, every advance of
the public generation POSTs `{"surrogate_keys": ["public"], "tags": ["public"]}` to that URL
(with `cdn_purge_token` as a bearer token when set): point it at the CDN's purge-by-tag API,
or at a small adapter for one that wants another shape. Purges are sent from a background
thread in the order they happen, retried three times; one that still fails is logged, and
the CDN's copy then lives at most `cdn_max_age` (+ `cdn_stale_seconds`) seconds.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
import urllib.request

from scrapbook.core.public_reads import Generation

log = logging.getLogger(__name__)
PURGE_BODY = json.dumps({"surrogate_keys": ["public"], "tags": ["public"]}).encode()


class Purger:
    def __init__(self, url: str, token: str | None = None, attempts: int = 3) -> None:
        self.url, self.token, self.attempts = url, token, attempts
        self._wanted: queue.Queue[bool] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="cdn-purge", daemon=True)
        self._thread.start()
        atexit.register(self.flush, 5.0)

    def purge(self) -> None:
        self._wanted.put(True)

    def flush(self, timeout: float) -> None:
        """Wait (a little) for queued purges to go, e.g. before a CLI command exits."""
        deadline = time.monotonic() + timeout
        while self._wanted.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _run(self) -> None:
        while True:
            self._wanted.get()
            # Purges asked for while one was on its way are one purge.
            extra = 0
            while not self._wanted.empty():
                self._wanted.get_nowait()
                extra += 1
            try:
                self._send()
            finally:
                for _ in range(extra + 1):
                    self._wanted.task_done()

    def _send(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in range(self.attempts):
            request = urllib.request.Request(  # noqa: S310 (http(s) only: Settings checks)
                self.url, data=PURGE_BODY, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                    if answer.status < 300:
                        return
            except OSError as exc:
                log.warning("CDN purge failed (attempt %d): %s", attempt + 1, exc)
            time.sleep(0.5 * 2**attempt)
        log.error("CDN purge gave up; the CDN may serve public pages up to their s-maxage")


class PurgingGeneration:
    """A generation whose every advance also purges the CDN."""

    def __init__(self, inner: Generation, purger: Purger) -> None:
        self.inner, self.purger = inner, purger

    def current(self) -> str | None:
        return self.inner.current()

    def advance(self) -> None:
        self.inner.advance()
        self.purger.purge()
