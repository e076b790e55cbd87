import time

from scrapbook.core.ratelimit import SlidingWindow


def test_limit_is_per_key_and_undo_gives_an_attempt_back():
    window = SlidingWindow(limit=2, seconds=60)
    assert window.try_hit("a") and window.try_hit("a")
    assert not window.try_hit("a")
    assert window.retry_after("a") > 0
    assert window.try_hit("b")
    window.undo("a")
    assert window.try_hit("a")


def test_hits_expire_after_the_window():
    window = SlidingWindow(limit=1, seconds=0.05)
    assert window.try_hit("a") and not window.try_hit("a")
    time.sleep(0.06)
    assert window.try_hit("a")


def test_memory_stays_bounded_under_many_distinct_clients():
    window = SlidingWindow(limit=5, seconds=0.01)
    window.max_keys = 50
    for i in range(100):
        window.try_hit(f"old-{i}")
    time.sleep(0.02)
    for i in range(60):
        window.try_hit(f"new-{i}")
    assert len(window._hits) <= 60  # the expired "old" clients were forgotten


def test_backoff_gives_free_tries_then_doubles_the_wait_and_forgets_after_the_cap():
    from scrapbook.core.ratelimit import Backoff

    now = [0.0]
    backoff = Backoff(free=3, base=1.0, cap=60.0, clock=lambda: now[0])
    assert [backoff.try_attempt("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert backoff.try_attempt("k") == 1.0  # 2 ** 0 seconds after the last failure
    now[0] += 1.0
    assert backoff.try_attempt("k") == 0.0  # a fourth failure...
    assert backoff.try_attempt("k") == 2.0  # ...doubles the wait
    now[0] += 2.0
    backoff.try_attempt("k")
    assert backoff.try_attempt("k") == 4.0
    assert backoff.try_attempt("other") == 0.0  # keys are apart
    now[0] += 60.0
    assert backoff.try_attempt("k") == 0.0  # forgotten after the cap
    backoff.succeeded("k")
    assert [backoff.try_attempt("k") for _ in range(3)] == [0.0, 0.0, 0.0]
