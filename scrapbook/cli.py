"""`scrapbook` commands: serve, worker, migrate, moderator add/list/disable, directory."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from scrapbook.core.config import get_settings
from scrapbook.directory.cli import directory_app, load_seed_on_first_run

app = typer.Typer(help="Scrapbook: an anonymous, moderated, creative scrapbook.",
                  no_args_is_help=True)
moderator_app = typer.Typer(help="Manage moderator accounts.", no_args_is_help=True)
app.add_typer(moderator_app, name="moderator")
app.add_typer(directory_app, name="directory")

ROOT = Path(__file__).resolve().parent.parent


def run_migrations(database_url: str | None = None) -> None:
    """Bring the database schema up to date (used by `migrate`, `serve` and the tests)."""
    from alembic import command
    from alembic.config import Config

    settings = get_settings()
    url = database_url or settings.database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


@app.command()
def migrate() -> None:
    """Apply pending database migrations."""
    run_migrations()
    load_seed_on_first_run()
    typer.echo("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(
        help="Worker processes (default: SCRAPBOOK_WEB_WORKERS, else one per core, at most 4)."
    )] = None,
) -> None:
    """Apply pending migrations, then serve the app."""
    import uvicorn

    settings = get_settings()
    workers = workers or settings.resolved_web_workers()
    settings.resolved_secret_key()  # generate the development secret once, before workers fork
    run_migrations()
    load_seed_on_first_run()
    typer.echo(f"Scrapbook on http://{host}:{port}  (API docs at /docs), "
               f"{workers} worker process{'es' if workers > 1 else ''}")
    uvicorn.run(
        "scrapbook.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Each worker process imports the app afresh (spawned): on a busy machine that takes
        # longer than uvicorn's default 5 s, which would kill and restart it again and again.
        timeout_worker_healthcheck=60,
        access_log=False,  # privacy: no client addresses or request lines in logs
        # Only a configured reverse proxy may tell us the client address and scheme.
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
        log_level=settings.log_level,
    )


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Jobs processed at once.")] = 2,
    once: Annotated[bool, typer.Option("--once",
                                       help="Sweep, run what is queued, then exit.")] = False,
) -> None:
    """Process media jobs (sound, video) apart from the web server.

    Run any number of these against the same database, storage and queue (SCRAPBOOK_REDIS_URL
    when they are on several machines); set SCRAPBOOK_WORKER_THREADS=0 for `serve` then.
    """
    import signal

    from scrapbook.core.queue import Runner, make_huey
    from scrapbook.gallery.publication import watched_engine
    from scrapbook.media.storage import make_storage
    from scrapbook.media.tasks import MediaJobs

    settings = get_settings()
    run_migrations()
    engine = watched_engine(settings)
    jobs = MediaJobs(settings, engine, make_storage(settings), make_huey(settings))
    if once:
        jobs.sweep()
        typer.echo(f"Ran {jobs.drain()} job(s).")
        return
    runner = Runner(jobs.huey, engine, settings, jobs.sweep)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop_soon())
    signal.signal(signal.SIGINT, lambda *_: runner.stop_soon())
    runner.start(threads)
    typer.echo(f"Scrapbook worker: {threads} thread(s).")
    runner.wait()
    runner.stop()


@app.command("refresh-public")
def refresh_public() -> None:
    """After changing the database by hand (SQL the app did not run): every process drops
    the public pages it keeps, and the CDN is purged when SCRAPBOOK_CDN_PURGE_URL is set."""
    from scrapbook.core.cdn import PurgingGeneration
    from scrapbook.gallery.publication import public_generation

    generation = public_generation(get_settings())
    generation.advance()
    if isinstance(generation, PurgingGeneration):
        generation.purger.flush(10.0)
    typer.echo("Public pages will be built afresh on their next read.")


def _transaction() -> AbstractContextManager[Session]:
    from scrapbook.core.db import session_scope
    from scrapbook.gallery.publication import watched_engine

    return session_scope(watched_engine(get_settings()))


@moderator_app.command("add")
def moderator_add(
    username: str,
    role: Annotated[str, typer.Option(help="moderator or admin")] = "moderator",
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")]
    = False,
) -> None:
    """Create a moderator account (asks for a password unless --password-stdin)."""
    from scrapbook.core.errors import ScrapbookError
    from scrapbook.moderation.auth import add_moderator

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _transaction() as session:
            moderator = add_moderator(session, username, password, role,
                                      password_min=get_settings().password_min)
            label = f"{moderator.role} '{moderator.username}'"
    except ScrapbookError as exc:
        typer.echo(f"Error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Added {label}.")


@moderator_app.command("list")
def moderator_list() -> None:
    """List moderator accounts."""
    from scrapbook.moderation.auth import list_moderators

    with _transaction() as session:
        for m in list_moderators(session):
            state = "disabled" if m.disabled else "active"
            typer.echo(f"{m.username}\t{m.role}\t{state}")


@moderator_app.command("disable")
def moderator_disable(username: str) -> None:
    """Disable a moderator account and end its sessions."""
    from scrapbook.core.errors import ScrapbookError
    from scrapbook.moderation.auth import disable_moderator

    try:
        with _transaction() as session:
            disable_moderator(session, username)
    except ScrapbookError as exc:
        typer.echo(f"Error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Disabled '{username}'.")


if __name__ == "__main__":
    app()
