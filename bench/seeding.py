"""A large, realistic Scrapbook database, seeded fast (for bench.scale).

Contributions of every kind (text mostly; images, sound and video with their media assets and
variants), forms, regions and tags with skewed distributions, most approved (in publication
order, with their decisions in the audit log and their search entries) and the rest pending,
held or rejected. Everything comes from one seeded random generator, so a run is repeatable.

Speed: the schema is migrated first (scrapbook.cli.run_migrations); then the secondary indexes
are dropped, the rows go in (SQLite: executemany in one transaction with the journal off;
PostgreSQL: COPY, foreign-key triggers off), the search index is built with one INSERT ...
SELECT per backend process, and the very same indexes are created again from their saved DDL.
"""

from __future__ import annotations

import base64
import datetime as dt
import multiprocessing
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from sqlalchemy.engine import make_url

from scrapbook.vocabulary import Form, Kind, Licence, Region, Status

# The loneliness scrapbook's words, most frequent first; a long tail of made-up words follows.
STOP_WORDS = (
    "i the and to a of my it in was is that me you for on with but so not be at have this "
    "just all we no when what like there they do can out up one an about would if your from "
    "by or been had her his our them as are were will then even"
).split()
THEME_WORDS = (
    "feel alone lonely home night quiet day time house window people nobody call phone room "
    "friend family morning kettle tea rain walk garden sea silence empty chair voice tired "
    "remember mother father sister brother mum dad children grandchildren neighbour street "
    "town city bus train station shop queue kitchen bed sleep awake dark light winter summer "
    "spring autumn snow wind cold warm sun moon stars sky clouds weather radio television "
    "music song letter card post door knock bell stairs hallway clock hours weeks months "
    "years waiting hope fear worry anxious sad grief loss miss missing love heart hands "
    "face eyes smile laugh cry tears hug touch talk listen words write read book page pen "
    "paper photo picture memory dream wish careful small little old young new bright "
    "lockdown isolation distance screen video message text online meeting zoom walking "
    "dog cat bird birds trees flowers leaves grass field hill river beach harbour boat tide "
    "waves shore cliff path lane bench park church school work office job money bills food "
    "bread soup dinner breakfast table plate cup mug coffee biscuit cake kitchen washing "
    "laundry dishes cleaning routine habit evening afternoon weekend monday sunday birthday "
    "christmas holiday visit visitors hospital doctor nurse care carer medicine pain body "
    "breath breathing slow still stillness calm storm thunder fog mist drizzle puddle "
    "umbrella coat scarf gloves fire candle lamp curtains shadow echo whisper shout noise "
    "hum buzz ticking creak footsteps stranger strangers belonging together apart between "
    "everyone someone anyone nothing everything something somewhere nowhere forgotten "
    "invisible unseen ordinary strange different same again always never sometimes often "
    "tomorrow yesterday tonight today"
).split()
TAGS_COMMON_FIRST = (
    "lockdown loneliness family nature hope grief home winter night friendship music "
    "isolation anxiety sea walking love kindness memory letters mental-health seasons "
    "rain garden mothers fathers childhood ageing caring work students sleep silence "
    "city village countryside pets dogs cats birds trees flowers weather spring summer "
    "autumn christmas birthdays holidays hospital health recovery poetry drawing painting "
    "photography film song radio television books reading writing cooking food tea coffee "
    "bread baking kitchen routine mornings evenings weekends sundays neighbours strangers "
    "community church school university job unemployment money housing moving travel "
    "buses trains cars cycling running swimming beach harbour cliffs moors rivers hills "
    "fog storms snow sunlight moonlight stars darkness light colour blue grey green "
    "windows doors stairs chairs clocks phones video-calls messages online social-media "
    "distance touch hugs voices laughter tears crying smiling waiting time change "
    "loss bereavement widowhood divorce separation migration belonging identity pride "
    "disability illness pain medicine carers nurses doctors volunteers charity help "
    "support listening talking silence-and-noise dreams fears worries calm peace "
    "gratitude small-joys daily-life solitude quiet rural coastal urban young-people "
    "older-people parents grandparents siblings children babies pregnancy teenagers"
).split()
FIRST_NAMES = (
    "Sam Alex Jo Robin Chris Pat Morgan Jamie Charlie Ash Rowan Kit Mel Viv Dee Lou Bea Ray "
    "Ann Tom Ida Max Zoe Ned"
).split()
WARNINGS = ("grief", "self-harm mentioned", "bereavement", "illness", "suicidal thoughts")

