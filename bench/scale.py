"""Issue 10, benchmark 2: the uncached gallery, search and the moderation queue at scale.

Run: .venv/bin/python -m bench.scale [--sizes 100000,1000000] [--backends sqlite,postgresql]
     [--requests 100] [--budget 3] [--explain] [--try-sql "CREATE INDEX ..."]

For each backend and size a fresh database is migrated (scrapbook.cli.run_migrations) and
seeded (bench/seeding.py: mixed kinds with media, forms, regions, skewed tags, ~85% approved,
the search index filled); the seeding time is reported. Then, in this process, through the
service functions the routes call, each in its own `Session(engine)` as a request would:

- gallery pages (`gallery.service.list_gallery`, 24 items): first page, filtered pages, a deep
  cursor page. Targets: p50 < 5 ms at 100k, < 15 ms at 1M;
- search (`list_gallery(q=...)`), common to rare words. Target: p50 < 25 ms at 100k;
- the moderation queue's first page (`moderation.service.queue`, 25 items) with 100,000
  contributions pending (a backlog is added when the mix has fewer). Target: p50 < 20 ms.

Each figure is measured interleaved with two anchors on the same engine and connection:
`SELECT 1` and a primary-key lookup of one contribution row, and given as a ratio to them.
"SQL ms" is the time of the case's own statements replayed on the bare DB-API connection
(rows fetched): the rest of a case's time is Python (ORM, validation). Where a target is
missed, the plan of its slowest statement is printed (SQLite's EXPLAIN QUERY PLAN;
PostgreSQL's EXPLAIN ANALYZE).

--try-sql (repeatable) tries a fix without a migration: after the cases are measured on the
code and schema as they are, the statements are run (e.g. CREATE INDEX ...) and every case is
measured again on the same data, marked [+try-sql].

Databases: SQLite files in a temporary folder (SCRAPBOOK_BENCH_TMP, else /tmp), removed at the
end. PostgreSQL: SCRAPBOOK_BENCH_DATABASE_URL when set (migrated, its contribution tables
emptied), else a scratch database created and dropped through
SCRAPBOOK_BENCH_POSTGRES_ADMIN_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event, exists, func, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from bench.seeding import TABLES, Corpus, Seeded, add_pending, libpq_url, seed
from scrapbook.cli import run_migrations
from scrapbook.core import cursor as cursors
from scrapbook.core.db import make_engine
from scrapbook.gallery import search
from scrapbook.gallery.publication import is_public
from scrapbook.gallery.service import list_gallery
from scrapbook.models import Contribution, ContributionTag
from scrapbook.moderation.service import queue
from scrapbook.vocabulary import Status

Result = tuple[str, str]
BACKENDS = ("sqlite", "postgresql")
QUEUE_PENDING = 100_000
GALLERY_LIMIT = 24
QUEUE_LIMIT = 25
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TRIED = " [+try-sql]"


def gallery_target(rows: int) -> float:
    return 5.0 if rows <= 100_000 else 15.0


def search_target(rows: int) -> float | None:
    return 25.0 if rows <= 100_000 else None


@dataclass
class Case:
    group: str
    name: str
    call: Callable[[Session], Any]
    target_ms: float | None
    matching: int | None = None
    # Without a target at this size: still explain the plan when slower than this.
    explain_over: float | None = None


@dataclass
class Measured:
    backend: str
    rows: int
    case: str
    matching: int | None
    p50: float
    p95: float
    samples: int
    select1: float
    pk: float
    sql_ms: float
    statements: int
    target_ms: float | None
    plan: str = ""
    note: str = ""
    variant: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.p50 < self.target_ms


@dataclass
class Run:
    backend: str
    rows: int
    seeded: Seeded
    database_bytes: int
    measured: list[Measured] = field(default_factory=list)
    backlog: Seeded | None = None
    errors: list[str] = field(default_factory=list)
    schema: str = ""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- Databases -------------------------------------------------------------------------------


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A migrated, empty database URL for `backend`, removed afterwards (unless given)."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="scrapbook-scale-",
                                  dir=os.environ.get("SCRAPBOOK_BENCH_TMP") or None)
        try:
            url = f"sqlite:///{folder}/scale.db"
            run_migrations(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    given = os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL", "")
    if given.startswith("postgresql"):
        run_migrations(given)
        with psycopg.connect(libpq_url(given), autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        yield given
        return
    admin = os.environ.get("SCRAPBOOK_BENCH_POSTGRES_ADMIN_URL", ADMIN_URL)
    name = f"scrapbook_bench_scale_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
        rendered = url.render_as_string(hide_password=False)
        run_migrations(rendered)
        yield rendered
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            return int(pages) * int(conn.execute(text("PRAGMA page_size")).scalar_one())
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def backend_version(backend: str) -> str:
    if backend == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    admin = os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL") or os.environ.get(
        "SCRAPBOOK_BENCH_POSTGRES_ADMIN_URL", ADMIN_URL)
    try:
        with psycopg.connect(libpq_url(admin), connect_timeout=3) as conn:
            version = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {version[0] if version else '?'}"
    except psycopg.Error as exc:
        return f"PostgreSQL unavailable ({exc.__class__.__name__})"


# --- Timing ----------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000


def timed(engine: Engine, fn: Callable[[Session], Any]) -> float:
    start = time.perf_counter()
    with Session(engine) as session:
        fn(session)
    return time.perf_counter() - start


def interleaved(engine: Engine, call: Callable[[Session], Any], rows: int, n: int,
                budget: float) -> tuple[list[float], list[float], list[float]]:
    """The case and its two anchors, one after the other, n times (or until the budget is
    spent, with at least 15 samples; 5 when one call takes over 0.2 s, 3 over a second)."""
    rng = random.Random(3)

    def select1(s: Session) -> None:
        s.execute(text("SELECT 1")).scalar_one()

    def by_pk(s: Session) -> None:
        s.execute(text("SELECT * FROM contribution WHERE pk = :pk"),
                  {"pk": rng.randint(1, rows)}).first()

    # Warm caches, the pool and SQLAlchemy's statement cache.
    warm = [timed(engine, select1), timed(engine, by_pk), timed(engine, call)]
    slow = warm[-1] > 0.2
    for _ in range(0 if slow else 2):
        timed(engine, select1), timed(engine, by_pk), timed(engine, call)
    least = 3 if warm[-1] > 1.0 else 5 if slow else 15
    case: list[float] = []
    ones: list[float] = []
    pks: list[float] = []
    deadline = time.perf_counter() + budget
    while len(case) < n and (len(case) < least or time.perf_counter() < deadline):
        ones.append(timed(engine, select1))
        pks.append(timed(engine, by_pk))
        case.append(timed(engine, call))
    return case, ones, pks


@contextmanager
def captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) the engine sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def replay(engine: Engine, statements: list[tuple[str, Any]],
           repeats: int = 5) -> list[float]:
    """Each statement's median time on the bare DB-API connection, rows fetched (fewer
    repeats for a statement that takes more than a second)."""
    raw = engine.raw_connection()
    try:
        out = []
        for statement, parameters in statements:
            times = []
            for _ in range(repeats):
                cur = raw.cursor()
                start = time.perf_counter()
                cur.execute(statement, parameters)
                if cur.description is not None:
                    cur.fetchall()
                times.append(time.perf_counter() - start)
                cur.close()
                if sum(times) > 1.0:
                    break
            out.append(statistics.median(times) * 1000)
        raw.rollback()
        return out
    finally:
        raw.close()


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            depth: dict[int, int] = {0: 0}
            lines = []
            for node, parent, _, detail in cur.fetchall():
                depth[node] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node] - 1) + detail)
            plan = "\n".join(lines)
        else:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cur.fetchall())
        cur.close()
        raw.rollback()
        return f"{statement.strip()}\n-- parameters: {parameters!r}\n{plan}"
    finally:
        raw.close()


def measure(engine: Engine, backend: str, rows: int, case: Case, n: int, budget: float,
            explain_all: bool) -> Measured:
    samples, ones, pks = interleaved(engine, case.call, rows, n, budget)
    with captured(engine) as statements, Session(engine) as session:
        case.call(session)
    # Only the statements of the case itself (the anchors' are not captured).
    replayed = replay(engine, statements)
    result = Measured(
        backend=backend, rows=rows, case=case.name, matching=case.matching,
        p50=percentile(samples, 0.5), p95=percentile(samples, 0.95), samples=len(samples),
        select1=percentile(ones, 0.5), pk=percentile(pks, 0.5), sql_ms=sum(replayed),
        statements=len(statements), target_ms=case.target_ms,
    )
    slow = case.target_ms is None and case.explain_over is not None \
        and result.p50 > case.explain_over
    if statements and (explain_all or result.met is False or slow):
        slowest = max(range(len(statements)), key=lambda i: replayed[i])
        result.plan = explain(engine, *statements[slowest])
        result.note = (f"slowest statement {replayed[slowest]:.1f} ms of "
                       f"{result.sql_ms:.1f} ms SQL in {len(statements)} statements")
    return result


# --- Cases -----------------------------------------------------------------------------------


def count_public(session: Session, *, kind: str | None = None, form: str | None = None,
                 region: str | None = None, tag: str | None = None, q: str | None = None,
                 cursor: tuple[int, str] | None = None) -> int:
    """How many approved contributions a page's filters select (this module's own query)."""
    stmt = select(func.count()).select_from(Contribution).where(is_public())
    if kind:
        stmt = stmt.where(Contribution.kind == kind)
    if form:
        stmt = stmt.where(Contribution.form == form)
    if region:
        stmt = stmt.where(Contribution.region == region)
    if tag:
        stmt = stmt.where(exists().where(
            col(ContributionTag.contribution_pk) == col(Contribution.pk),
            col(ContributionTag.tag) == tag))
    if q and (clause := search.matches(session, q)) is not None:
        stmt = stmt.where(clause)
    if cursor:
        stmt = stmt.where(col(Contribution.published_seq) < cursor[0])
    return int(session.exec(stmt).one())


def gallery_cases(engine: Engine, rows: int, corpus: Corpus) -> list[Case]:
    common_tag, rare_tag = corpus.tags[0], corpus.tags[150]
    with Session(engine) as session:
        approved = count_public(session)
        middle = session.execute(
            select(Contribution.published_seq, Contribution.id).where(is_public())
            .order_by(col(Contribution.published_seq).desc(), col(Contribution.id).desc())
            .offset(approved // 2).limit(1)
        ).one()
    deep = cursors.encode([middle[0], middle[1]])
    target = gallery_target(rows)
    filters: list[tuple[str, dict[str, Any]]] = [
        ("gallery first page", {}),
        ("gallery region=devon", {"region": "devon"}),
        ("gallery region=isles-of-scilly (rare)", {"region": "isles-of-scilly"}),
        (f"gallery region=devon + tag={common_tag}", {"region": "devon", "tag": common_tag}),
        (f"gallery tag={rare_tag} (rare)", {"tag": rare_tag}),
        ("gallery kind=image + form=photo", {"kind": "image", "form": "photo"}),
        ("gallery kind=video + form=film", {"kind": "video", "form": "film"}),
    ]
    cases = []
    with Session(engine) as session:
        for name, kw in filters:
            cases.append(Case(
                "gallery", name,
                lambda s, kw=kw: list_gallery(s, limit=GALLERY_LIMIT, **kw),
                target, count_public(session, **kw)))
        cases.append(Case(
            "gallery", "gallery deep cursor page (halfway)",
            lambda s: list_gallery(s, limit=GALLERY_LIMIT, cursor=deep),
            target, count_public(session, cursor=(middle[0], middle[1]))))
    return cases


def search_cases(engine: Engine, rows: int, corpus: Corpus) -> list[Case]:
    rare = corpus.word_in_sentences(2)
    words = [
        ("feel", "common"), ("lonely", "common"), ("window", "medium"), ("kettle", "medium"),
        (rare, "rare"), ("kettle rain", "two words"),
    ]
    cases = []
    with Session(engine) as session:
        for q, how in words:
            cases.append(Case(
                "search", f"search q={q} ({how})",
                lambda s, q=q: list_gallery(s, limit=GALLERY_LIMIT, q=q),
                search_target(rows), count_public(session, q=q), explain_over=25.0))
    return cases


def queue_cases(engine: Engine) -> tuple[list[Case], list[str]]:
    with Session(engine) as session:
        pending = int(session.exec(
            select(func.count()).select_from(Contribution)
            .where(Contribution.status == Status.pending)).one())
        first = queue(session, status=Status.pending, kind=None, region=None,
                      limit=QUEUE_LIMIT, cursor=None)
    second = getattr(first, "next_cursor", None)
    errors: list[str] = []
    if second:
        try:
            with Session(engine) as session:
                queue(session, status=Status.pending, kind=None, region=None,
                      limit=QUEUE_LIMIT, cursor=second)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            errors.append(f"moderation queue page 2 (the cursor after the first page): "
                          f"{exc.__class__.__name__}: {exc}")
            second = None
    cases = [Case(
        "queue", f"moderation queue first page ({pending:,} pending)",
        lambda s: queue(s, status=Status.pending, kind=None, region=None, limit=QUEUE_LIMIT,
                        cursor=None),
        20.0, pending)]
    if second:
        cases.append(Case(
            "queue", "moderation queue page 2 (cursor)",
            lambda s: queue(s, status=Status.pending, kind=None, region=None,
                            limit=QUEUE_LIMIT, cursor=second),
            20.0, pending))
    return cases, errors


# --- Running ---------------------------------------------------------------------------------


def apply_sql(engine: Engine, statements: list[str]) -> None:
    """Statements to try before measuring (a proposed index, say), each in autocommit."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for sql in statements:
            start = time.perf_counter()
            conn.execute(text(sql))
            log(f"[scale]   applied in {time.perf_counter() - start:.1f} s: {sql}")


