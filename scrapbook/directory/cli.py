"""`scrapbook directory ...`: import, export and seed the support directory."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

directory_app = typer.Typer(
    help="The support directory (Open Referral UK JSON or CSV data package).", no_args_is_help=True
)


def _transaction(database_url: str | None = None) -> AbstractContextManager[Session]:
    from scrapbook.core.config import get_settings
    from scrapbook.core.db import transaction
    from scrapbook.gallery.publication import watched_engine

    settings = get_settings()
    if database_url:
        settings = settings.model_copy(update={"database_url": database_url})
    return contextmanager(transaction)(watched_engine(settings))


def load_seed_on_first_run(database_url: str | None = None) -> None:
    """Called by `migrate` and `serve` after migrating: an empty directory gets the seed."""
    from scrapbook.directory.seed import load_seed_if_empty

    with _transaction(database_url) as session:
        result = load_seed_if_empty(session)
    if result is not None:
        typer.echo(f"Support directory loaded from the seed: {result.summary()}.")


@directory_app.command("import")
def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            help="ORUK JSON file ('-' for standard input), or an ORUK CSV data package: a "
            "folder or .zip holding datapackage.json and the tables' CSV files.",
            show_default=False,
        ),
    ],
) -> None:
    """Upsert organisations, services and taxonomies by id; refuse the whole file on any error."""
    from scrapbook.directory.csv_package import import_package, is_package, read_package
    from scrapbook.directory.transfer import ImportRefused, import_document

    try:
        if str(path) != "-" and is_package(path):
            package = read_package(path)
            with _transaction() as session:
                result = import_package(session, package)
        else:
            try:
                text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
                data = json.loads(text)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                typer.echo(f"Error: cannot read {path}: {exc}", err=True)
                raise typer.Exit(1) from None
            with _transaction() as session:
                result = import_document(session, data)
    except OSError as exc:
        typer.echo(f"Error: cannot read {path}: {exc}", err=True)
        raise typer.Exit(1) from None
    except ImportRefused as exc:
        typer.echo(f"Refused: nothing was imported. {len(exc.errors)} problem(s):", err=True)
        for line in exc.errors:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Imported {result.summary()}.")


class Format(StrEnum):
    json = "json"
    csv = "csv"


@directory_app.command("export")
def export_file(
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="json: one ORUK document. csv: the ORUK CSV data package, a folder "
            "(datapackage.json plus one CSV per table), or a .zip when -o ends in .zip.",
        ),
    ] = Format.json,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here (JSON: instead of standard output; required for csv).",
        ),
    ] = None,
    notes: Annotated[bool, typer.Option(help="Include reviewers' provenance notes.")] = True,
) -> None:
    """Write the whole directory as ORUK JSON or as an ORUK CSV data package."""
    from scrapbook.directory.csv_package import write_package
    from scrapbook.directory.transfer import dump_document, export_document

    if fmt is Format.csv and output is None:
        raise typer.BadParameter(
            "the CSV data package is a folder (or a .zip): say where with -o PATH",
            param_hint="'--output'",
        )
    with _transaction() as session:
        doc = export_document(session, include_notes=notes)
    try:
        if fmt is Format.csv:
            assert output is not None
            write_package(doc, output)
        elif output is None:
            sys.stdout.write(dump_document(doc))
            return
        else:
            output.write_text(dump_document(doc), encoding="utf-8")
    except OSError as exc:
        typer.echo(f"Error: cannot write {output}: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Wrote {output}.", err=True)


@directory_app.command("seed")
def seed() -> None:
    """Upsert the shipped, sourced seed entries (overwrites edits made to those entries)."""
    from scrapbook.directory.seed import load_seed

    with _transaction() as session:
        result = load_seed(session)
    typer.echo(f"Seed applied: {result.summary()}.")
