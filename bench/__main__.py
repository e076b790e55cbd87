"""`make bench`: image and media pipelines, uploads, gallery reads and media serving, gallery
throughput and a spike, and the database at 100k (and 1M) contributions.

Run: .venv/bin/python -m bench [--rows 5000] [--requests 200] [--only core|media|issue10|...]
     [--sizes 100000[,1000000]]
Set SCRAPBOOK_BENCH_DATABASE_URL to benchmark PostgreSQL (its tables are emptied first; the
media benchmarks always use their own SQLite file).

Issue 10 (`--only issue10`): `vips` (bench/images.py: the image pipeline beside libvips),
`throughput` (bench/throughput.py: wrk on the gallery cached and uncached beside two bare
routes in the same server, and a 2,000-connection spike through nginx), `scale`
(bench/scale.py: the uncached gallery, search and queue at --sizes on SQLite and PostgreSQL).

Media (bench/media.py, `--only media`): the server's peak RSS while a 499 MB video arrives by
multipart and by tus; av.process remux, transcode and audio beside PyAV's demux, decode and bare
encode floors; a 50 MB video served whole and by byte range beside Starlette's FileResponse.
Each figure is printed with its anchors from the same run, and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import text

from bench.media import PARTS, bench_media
from bench.server import serve
from scrapbook.cli import run_migrations
from scrapbook.core.db import make_engine
from scrapbook.core.security import hash_token, new_public_id
from scrapbook.media.images import process_image

WORDS = (
    "kettle window rain quiet letter harbour lonely bus tide garden night morning phone "
    "silence friend kitchen walk sea lights empty chair tea radio cold warm call"
).split()
REGIONS = ("cornwall", "devon", "bristol", "dorset", "somerset", "plymouth", None)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def bench_images(repeats: int = 5) -> list[tuple[str, str]]:
    rng = random.Random(1)
    im = Image.effect_noise((4000, 3000), 60).convert("RGB")
    im = Image.merge(
        "RGB", [im.getchannel(0), im.getchannel(0).rotate(90, expand=False), im.getchannel(0)]
    )
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        process_image(
            data,
            max_bytes=20 * 1024 * 1024,
            max_pixels=40_000_000,
            display_edge=2048,
            thumb_edge=640,
        )
        times.append(time.perf_counter() - start)
    del rng
    return [
        (
            f"image pipeline, 12 MP JPEG ({len(data) // 1_000_000} MB) -> display+thumb+blurhash",
            f"median {statistics.median(times) * 1000:.0f} ms over {repeats}",
        )
    ]


def seed(url: str, rows: int) -> None:
    engine = make_engine(url)
    rng = random.Random(7)
    today = dt.date.today()
    with engine.begin() as conn:
        for table in ("contribution_search", "contribution_tag", "contribution"):
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608
        batch = []
        for i in range(rows):
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
            batch.append(
                {
                    "id": new_public_id(),
                    "kind": "text",
                    "form": rng.choice(["poem", "note", "letter"]),
                    "title": " ".join(rng.choice(WORDS) for _ in range(3)),
                    "body": body,
                    "region": rng.choice(REGIONS),
                    "licence": "cc-by-4.0",
                    "status": "approved",
                    "channel": "web",
                    "received_on": today - dt.timedelta(days=i // 20),
                    "published_on": today - dt.timedelta(days=i // 20),
                    "published_seq": rows - i,
                    "receipt_hash": hash_token(new_public_id()),
                    "at_risk": False,
                    "version": 1,
                }
            )
        conn.execute(
            text(
                "INSERT INTO contribution (id, kind, form, title, body, region, licence, status, "
                "channel, received_on, published_on, published_seq, receipt_hash, at_risk, "
                "version) VALUES (:id, "
                ":kind, :form, :title, :body, :region, :licence, :status, :channel, :received_on, "
                ":published_on, :published_seq, :receipt_hash, :at_risk, :version)"
            ),
            batch,
        )
        conn.execute(
            text(
                "INSERT INTO contribution_tag (contribution_pk, tag, position) "
                "SELECT pk, 'tide', 0 FROM contribution WHERE pk % 10 = 0"
            )
        )
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "INSERT INTO contribution_search (rowid, title, body, tags) "
                    "SELECT pk, title, body, '' FROM contribution"
                )
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO contribution_search (contribution_pk, document) SELECT pk, "
                    "to_tsvector('english', title || ' ' || body) FROM contribution"
                )
            )
    engine.dispose()


def timed(
    client: httpx.Client, n: int, call: Callable[[httpx.Client, int], httpx.Response]
) -> tuple[float, float]:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        r = call(client, i)
        samples.append(time.perf_counter() - start)
        assert r.status_code < 300, r.text
    return percentiles(samples)


def bench_http(url: str, rows: int, n: int) -> list[tuple[str, str]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        run_migrations(url)
        seed(url, rows)
        with serve(url, Path(tmp)) as (_, base), httpx.Client(base_url=base, timeout=30) as client:
            first = client.get("/api/gallery", params={"limit": 24}).json()
            deep = first["next_cursor"]
            for _ in range(rows // 48):  # walk halfway down for a deep cursor
                page = client.get("/api/gallery", params={"limit": 24, "cursor": deep}).json()
                deep = page["next_cursor"] or deep
            cases = {
                "gallery first page (24)": lambda c, i: c.get("/api/gallery"),
                "gallery page 100 items": lambda c, i: c.get(
                    "/api/gallery", params={"limit": 100}
                ),
                "gallery deep cursor page": lambda c, i: c.get(
                    "/api/gallery", params={"cursor": deep}
                ),
                "gallery region + tag filter": lambda c, i: c.get(
                    "/api/gallery", params={"region": "devon", "tag": "tide"}
                ),
                "gallery search q=<word>": lambda c, i: c.get(
                    "/api/gallery", params={"q": WORDS[i % len(WORDS)]}
                ),
                "submit a text contribution": lambda c, i: c.post(
                    "/api/contributions",
                    data={
                        "kind": "text",
                        "form": "note",
                        "body": f"bench {i}",
                        "consent": "true",
                    },
                    files={"_": ("", b"", "application/octet-stream")},
                ),
            }
            for name, call in cases.items():
                p50, p95 = timed(client, n, call)
                results.append(
                    (
                        f"{name} ({rows} approved rows)",
                        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms over {n}",
                    )
                )
    return results


ISSUE10 = ("vips", "throughput", "scale")
GROUPS = {"core": ("images", "http"), "media": PARTS, "issue10": ISSUE10}
CHOICES = ("images", "http", *PARTS, *ISSUE10)


def _chosen(only: str | None) -> tuple[str, ...]:
    if not only:
        return CHOICES
    chosen: list[str] = []
    for name in only.split(","):
        name = name.strip()
        if name not in (*CHOICES, *GROUPS):
            known = ", ".join((*GROUPS, *CHOICES))
            raise SystemExit(f"--only: unknown '{name}'; choose from {known}")
        chosen += GROUPS.get(name, (name,))
    return tuple(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each media pipeline")
    parser.add_argument(
        "--only",
        help="comma-separated: core (images, http), media (upload, video, audio, range), "
        "issue10 (vips, throughput, scale)",
    )
    parser.add_argument("--sizes", default="100000",
                        help="contribution counts for `scale`, e.g. 100000,1000000")
    parser.add_argument("--duration", type=float, default=5.0,
                        help="seconds per wrk run for `throughput`")
    args = parser.parse_args()
    chosen = _chosen(args.only)
    url = os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{tmp}/bench.db"
        if "images" in chosen:
            results += bench_images()
        if "http" in chosen:
            results += bench_http(url, args.rows, args.requests)
    media = tuple(part for part in PARTS if part in chosen)
    if media:
        results += bench_media(media, repeats=args.repeats)
    if "vips" in chosen:
        from bench import images

        results += images.run()
    if "throughput" in chosen:
        from bench import throughput

        results += throughput.run(os.environ.get("SCRAPBOOK_BENCH_DATABASE_URL"), 3000,
                                  args.duration)
    if "scale" in chosen:
        from bench import scale

        sizes = [int(n) for n in args.sizes.replace("_", "").split(",") if n]
        results += scale.run(sizes, ["sqlite", "postgresql"])
    backend = url.split(":", 1)[0]
    print(f"\nScrapbook benchmarks ({backend}, {os.cpu_count()} cores, {dt.date.today()})")
    for name, value in results:
        print(f"  {name:<60} {value}")


if __name__ == "__main__":
    main()