def bench_one(backend: str, rows: int, corpus: Corpus, n: int, budget: float,
              explain_all: bool, try_sql: list[str]) -> Run:
    """Seed, measure the code as it is; with `try_sql`, apply it and measure everything again
    on the same data (the queue's backlog is then already there)."""
    with database(backend) as url:
        log(f"[scale] {backend} {rows:,}: seeding ...")
        seeded, gen = seed(url, rows, corpus)
        log(f"[scale] {backend} {rows:,}: seeded in {seeded.seconds:.1f} s "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in seeded.steps.items())})")
        engine = make_engine(url)
        run = Run(backend, rows, seeded, database_bytes(engine))
        with engine.connect() as conn:
            run.schema = str(conn.execute(text("SELECT version_num FROM alembic_version"))
                             .scalar_one())

        def measure_all(cases: list[Case], variant: str) -> None:
            for case in cases:
                m = measure(engine, backend, rows, case, n, budget, explain_all)
                m.variant = variant
                run.measured.append(m)
                log(f"[scale]   {case.name}{variant}: p50 {m.p50:.2f} ms (SQL {m.sql_ms:.2f})")

        try:
            measure_all(gallery_cases(engine, rows, corpus)
                        + search_cases(engine, rows, corpus), "")
            if seeded.pending < QUEUE_PENDING:
                engine.dispose()
                log(f"[scale] {backend} {rows:,}: adding "
                    f"{QUEUE_PENDING - seeded.pending:,} pending ...")
                run.backlog = add_pending(url, gen, QUEUE_PENDING - seeded.pending)
            cases, run.errors = queue_cases(engine)
            measure_all(cases, "")
            if try_sql:
                apply_sql(engine, try_sql)
                measure_all(gallery_cases(engine, rows, corpus)
                            + search_cases(engine, rows, corpus) + queue_cases(engine)[0],
                            TRIED)
        finally:
            engine.dispose()
    return run


