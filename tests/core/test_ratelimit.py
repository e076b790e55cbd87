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
