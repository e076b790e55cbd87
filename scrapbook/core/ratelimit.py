"""In-memory sliding-window counters keyed by client fingerprints (never raw addresses)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


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

    def count(self, key: str) -> int:
        """Hits inside the window, without counting one."""
        with self._lock:
            return len(self._prune(key, time.monotonic()))

    def retry_after(self, key: str) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(hits[0] + self.seconds - time.monotonic()) + 1)


class Backoff:
    """Failures per key with exponential back-off: the first `free` attempts are free; after
    that each further attempt must wait `base * 2 ** (failures - free)` seconds (at most `cap`)
    after the last failure. A key with no failure for `cap` seconds is forgotten."""

    max_keys = 100_000

    def __init__(
        self, free: int, base: float, cap: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.free, self.base, self.cap, self.clock = free, base, cap, clock
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def _wait(self, key: str, now: float) -> float:
        failures, last = self._failures.get(key, (0, now))
        if now - last >= self.cap:
            self._failures.pop(key, None)
            return 0.0
        if failures < self.free:
            return 0.0
        delay: float = last + min(self.cap, self.base * 2.0 ** (failures - self.free)) - now
        return max(0.0, delay)

    def try_attempt(self, key: str) -> float:
        """0 and the attempt counted as a failure (until `succeeded`), or the seconds to wait.

        Counting before the check keeps parallel guesses from slipping past the limit."""
        with self._lock:
            now = self.clock()
            wait = self._wait(key, now)
            if wait > 0:
                return wait
            failures, _ = self._failures.get(key, (0, now))
            self._failures[key] = (failures + 1, now)
            if len(self._failures) > self.max_keys:
                self._failures = {
                    k: v for k, v in self._failures.items() if now - v[1] < self.cap
                }
            return 0.0

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)