def postgres_available() -> bool:
    if os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL", "").startswith("postgresql"):
        return True
    try:
        with psycopg.connect(os.environ.get("SCRAPBOOK_BENCH_POSTGRES_ADMIN_URL", ADMIN_URL),
                             connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def code_version() -> str:
    """The commit measured, and whether scrapbook/ had uncommitted changes (read-only git)."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=10, check=False)
        except OSError:
            return ""
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "scrapbook").splitlines()]
    return head + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run_all(sizes: list[int], backends: list[str], *, n: int = 100, budget: float = 3.0,
            explain_all: bool = False, try_sql: list[str] | None = None,
            ) -> tuple[list[Run], dict[str, str]]:
    corpus = Corpus.build()
    context = {"load_start": load_average(), "code": code_version(),
               "started": dt.datetime.now().isoformat(" ", "seconds")}
    runs = []
    for backend in backends:
        if backend == "postgresql" and not postgres_available():
            log("[scale] PostgreSQL is not reachable: skipped")
            continue
        context[backend] = backend_version(backend)
        for rows in sizes:
            runs.append(bench_one(backend, rows, corpus, n, budget, explain_all, try_sql or []))
    context["load_end"] = load_average()
    if code_version() != context["code"]:
        context["code"] += f"; CHANGED during the run, to {code_version()}"
    return runs, context


def size_label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1000 == 0:
        return f"{rows // 1000}k"
    return str(rows)


def verdict(m: Measured) -> str:
    if m.target_ms is None:
        return "no target"
    return f"< {m.target_ms:g} ms: {'met' if m.met else 'MISSED'}"


def results(runs: list[Run]) -> list[Result]:
    out: list[Result] = []
    for run in runs:
        label = f"scale {run.backend} {size_label(run.rows)}"
        s = run.seeded
        out.append((f"{label}: seeding", (
            f"{s.seconds:.0f} s for {s.rows:,} contributions ({s.rows / s.seconds:,.0f}/s), "
            f"{s.tags:,} tags, {s.assets:,} media, {s.variants:,} variants; "
            f"{run.database_bytes / 1e6:,.0f} MB")))
        for m in run.measured:
            out.append((f"{label}: {m.case}{m.variant}", (
                f"p50 {m.p50:.2f} ms, p95 {m.p95:.2f} ms over {m.samples}; "
                f"{m.p50 / m.select1:.0f}x SELECT 1, {m.p50 / m.pk:.0f}x pk lookup; "
                f"SQL {m.sql_ms:.2f} ms; {verdict(m)}")))
        out += [(f"{label}: error", e) for e in run.errors]
    return out


def markdown(runs: list[Run], context: dict[str, str], command: str) -> str:
    lines = [
        f"Command: `{command}`",
        f"Date: {context['started']}; machine: {os.cpu_count()} cores ({platform.machine()}), "
        f"Python {platform.python_version()}; "
        + "; ".join(context[b] for b in BACKENDS if b in context),
        f"Code: {context['code']}",
        f"Load average (1, 5, 15 min) at start: {context['load_start']}; "
        f"at end: {context['load_end']}",
        "",
        "Seeding:",
        "",
        "| backend | schema | contributions | approved | pending | tags | media / variants "
        "| seconds | rows/s | steps (s) | database |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in runs:
        s = run.seeded
        steps = ", ".join(f"{k} {v:.0f}" for k, v in s.steps.items())
        backlog = (f" (+{run.backlog.rows:,} pending added in {run.backlog.seconds:.0f} s for "
                   "the queue)" if run.backlog else "")
        lines.append(
            f"| {run.backend} | {run.schema} | {s.rows:,}{backlog} | {s.approved:,} "
            f"| {s.pending:,} "
            f"| {s.tags:,} | {s.assets:,} / {s.variants:,} | {s.seconds:.0f} "
            f"| {s.rows / s.seconds:,.0f} | {steps} | {run.database_bytes / 1e6:,.0f} MB |")
    lines += [
        "",
        "Timings (p50 and p95 in ms; anchors are p50 of the same run, interleaved; "
        "SQL = the case's statements alone on the bare connection):",
        "",
        "| backend | rows | case | matching | p50 | p95 | n | SELECT 1 | pk lookup "
        "| x SELECT 1 | x pk | SQL ms | target |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        for m in run.measured:
            matching = f"{m.matching:,}" if m.matching is not None else ""
            lines.append(
                f"| {run.backend} | {size_label(run.rows)} | {m.case}{m.variant} | {matching} "
                f"| {m.p50:.2f} | {m.p95:.2f} | {m.samples} | {m.select1:.3f} | {m.pk:.3f} "
                f"| {m.p50 / m.select1:.0f}x | {m.p50 / m.pk:.0f}x | {m.sql_ms:.2f} "
                f"| {verdict(m)} |")
    errors = [(run, e) for run in runs for e in run.errors]
    if errors:
        lines += ["", "Errors (a case that could not run):", ""]
        lines += [f"- {run.backend} {size_label(run.rows)}: {e}" for run, e in errors]
    plans = [(run, m) for run in runs for m in run.measured if m.plan]
    if plans:
        lines += ["", "Plans of the slowest statement (missed targets, searches over 25 ms where "
                  "no target is set, or all with --explain):"]
        for run, m in plans:
            lines += ["", f"{run.backend} {size_label(run.rows)}, {m.case}{m.variant} ({m.note}):",
                      "",
                      "```", m.plan, "```"]
    return "\n".join(lines)


def run(sizes: list[int], backends: list[str], *, requests: int = 100, budget: float = 3.0,
        explain_all: bool = False, try_sql: list[str] | None = None,
        out: Any = sys.stdout) -> list[Result]:
    """Seed and measure each backend at each size; print the markdown report to `out` and
    return (name, figure) rows for bench/__main__.py. `try_sql`: statements run after seeding
    and before measuring (to try a proposed index without a migration)."""
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown backend(s): {', '.join(sorted(unknown))}")
    runs, context = run_all(sizes, backends, n=requests, budget=budget,
                            explain_all=explain_all, try_sql=try_sql)
    command = "python -m bench.scale --sizes {} --backends {}".format(
        ",".join(map(str, sizes)), ",".join(backends))
    command += "".join(f' --try-sql "{sql}"' for sql in try_sql or [])
    print(markdown(runs, context, command), file=out, flush=True)
    return results(runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000",
                        help="comma-separated contribution counts (default 100000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=100, help="samples per case (at most)")
    parser.add_argument("--budget", type=float, default=3.0,
                        help="seconds per case before stopping early (at least 15 samples)")
    parser.add_argument("--explain", action="store_true", help="print every case's plan")
    parser.add_argument("--try-sql", action="append", default=[], metavar="SQL",
                        help="run after seeding, before measuring (repeatable), e.g. an index")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    try:
        run(sizes, backends, requests=args.requests, budget=args.budget,
            explain_all=args.explain, try_sql=args.try_sql)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


if __name__ == "__main__":
    main()