CONTRIBUTION_COLUMNS = (
    "pk", "id", "kind", "form", "title", "body", "transcript", "display_name", "region",
    "content_warning", "licence", "status", "channel", "received_on", "published_on",
    "published_seq", "public_reason", "moderator_note", "failure_reason", "receipt_hash",
    "contact_email", "at_risk", "version",
)
TAG_COLUMNS = ("contribution_pk", "tag", "position")
ASSET_COLUMNS = (
    "pk", "id", "contribution_pk", "position", "type", "alt_text", "width", "height",
    "blurhash", "duration", "state", "source_key", "attempts", "lease_until",
)
VARIANT_COLUMNS = (
    "pk", "asset_pk", "name", "key", "content_type", "width", "height", "bytes", "etag",
)
TABLES = ("contribution", "contribution_tag", "media_asset", "media_variant", "audit_event",
          "contribution_search")
SERIAL_TABLES = ("contribution", "media_asset", "media_variant", "audit_event")

# Shares of the whole; the gallery shows the approved ones.
KIND_WEIGHTS = {Kind.text: 85, Kind.image: 10, Kind.audio: 3, Kind.video: 2}
FORMS_BY_KIND = {
    Kind.text: ((Form.poem, 30), (Form.note, 25), (Form.letter, 20), (Form.story, 15),
                (Form.essay, 5), (Form.song, 3), (Form.other, 2)),
    Kind.image: ((Form.photo, 50), (Form.drawing, 25), (Form.painting, 15), (Form.meme, 10)),
    Kind.audio: ((Form.song, 50), (Form.poem, 30), (Form.other, 20)),
    Kind.video: ((Form.film, 70), (Form.other, 30)),
}
STATUS_WEIGHTS = {Status.approved: 85, Status.pending: 10, Status.rejected: 3, Status.held: 2}
REGION_WEIGHTS: dict[str | None, float] = {
    None: 20, Region.devon: 18, Region.cornwall: 14, Region.bristol: 12, Region.plymouth: 6,
    Region.somerset: 6, Region.dorset: 5, Region.gloucestershire: 4, Region.wiltshire: 3,
    Region.torbay: 2, Region.north_somerset: 2, Region.bath_and_north_east_somerset: 2,
    Region.south_gloucestershire: 2, Region.swindon: 1, Region.elsewhere_uk: 2,
    Region.outside_uk: 1, Region.bournemouth_christchurch_and_poole: 1,
    Region.isles_of_scilly: 0.3,
}
TAG_COUNT_WEIGHTS = ((0, 15), (1, 20), (2, 25), (3, 20), (4, 12), (5, 8))
DAYS = 3 * 365  # contributions arrive over three years


def _syllable_words(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    onsets = "b c d f g h j k l m n p r s t v w br cl dr fl gr pl sh st th tr".split()
    vowels = "a e i o u ai ea ee oa ou".split()
    codas = ["", "", "n", "r", "l", "s", "th", "nd", "st", "m"]
    words: list[str] = []
    while len(words) < count:
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
            for _ in range(rng.randint(2, 3))
        )
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


@dataclass(frozen=True)
class Corpus:
    """Words (Zipf-distributed), a pool of sentences made of them, tags (Zipf too)."""

    sentences: list[str]
    tags: list[str]
    tag_cum: list[float]
    word_counts: Counter[str]

    @classmethod
    def build(cls, seed: int = 10, sentences: int = 50_000) -> Corpus:
        rng = random.Random(seed)
        real = [*STOP_WORDS, *THEME_WORDS]
        vocab = list(dict.fromkeys(real))
        # A few theme words as common as function words: "feel" is in about half the texts.
        for rank, word in ((8, "feel"), (18, "alone"), (30, "lonely"), (45, "home")):
            vocab.remove(word)
            vocab.insert(rank, word)
        vocab += _syllable_words(rng, 4000, set(vocab))
        cum = _cumulative([1 / (rank + 1) for rank in range(len(vocab))])
        pool = [
            " ".join(rng.choices(vocab, cum_weights=cum, k=rng.randint(6, 16)))
            for _ in range(sentences)
        ]
        counts: Counter[str] = Counter(w for s in pool for w in s.split())
        tags = list(dict.fromkeys(TAGS_COMMON_FIRST))[:200]
        tag_cum = _cumulative([1 / (rank + 1) ** 0.9 for rank in range(len(tags))])
        return cls(sentences=pool, tags=tags, tag_cum=tag_cum, word_counts=counts)

    def word_in_sentences(self, count: int) -> str:
        """A made-up (tail) word found in about `count` sentences of the pool: a rare word."""
        real = set(STOP_WORDS) | set(THEME_WORDS)
        return min(
            (w for w in self.word_counts if w not in real),
            key=lambda w: (abs(self.word_counts[w] - count), w),
        )


