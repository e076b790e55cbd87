"""`scrapbook directory ...`: import, export and seed the support directory."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

directory_app = typer.Typer(
    help="The support directory (Open Referral UK JSON).", no_args_is_help=True
)


def _transaction(database_url: str | None = None) -> AbstractContextManager[Session]:
    from scrapbook.core.config import get_settings
    from scrapbook.core.db import make_engine, transaction

    return contextmanager(transaction)(make_engine(database_url or get_settings().database_url))


def load_seed_on_first_run(database_url: str | None = None) -> None:
    """Called by `migrate` and `serve` after migrating: an empty directory gets the seed."""
    from scrapbook.directory.seed import load_seed_if_empty

    with _transaction(database_url) as session:
        result = load_seed_if_empty(session)
    if result is not None:
        typer.echo(f"Support directory loaded from the seed: {result.summary()}.")


@directory_app.command("import")
def import_file(
    file: Annotated[
        Path,
        typer.Argument(
            help="ORUK JSON file, as `directory export` writes; '-' for standard input."
        ),
    ],
) -> None:
    """Upsert organisations, services and taxonomies by id; refuse the whole file on any error."""
    from scrapbook.directory.transfer import ImportRefused, import_document

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        typer.echo(f"Error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(1) from None
    try:
        with _transaction() as session:
            result = import_document(session, data)
    except ImportRefused as exc:
        typer.echo(f"Refused: nothing was imported. {len(exc.errors)} problem(s):", err=True)
        for line in exc.errors:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Imported {result.summary()}.")


@directory_app.command("export")
def export_file(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
    ] = None,
    notes: Annotated[bool, typer.Option(help="Include reviewers' provenance notes.")] = True,
) -> None:
    """Write the whole directory as one ORUK JSON document."""
    from scrapbook.directory.transfer import dump_document, export_document

    with _transaction() as session:
        text = dump_document(export_document(session, include_notes=notes))
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Wrote {output}.", err=True)


@directory_app.command("seed")
def seed() -> None:
    """Upsert the shipped, sourced seed entries (overwrites edits made to those entries)."""
    from scrapbook.directory.seed import load_seed

    with _transaction() as session:
        result = load_seed(session)
    typer.echo(f"Seed applied: {result.summary()}.")
