"""Media jobs survive crashes: the database is the record of pending work. A worker killed with
SIGKILL mid-job loses its Huey message; the job runs again once its lease has run out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
from sqlalchemy import text

from scrapbook.cli import ROOT
from tests import av_samples as samples
from tests.conftest import stored_files, submit


def slow_clip(path: Path) -> Path:
    """Eight seconds of 1280x720 that must be transcoded (rotated): a few seconds of work."""
    frames = [av.VideoFrame.from_image(samples.pattern(i, 1280, 720)) for i in range(2)]
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = 1280, 720, "yuv420p"
        video.set_display_rotation(90)
        for index in range(200):
            frame = frames[index % 2].reformat(format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, 25)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return path


def asset_row(app) -> tuple[str, object, int]:
    with app.state.engine.connect() as conn:
        return tuple(conn.execute(  # type: ignore[return-value]
            text("SELECT state, lease_until, attempts FROM media_asset")).one())


def contribution_status(app) -> str:
    with app.state.engine.connect() as conn:
        return str(conn.execute(text("SELECT status FROM contribution")).scalar_one())


def start_worker(settings, cwd: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "SCRAPBOOK_ENVIRONMENT": "test",
        "SCRAPBOOK_SECRET_KEY": settings.secret_key,
        "SCRAPBOOK_DATABASE_URL": settings.database_url,
        "SCRAPBOOK_UPLOADS_DIR": str(settings.uploads_dir),
        "SCRAPBOOK_QUEUE_PATH": str(settings.queue_path),
        "SCRAPBOOK_TUS_DIR": str(settings.tus_dir),
        "SCRAPBOOK_JOB_LEASE_SECONDS": "2",
        "SCRAPBOOK_SWEEP_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "scrapbook.cli", "worker", "--threads", "1"],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_a_job_killed_mid_way_runs_again_after_restart(client, app, settings, tmp_path):
    clip = slow_clip(tmp_path / "clip.mp4")
    r = submit(client, files=[(clip.name, clip.read_bytes(), "video/mp4")], kind="video",
               form="film", process=False)
    assert r.status_code == 202, r.text
    assert app.state.jobs.huey.pending_count() == 1

    first = start_worker(settings, tmp_path)
    try:
        assert wait_for(lambda: asset_row(app)[1] is not None, 60), "the job was never claimed"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    state, lease, attempts = asset_row(app)
    assert (state, attempts) == ("processing", 1) and lease is not None
    assert contribution_status(app) == "processing"
    # Huey's SQLite storage deleted the message when the worker took it: only the row is left.
    assert app.state.jobs.huey.pending_count() == 0

    second = start_worker(settings, tmp_path)
    try:
        assert wait_for(lambda: contribution_status(app) != "processing", 90), (
            second.stderr.read1().decode() if second.stderr else "")  # type: ignore[union-attr]
    finally:
        second.terminate()
        second.wait(20)
    assert contribution_status(app) == "pending"
    state, lease, attempts = asset_row(app)
    assert (state, lease, attempts) == ("ready", None, 2)
    names = sorted(p.name.split("-")[0] for p in stored_files(settings))
    assert names == ["display", "thumb", "video"]  # and the raw upload is gone


def test_the_sweep_queues_again_only_what_was_lost(client, app, settings, tmp_path):
    wav = samples.wav_pcm(tmp_path)
    r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
               form="note", process=False)
    assert r.status_code == 202
    jobs = app.state.jobs
    jobs.sweep()  # queued and not yet claimed: left alone
    assert jobs.huey.pending_count() == 1
    jobs.huey.flush()  # the message is lost (a Redis flush, a killed worker)
    jobs.sweep()  # never claimed, and the queue is empty: it was lost
    assert jobs.huey.pending_count() == 1
    jobs.sweep()  # the queue holds it now: nothing is queued twice
    assert jobs.huey.pending_count() == 1
    assert jobs.drain() == 1
    assert contribution_status(app) == "pending"


def asset_id_of(app) -> str:
    with app.state.engine.connect() as conn:
        return str(conn.execute(text("SELECT id FROM media_asset")).scalar_one())


def test_a_file_that_keeps_killing_its_worker_is_given_up_on(client, app, settings, tmp_path):
    wav = samples.wav_pcm(tmp_path)
    r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
               form="note", process=False)
    # Every try so far ended with the worker gone (no exception, only a lease run out).
    with app.state.engine.begin() as conn:
        conn.execute(text("UPDATE media_asset SET attempts = :n"), {"n": settings.job_attempts})
    app.state.jobs.drain()
    assert contribution_status(app) == "failed"
    assert client.get(f"/api/receipts/{r.json()['receipt']}").json()["status"] == "failed"
    assert stored_files(settings) == []


def test_a_late_failure_of_a_duplicate_job_leaves_finished_work_alone(client, moderator, app,
                                                                     settings, tmp_path):
    from tests.conftest import approve

    wav = samples.wav_pcm(tmp_path)
    r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
               form="note", transcript="Hum.")
    app.state.jobs.drain()
    approve(moderator, r.json()["id"])
    app.state.jobs._fail(asset_id_of(app), "a second worker whose lease ran over failed")
    assert client.get(f"/api/gallery/{r.json()['id']}").status_code == 200
    assert contribution_status(app) == "approved"


def test_a_long_job_keeps_its_lease_so_the_sweep_never_starts_it_twice(client, app, settings,
                                                                      tmp_path):
    import threading

    settings.job_lease_seconds = 1  # the transcode below takes several leases' time
    clip = slow_clip(tmp_path / "clip.mp4")
    submit(client, files=[(clip.name, clip.read_bytes(), "video/mp4")], kind="video",
           form="film", process=False)
    jobs = app.state.jobs
    worker = threading.Thread(target=jobs.drain)
    worker.start()
    assert wait_for(lambda: asset_row(app)[1] is not None, 30), "the job was never claimed"
    queued_again = 0
    while worker.is_alive():
        jobs.sweep()  # as the periodic sweep would, far more often than it does
        queued_again = max(queued_again, jobs.huey.pending_count())
        time.sleep(0.25)
    worker.join()
    assert queued_again == 0
    assert contribution_status(app) == "pending"
    assert asset_row(app)[2] == 1  # one attempt


def test_an_upload_left_by_a_request_killed_before_its_commit_is_swept_away(
    client, app, settings, tmp_path
):
    wav = samples.wav_pcm(tmp_path)
    r = submit(client, files=[(wav.name, wav.read_bytes(), "audio/wav")], kind="audio",
               form="note", process=False)
    assert r.status_code == 202
    storage, jobs = app.state.storage, app.state.jobs
    # What a kill -9 between storing the upload and committing its row leaves behind.
    storage.put("incoming/AAAAAAAAAAAAAAAA/source", b"half a contribution")
    jobs.sweep()
    assert "incoming/AAAAAAAAAAAAAAAA/source" in storage.list("incoming/")  # maybe in flight
    jobs.sweep()
    left = storage.list("incoming/")
    assert len(left) == 1 and "AAAAAAAAAAAAAAAA" not in left[0]  # the claimed upload stays
    assert jobs.drain() >= 1
    assert contribution_status(app) == "pending"
