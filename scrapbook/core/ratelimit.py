"""In-memory sliding-window counters keyed by client fingerprints (never raw addresses)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SlidingWindow:
    # Past this many tracked clients, those with no hit inside the window are forgotten, so a
    # flood of distinct addresses cannot grow memory without bound.
    max_keys = 100_000

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        return hits

    def try_hit(self, key: str) -> bool:
        """Count one attempt if under the limit, atomically; False when the limit is reached."""
        with self._lock:
            now = time.monotonic()
            hits = self._prune(key, now)
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > self.max_keys:
                cutoff = now - self.seconds
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > cutoff}
            return True

    def undo(self, key: str) -> None:
        """Take back the latest attempt (e.g. a sign-in that turned out to be right)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                hits.pop()

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def retry_after(self, key: str) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(hits[0] + self.seconds - time.monotonic()) + 1)
