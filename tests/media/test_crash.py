"""Real crashes (SIGKILL) at the two moments files exist in storage without a committed row
that names them: an intake request killed between storing the upload and committing its
contribution, and a media job killed between writing its variants and committing them.

A child process builds the app on the test's settings (the same SQLite database, storage folder
and queue) and kills itself with SIGKILL at `Session.commit`, once the files are written and the
rows flushed but not committed. The parent then looks at what the crash left and runs what a
worker would (sweep, jobs)."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from scrapbook.cli import ROOT
from scrapbook.core import clock
from scrapbook.media.service import asset_folder
from tests.conftest import submit
from tests.samples import plain_jpeg, plain_png

# Run as `python -c CHILD <config.json>`. Modes:
#   intake: send one image contribution through the app, die at the commit of its row;
#   job:    run the queued media job, die at the commit that would make its asset ready.
CHILD = r'''
import json, os, signal, sys
from pathlib import Path

config = json.loads(Path(sys.argv[1]).read_text())
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from scrapbook.core.config import Settings
from scrapbook.main import create_app
from scrapbook.models import MediaAsset

settings = Settings(
    environment="test",
    database_url=config["database_url"],
    uploads_dir=Path(config["uploads_dir"]),
    tus_dir=Path(config["tus_dir"]),
    queue_path=Path(config["queue_path"]),
    secret_key=config["secret_key"],
    submissions_per_hour=1000,
    worker_threads=0,
)
app = create_app(settings)
mode = config["mode"]
dying_state = {"intake": "processing", "job": "ready"}[mode]
real_commit = Session.commit


@event.listens_for(Session, "after_flush")
def note_flushed(session, _):
    """The assets this transaction wrote (the ORM keeps only weak references to them)."""
    for o in list(session.new) + list(session.dirty):
        if isinstance(o, MediaAsset):
            session.info.setdefault("flushed", []).append((o.id, str(o.state)))


def commit(self):
    """Die at the commit that would claim the files: they are written, the rows flushed."""
    if self.new or self.dirty:
        self.flush()
    doomed = [i for i, state in self.info.get("flushed", []) if state == dying_state]
    if doomed:
        sys.stderr.write(f"KILLED AT COMMIT {mode} {doomed[0]}\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return real_commit(self)


Session.commit = commit

if mode == "intake":
    with TestClient(app) as client:
        answer = client.post(
            "/api/contributions",
            data={"kind": "image", "form": "photo", "title": "Never sent", "consent": "true"},
            files=[("files", ("late.png", Path(config["image"]).read_bytes(), "image/png"))],
        )
else:
    app.state.jobs.drain()
sys.stderr.write("SURVIVED\n")
'''


def run_child(settings: Any, tmp_path: Path, mode: str, **extra: Any) -> str:
    """Run the child in `mode`; assert it died by SIGKILL at the planned commit; its stderr."""
    config = tmp_path / f"child-{mode}.json"
    config.write_text(json.dumps({
        "mode": mode,
        "database_url": settings.database_url,
        "uploads_dir": str(settings.uploads_dir),
        "tus_dir": str(settings.tus_dir),
        "queue_path": str(settings.queue_path),
        "secret_key": settings.secret_key,
        **extra,
    }))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    stderr = err.decode(errors="replace")
    assert child.returncode == -signal.SIGKILL, stderr
    assert f"KILLED AT COMMIT {mode}" in stderr, stderr
    return stderr


def rows(app: Any, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with app.state.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def everything(storage: Any) -> dict[str, bytes]:
    """Every stored file (dot files too) with its bytes. (`LocalStorage.list("")` refuses the
    empty prefix, so the storage root is walked here.)"""
    root = storage.root
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --- intake -------------------------------------------------------------------------------------


def test_an_upload_left_by_an_intake_request_killed_before_its_commit_is_swept_away(
    client, app, settings, tmp_path
):
    storage, jobs = app.state.storage, app.state.jobs
    # Before the crash: one contribution made ready, one still waiting for its job.
    done = submit(client, files=[("a.jpg", plain_jpeg(), "image/jpeg")], kind="image",
                  form="photo")
    assert done.status_code == 202, done.text
    waiting = submit(client, files=[("b.jpg", plain_jpeg(color=(200, 10, 10)), "image/jpeg")],
                     kind="image", form="photo", process=False)
    assert waiting.status_code == 202, waiting.text
    before = everything(storage)
    claimed = storage.list("incoming/")
    assert len(claimed) == 1  # the waiting contribution's upload

    image = tmp_path / "late.png"
    image.write_bytes(plain_png(320, 240))
    stderr = run_child(settings, tmp_path, "intake", image=str(image))
    dead_asset = stderr.split("KILLED AT COMMIT intake ")[1].split()[0]

    # The crash left the upload in storage, and no row claims it (the insert rolled back).
    orphan = f"incoming/{dead_asset}/source"
    assert sorted(storage.list("incoming/")) == sorted([*claimed, orphan])
    assert storage.path(orphan).read_bytes() == image.read_bytes()
    assert rows(app, "SELECT id FROM media_asset WHERE id = :id", id=dead_asset) == []
    assert rows(app, "SELECT count(*) FROM contribution") == [(2,)]
    assert rows(app, "SELECT count(*) FROM contribution WHERE title = 'Never sent'") == [(0,)]

    jobs.sweep()  # unclaimed, but it could be a request still committing: kept
    assert orphan in storage.list("incoming/")
    jobs.sweep()  # still unclaimed a sweep later: removed
    assert storage.list("incoming/") == claimed
    assert not (Path(settings.uploads_dir) / "incoming" / dead_asset).exists()
    assert everything(storage) == before  # nothing committed was touched

    # The contribution still waiting is processed as usual afterwards.
    assert jobs.drain() == 1
    statuses = rows(app, "SELECT status FROM contribution ORDER BY status")
    assert statuses == [("pending",), ("pending",)]
    assert storage.list("incoming/") == []


# --- a media job ----------------------------------------------------------------------------------


def crash_a_job(client: Any, app: Any, settings: Any, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """An image contribution whose first job is killed after writing its variants, then run
    again (lease run out, sweep, drain) as the worker would."""
    storage, jobs = app.state.storage, app.state.jobs
    other = submit(client, files=[("a.jpg", plain_jpeg(), "image/jpeg")], kind="image",
                   form="photo")
    assert other.status_code == 202, other.text
    baseline = everything(storage)

    sent = submit(client, files=[("b.png", plain_png(900, 700), "image/png")], kind="image",
                  form="photo", process=False)
    assert sent.status_code == 202, sent.text
    asset_id = rows(app, "SELECT id FROM media_asset WHERE state = 'processing'")[0][0]
    folder = asset_folder(asset_id)
    assert storage.list(folder) == []

    stderr = run_child(settings, tmp_path, "job")
    assert f"KILLED AT COMMIT job {asset_id}" in stderr
    # Killed after writing the variants, before the commit that would have named them.
    killed_files = storage.list(folder)
    assert killed_files, "the killed job wrote no variant"
    assert {Path(k).name.split("-")[0] for k in killed_files} == {"display", "thumb"}
    assert rows(app, "SELECT state, attempts FROM media_asset WHERE id = :id",
                id=asset_id) == [("processing", 1)]
    assert rows(app, "SELECT count(*) FROM media_variant") == rows(
        app, "SELECT count(*) FROM media_variant WHERE asset_pk IN "
             "(SELECT pk FROM media_asset WHERE id != :id)", id=asset_id)
    assert jobs.huey.pending_count() == 0  # the message went with the worker

    jobs.sweep()  # the lease has not run out: nothing is queued again
    assert jobs.huey.pending_count() == 0
    later = clock.now() + dt.timedelta(seconds=settings.job_lease_seconds + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    jobs.sweep()  # the dead worker's lease has run out
    assert jobs.huey.pending_count() == 1
    assert jobs.drain() == 1
    assert rows(app, "SELECT state, attempts, source_key FROM media_asset WHERE id = :id",
                id=asset_id) == [("ready", 2, None)]
    variants = sorted(k for (k,) in rows(
        app, "SELECT v.key FROM media_variant v JOIN media_asset a ON v.asset_pk = a.pk "
             "WHERE a.id = :id", id=asset_id))
    assert not set(variants) & set(killed_files)  # the rerun wrote new keys (random per try)
    return {"receipt": sent.json()["receipt"], "id": sent.json()["id"], "folder": folder,
            "killed_files": killed_files, "variants": variants, "baseline": baseline}


def test_a_job_killed_before_its_commit_runs_again_and_withdrawal_erases_every_file(
    client, app, settings, tmp_path, monkeypatch
):
    storage = app.state.storage
    crashed = crash_a_job(client, app, settings, tmp_path, monkeypatch)
    receipt = client.get(f"/api/receipts/{crashed['receipt']}")
    assert receipt.status_code == 200 and receipt.json()["status"] == "pending"
    names = {Path(k).name.split("-")[0] for k in crashed["variants"]}
    assert names == {"display", "thumb"}
    for key in crashed["variants"]:  # the rerun's files are there and served
        assert storage.path(key) is not None
    assert storage.list("incoming/") == []

    gone = client.delete(f"/api/receipts/{crashed['receipt']}")
    assert gone.status_code == 204, gone.text
    # Every file of the withdrawn contribution, the killed attempt's included, is erased;
    # the other contribution's files are untouched.
    assert storage.list(crashed["folder"]) == []
    assert everything(storage) == crashed["baseline"]


def test_a_job_killed_before_its_commit_leaves_no_stray_files_once_it_has_run_again(
    client, app, settings, tmp_path, monkeypatch
):
    storage = app.state.storage
    crashed = crash_a_job(client, app, settings, tmp_path, monkeypatch)
    # The rerun's commit removes the killed attempt's files: only what the rows name is left.
    assert storage.list(crashed["folder"]) == crashed["variants"]
