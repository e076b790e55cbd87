import time

from scrapbook.core.ratelimit import RedisStore, SlidingWindow, bucket_of


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
    window.store.max_keys = 50
    for i in range(100):
        window.try_hit(f"old-{i}")
    time.sleep(0.02)
    for i in range(60):
        window.try_hit(f"new-{i}")
    assert len(window.store.buckets) <= 61  # the expired "old" clients were forgotten


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


CHILD = """
import sys, time
from scrapbook.core.db import make_engine
from scrapbook.core.ratelimit import DatabaseStore, RedisStore, SlidingWindow
kind, url, name, key, tries = sys.argv[1:6]
store = RedisStore(url) if kind == "redis" else DatabaseStore(make_engine(url))
window = SlidingWindow(12, 3600, store, name)
start = float(sys.argv[6])
while time.time() < start:  # every process starts at once
    time.sleep(0.001)
print(sum(window.try_hit(key) for _ in range(int(tries))))
"""


def _shared_limit(kind: str, url: str) -> list[int]:
    """Four processes, ten tries each, on one key with a limit of 12."""
    import subprocess
    import sys
    import uuid

    name, start = f"test-{uuid.uuid4().hex[:8]}", time.time() + 1.5
    children = [subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, url, name, "client-hash", "10", str(start)],
        stdout=subprocess.PIPE, text=True) for _ in range(4)]
    return [int(child.communicate(timeout=60)[0]) for child in children]


def test_processes_share_one_limit_in_the_database(database_url):
    # Embedded mode: the worker processes of one machine count together, with no server.
    allowed = _shared_limit("database", database_url)
    assert sum(allowed) == 12, allowed


def test_processes_share_one_limit_in_redis():
    import redis

    url = "redis://127.0.0.1:6379/14"  # a database of its own
    redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    allowed = _shared_limit("redis", url)
    assert sum(allowed) == 12, allowed
    window = SlidingWindow(12, 3600, RedisStore(url), "undo-test")
    assert window.try_hit("k") and window.count("k") == 1
    window.undo("k")
    assert window.count("k") == 0
    RedisStore(url)._client.flushdb()


def test_a_guesser_is_slowed_the_same_in_every_process(database_url):
    from scrapbook.core.db import make_engine
    from scrapbook.core.ratelimit import Backoff, DatabaseStore

    engine = make_engine(database_url)
    one = Backoff(free=2, base=30.0, cap=600.0, store=DatabaseStore(engine), name="t-backoff")
    other = Backoff(free=2, base=30.0, cap=600.0, store=DatabaseStore(engine), name="t-backoff")
    # Two free failures, one through each process: the next waits, whichever process it hits.
    assert one.try_attempt("pair") == 0.0 and other.try_attempt("pair") == 0.0
    assert one.try_attempt("pair") > 25 and other.try_attempt("pair") > 25
    other.succeeded("pair")  # a right password, in either process, clears it for both
    assert one.try_attempt("pair") == 0.0
    with engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("DELETE FROM rate_hit"))
    engine.dispose()


def test_no_hit_is_kept_longer_than_a_day_whoever_it_belongs_to(database_url):
    from sqlalchemy import text

    from scrapbook.core.db import make_engine
    from scrapbook.core.ratelimit import DatabaseStore

    engine = make_engine(database_url)
    now = [1_000_000.0]
    store = DatabaseStore(engine, clock=lambda: now[0])
    SlidingWindow(5, 3600, store, "t-day", clock=lambda: now[0]).try_hit("gone-quiet")
    now[0] += 86_401  # a day later, another client's hit passes through the store
    SlidingWindow(5, 3600, store, "t-day", clock=lambda: now[0]).try_hit("someone-else")
    with engine.begin() as conn:
        buckets = [b for (b,) in conn.execute(text("SELECT bucket FROM rate_hit"))]
        conn.execute(text("DELETE FROM rate_hit"))
    engine.dispose()
    assert buckets == [bucket_of("t-day", "someone-else")]
    assert "someone-else" not in buckets[0]  # a hash of the key, never the key itself