@dataclass
class Rows:
    contributions: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)
    assets: list[tuple[Any, ...]] = field(default_factory=list)
    variants: list[tuple[Any, ...]] = field(default_factory=list)


def _table(weights: Sequence[tuple[Any, float]], size: int = 4000) -> list[Any]:
    """An expanded list in which each value appears in proportion to its weight: one draw is
    `table[int(random() * len(table))]`, much cheaper than random.choices row by row."""
    total = sum(w for _, w in weights)
    out: list[Any] = []
    for value, w in weights:
        out += [value] * max(1, round(size * w / total))
    return out


class Generator:
    """Contributions in the order they arrived (pk order), the approved ones in publication
    order (published_seq rises with pk)."""

    def __init__(self, corpus: Corpus, seed: int = 7, total: int = 1) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.total = max(total, 1)
        self.pk = self.asset_pk = self.variant_pk = 0
        self.seq = 0
        self.start = dt.date(2024, 1, 1)
        self.days = [self.start + dt.timedelta(d) for d in range(DAYS + 8)]
        # (kind, form) pairs together: forms depend on the kind.
        self.kind_forms = _table([
            ((kind.value, form.value), kw * fw / sum(w for _, w in FORMS_BY_KIND[kind]))
            for kind, kw in KIND_WEIGHTS.items() for form, fw in FORMS_BY_KIND[kind]
        ], 20_000)
        self.statuses = _table([(k.value, w) for k, w in STATUS_WEIGHTS.items()], 1000)
        self.regions = _table(list(REGION_WEIGHTS.items()), 20_000)
        self.tag_counts = _table(TAG_COUNT_WEIGHTS, 1000)
        weights = [b - a for a, b in zip([0.0, *corpus.tag_cum], corpus.tag_cum, strict=False)]
        self.tags = _table(list(zip(corpus.tags, weights, strict=True)), 20_000)
        self.licences = [lic.value for lic in Licence]

    def _id(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(12)).decode()

    def _words(self, low: int, high: int) -> str:
        """About low..high words: whole sentences from the pool (11 words on average)."""
        rnd, pool = self.rng.random, self.corpus.sentences
        n = len(pool)
        sentences = max(1, (low + int(rnd() * (high - low + 1))) // 11)
        return " ".join([pool[int(rnd() * n)] for _ in range(sentences)])

    def batch(self, count: int, status: Status | None = None) -> Rows:
        rng, out = self.rng, Rows()
        rnd = rng.random
        kind_forms, statuses, regions = self.kind_forms, self.statuses, self.regions
        tag_counts, tags, licences = self.tag_counts, self.tags, self.licences
        forced = status.value if status else None
        approved, text_kind = Status.approved.value, Kind.text.value
        timed_kinds = (Kind.audio.value, Kind.video.value)
        rejected = Status.rejected.value
        for _ in range(count):
            self.pk += 1
            pk = self.pk
            kind, form = kind_forms[int(rnd() * len(kind_forms))]
            state = forced or statuses[int(rnd() * len(statuses))]
            day = min(pk, self.total) * DAYS // self.total
            published_on = published_seq = None
            if state == approved:
                self.seq += 1
                published_on, published_seq = self.days[day + int(rnd() * 4)], self.seq
            title = ""
            if kind != text_kind or rnd() < 0.6:
                title = self._words(2, 12)[: 12 + int(rnd() * 48)].rsplit(" ", 1)[0].capitalize()
            if kind == text_kind:
                body = self._words(50, 100)
            else:
                body = self._words(0, 25) if rnd() < 0.6 else ""
            transcript = self._words(30, 90) if kind in timed_kinds and rnd() < 0.7 else None
            out.contributions.append((
                pk, self._id(), kind, form, title, body, transcript,
                FIRST_NAMES[int(rnd() * len(FIRST_NAMES))] if rnd() < 0.3 else None,
                regions[int(rnd() * len(regions))],
                WARNINGS[int(rnd() * len(WARNINGS))] if rnd() < 0.05 else None,
                licences[int(rnd() * len(licences))], state,
                "web" if rnd() < 0.95 else ("email", "post", "social")[int(rnd() * 3)],
                self.days[day], published_on, published_seq,
                "Thank you; this is not quite right for the scrapbook."
                if state == rejected else None,
                None, None, f"{rng.getrandbits(256):064x}",
                f"person{pk}@example.org" if rnd() < 0.1 else None,
                rnd() < 0.015, 1,
            ))
            count_tags = tag_counts[int(rnd() * len(tag_counts))]
            if count_tags:
                chosen = [tags[int(rnd() * len(tags))] for _ in range(count_tags)]
                for position, tag in enumerate(dict.fromkeys(chosen)):
                    out.tags.append((pk, tag, position))
            if kind != text_kind:
                self._media(out, pk, kind)
        return out

    def _media(self, out: Rows, pk: int, kind: str) -> None:
        rng = self.rng
        image = kind == Kind.image.value
        assets = 1 if not image or rng.random() < 0.85 else rng.randint(2, 4)
        for position in range(assets):
            self.asset_pk += 1
            asset_id = self._id()
            width, height = rng.choice(((2048, 1536), (1536, 2048), (2048, 1152), (1600, 1600)))
            duration = None if image else round(rng.uniform(5, 300), 3)
            out.assets.append((
                self.asset_pk, asset_id, pk, position, kind,
                "A picture: " + self._words(8, 20)[:200] if image else None,
                width, height, "LEHV6nWB2yk8pyo0adR*.7kCMdnj", duration, "ready", None, 0, None,
            ))
            names = [("display", "image/webp", "webp"), ("thumb", "image/webp", "webp")]
            if kind == Kind.audio.value:
                names.append(("audio", "audio/mp4", "m4a"))
                if rng.random() < 0.5:
                    names.append(("opus", "audio/webm", "webm"))
            elif kind == Kind.video.value:
                names.append(("video", "video/mp4", "mp4"))
            for name, content_type, ext in names:
                self.variant_pk += 1
                scale = 0.3125 if name == "thumb" else 1
                out.variants.append((
                    self.variant_pk, self.asset_pk, name, f"{asset_id}/{name}.{ext}",
                    content_type, int(width * scale), int(height * scale),
                    rng.randint(20_000, 40_000_000), f"{rng.getrandbits(128):032x}",
                ))


def batches(gen: Generator, rows: int, size: int = 20_000,
            status: Status | None = None) -> Iterator[Rows]:
    done = 0
    while done < rows:
        n = min(size, rows - done)
        yield gen.batch(n, status)
        done += n


# --- Loading ---------------------------------------------------------------------------------


class Loader(Protocol):
    def drop_indexes(self) -> list[str]: ...
    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None: ...
    def finish_rows(self) -> None: ...
    def build_search(self) -> None: ...
    def audit(self) -> None: ...
    def create_indexes(self, ddl: list[str]) -> None: ...
    def finish(self) -> None: ...


SQLITE_SEARCH = """
INSERT INTO contribution_search (rowid, title, body, tags)
SELECT c.pk, c.title,
       CASE WHEN c.transcript IS NULL OR c.transcript = '' THEN c.body
            WHEN c.body = '' THEN c.transcript
            ELSE c.body || char(10) || c.transcript END,
       coalesce((SELECT group_concat(t.tag, ' ') FROM
                 (SELECT tag FROM contribution_tag WHERE contribution_pk = c.pk
                  ORDER BY position) AS t), '')
FROM contribution AS c WHERE c.status = 'approved' ORDER BY c.pk
"""
PG_SEARCH = """
INSERT INTO contribution_search (contribution_pk, document)
SELECT c.pk,
       setweight(to_tsvector('english', c.title), 'A') ||
       setweight(to_tsvector('english', coalesce(
           (SELECT string_agg(tag, ' ' ORDER BY position) FROM contribution_tag
            WHERE contribution_pk = c.pk), '')), 'B') ||
       setweight(to_tsvector('english', concat_ws(E'\\n', nullif(c.body, ''),
                                                  nullif(c.transcript, ''))), 'C')
FROM contribution AS c
WHERE c.status = 'approved' AND c.pk BETWEEN %(low)s AND %(high)s
"""
# Every decision is in the audit log (the moderation queue counts visitor reports from it),
# and about one published piece in 300 has been reported by a visitor since.
AUDIT_DECISIONS = """
INSERT INTO audit_event (at, actor, action, entity, entity_id)
SELECT {decided_at}, 'robin', status, 'contribution', id FROM contribution
WHERE status IN ('approved', 'held', 'rejected') AND pk BETWEEN {low} AND {high} ORDER BY pk
"""
AUDIT_REPORTS = """
INSERT INTO audit_event (at, actor, action, entity, entity_id, reason)
SELECT {reported_at}, 'visitor', 'reported', 'contribution', id, 'This should not be here.'
FROM contribution WHERE status = 'approved' AND pk % 300 = 7
AND pk BETWEEN {low} AND {high} ORDER BY pk
"""


class SqliteLoader:
    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000",
                       "temp_store=MEMORY", "foreign_keys=OFF"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute("BEGIN")

    def drop_indexes(self) -> list[str]:
        marks = ",".join("?" * len(TABLES))
        rows = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
            f"AND tbl_name IN ({marks}) ORDER BY name", TABLES,
        ).fetchall()
        for name, _ in rows:
            self.conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if table == "contribution":  # SQLAlchemy's Date on SQLite: ISO text
            rows = [(*r[:13], r[13].isoformat(), r[14] and r[14].isoformat(), *r[15:])
                    for r in rows]
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def finish_rows(self) -> None:
        pass

    def build_search(self) -> None:
        self.conn.execute(SQLITE_SEARCH)

    def audit(self) -> None:
        bounds = {"low": 0, "high": 2**62}
        self.conn.execute(AUDIT_DECISIONS.format(
            decided_at="coalesce(published_on, received_on) || ' 10:00:00.000000'", **bounds))
        self.conn.execute(AUDIT_REPORTS.format(
            reported_at="published_on || ' 18:00:00.000000'", **bounds))

    def create_indexes(self, ddl: list[str]) -> None:
        for sql in ddl:
            self.conn.execute(sql)

    def finish(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA journal_mode=WAL")  # as the app opens it
        self.conn.close()


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresLoader:
    def __init__(self, url: str, workers: int = 2) -> None:
        self.url = libpq_url(url)
        self.workers = workers
        self.conn = psycopg.connect(self.url)
        self.conn.execute("SET session_replication_role = replica")  # no FK triggers: rows are
        self.conn.execute("SET maintenance_work_mem = '512MB'")      # consistent by construction

    def drop_indexes(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes AS i "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint AS k WHERE k.conname = i.indexname) ORDER BY 1",
            (list(TABLES),),
        ).fetchall()
        for name, _ in rows:
            self.conn.execute(f'DROP INDEX "{name}"')
        return [sql for _, sql in rows]

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        with self.conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish_rows(self) -> None:
        # The search index and audit rows are built by several backends at once: commit first.
        self.conn.commit()
        self.conn.execute("ANALYZE contribution, contribution_tag")  # plans for what follows
        self.conn.commit()
        row = self.conn.execute("SELECT coalesce(max(pk), 0) FROM contribution").fetchone()
        self.max_pk = int(row[0]) if row else 0

    def _parallel(self, sql: str, params_sql: bool) -> None:
        step = self.max_pk // self.workers + 1

        def part(i: int) -> None:
            low, high = i * step + 1, (i + 1) * step
            with psycopg.connect(self.url) as conn:
                conn.execute("SET session_replication_role = replica")
                if params_sql:
                    conn.execute(sql, {"low": low, "high": high})
                else:
                    conn.execute(sql.format(low=low, high=high))

        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(part, range(self.workers)))

    def build_search(self) -> None:
        self._parallel(PG_SEARCH, params_sql=True)

    def audit(self) -> None:
        decided = "(coalesce(published_on, received_on) + time '10:00') AT TIME ZONE 'UTC'"
        self._parallel(AUDIT_DECISIONS.replace("{decided_at}", decided), params_sql=False)
        reported = "(published_on + time '18:00') AT TIME ZONE 'UTC'"
        self._parallel(AUDIT_REPORTS.replace("{reported_at}", reported), params_sql=False)

    def create_indexes(self, ddl: list[str]) -> None:
        """The search (GIN) index on one connection, every other index on another."""
        self.conn.commit()
        gin = [d for d in ddl if " USING gin " in d]
        groups = [gin, [d for d in ddl if d not in gin]]

        def build(statements: list[str]) -> None:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '512MB'")
                for sql in statements:
                    conn.execute(sql)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(build, groups))

    def finish(self) -> None:
        for table in SERIAL_TABLES:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'pk'), "  # noqa: S608
                f"(SELECT coalesce(max(pk), 0) + 1 FROM {table}), false)"
            )
        self.conn.commit()
        self.conn.autocommit = True
        # As autovacuum would have done by the time a database is this size.
        self.conn.execute("VACUUM ANALYZE")
        self.conn.close()


