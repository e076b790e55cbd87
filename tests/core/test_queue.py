"""The job queue: periodic work is locked across workers, and consumer threads run inside the
app (as `scrapbook serve` runs them) on the real Huey SQLite storage."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from scrapbook.core.queue import take_lock
from scrapbook.main import create_app
from tests import av_samples as samples
from tests.conftest import submit


def test_a_periodic_lock_is_held_by_one_taker_until_it_runs_out(app):
    engine = app.state.engine
    assert take_lock(engine, "sweep", 2) is True
    assert take_lock(engine, "sweep", 2) is False  # a second worker skips this round
    assert take_lock(engine, "other", 2) is True  # locks are by name
    time.sleep(2.1)
    assert take_lock(engine, "sweep", 2) is True


def test_consumer_threads_started_with_the_app_process_a_recording(settings, tmp_path):
    settings.worker_threads = 1
    app = create_app(settings)
    wav = samples.wav_pcm(tmp_path)
    with TestClient(app) as client:  # the lifespan starts the consumer and the sweep
        r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
                   form="note")
        assert r.status_code == 202, r.text
        receipt = r.json()["receipt"]
        deadline = time.monotonic() + 30
        status = "processing"
        while status == "processing" and time.monotonic() < deadline:
            time.sleep(0.1)
            status = client.get(f"/api/receipts/{receipt}").json()["status"]
        assert status == "pending"
        client.delete(f"/api/receipts/{receipt}")
    app.state.engine.dispose()


def test_the_same_jobs_run_on_redis(settings, tmp_path):
    """At scale the queue is Redis (SCRAPBOOK_REDIS_URL): the same task code, a real server.
    Skipped, saying so, on a machine without Redis; CI (.ci/run) starts one."""
    import redis

    url = "redis://127.0.0.1:6379/15"  # a database of its own, emptied here
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379 (`.ci/run` starts one)")
    app = create_app(settings.model_copy(update={"redis_url": url}))
    wav = samples.wav_pcm(tmp_path)
    with TestClient(app) as client:
        r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
                   form="note", process=False)
        assert r.status_code == 202, r.text
        assert type(app.state.jobs.huey).__name__ == "RedisHuey"
        assert app.state.jobs.huey.pending_count() == 1
        assert app.state.jobs.drain() == 1
        assert client.get(f"/api/receipts/{r.json()['receipt']}").json()["status"] == "pending"
        client.delete(f"/api/receipts/{r.json()['receipt']}")
    redis.Redis.from_url(url).flushdb()
    app.state.engine.dispose()