@dataclass
class Seeded:
    rows: int = 0
    approved: int = 0
    pending: int = 0
    tags: int = 0
    assets: int = 0
    variants: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)


def loader_for(url: str) -> Loader:
    if url.startswith("sqlite"):
        return SqliteLoader(url.removeprefix("sqlite:///"))
    return PostgresLoader(url)


def _produce(gen: Generator, rows: int, status: Status | None, out: Any) -> None:
    """In a child process: the batches, then the generator itself (its counters moved on)."""
    for batch in batches(gen, rows, status=status):
        out.put(batch)
    out.put(gen)


def _load(loader: Loader, gen: Generator, rows: int, seeded: Seeded,
          status: Status | None = None) -> Generator:
    """Rows are generated in a child process while this one (SQLite) or the server
    (PostgreSQL) writes the previous batch: two cores busy instead of one."""
    ctx = multiprocessing.get_context("fork")
    channel = ctx.Queue(maxsize=3)
    child = ctx.Process(target=_produce, args=(gen, rows, status, channel), daemon=True)
    child.start()
    try:
        while True:
            batch = channel.get()
            if isinstance(batch, Generator):
                gen = batch
                break
            loader.insert("contribution", CONTRIBUTION_COLUMNS, batch.contributions)
            loader.insert("contribution_tag", TAG_COLUMNS, batch.tags)
            loader.insert("media_asset", ASSET_COLUMNS, batch.assets)
            loader.insert("media_variant", VARIANT_COLUMNS, batch.variants)
            seeded.rows += len(batch.contributions)
            seeded.approved += sum(1 for c in batch.contributions if c[11] == "approved")
            seeded.pending += sum(1 for c in batch.contributions if c[11] == "pending")
            seeded.tags += len(batch.tags)
            seeded.assets += len(batch.assets)
            seeded.variants += len(batch.variants)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    return gen


def seed(url: str, rows: int, corpus: Corpus, seed: int = 7) -> tuple[Seeded, Generator]:
    """Fill a freshly migrated, empty database with `rows` contributions. Returns what was
    written and the generator (to add more later, e.g. a pending backlog)."""
    seeded, gen = Seeded(), Generator(corpus, seed=seed, total=rows)
    start = time.perf_counter()
    loader = loader_for(url)

    def step(name: str, t0: float) -> float:
        now = time.perf_counter()
        seeded.steps[name] = now - t0
        return now

    t = time.perf_counter()
    ddl = loader.drop_indexes()
    gen = _load(loader, gen, rows, seeded)
    loader.finish_rows()
    t = step("rows", t)
    loader.build_search()
    t = step("search index", t)
    loader.audit()
    t = step("audit log", t)
    loader.create_indexes(ddl)
    t = step("indexes", t)
    loader.finish()
    step("finish", t)
    seeded.seconds = time.perf_counter() - start
    return seeded, gen


def add_pending(url: str, gen: Generator, rows: int) -> Seeded:
    """More contributions awaiting moderation (indexes kept: a backlog arriving)."""
    seeded = Seeded()
    start = time.perf_counter()
    loader = loader_for(url)
    _load(loader, gen, rows, seeded, status=Status.pending)
    loader.finish_rows()
    loader.finish()
    seeded.seconds = time.perf_counter() - start
    return seeded
