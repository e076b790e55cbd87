"""create_app(): routers, static frontend, error handlers and security headers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI

from scrapbook import __version__
from scrapbook.contributions.router import router as contributions_router
from scrapbook.core.bodylimit import BodyLimit
from scrapbook.core.config import Settings, get_settings
from scrapbook.core.errors import install_error_handlers
from scrapbook.core.headers import SecurityHeaders
from scrapbook.core.methods import install_api_fallback
from scrapbook.core.openapi import describer
from scrapbook.core.pages import page_builders
from scrapbook.core.public_reads import PageCache, PublicReads, generation_of
from scrapbook.core.queue import Runner, make_huey
from scrapbook.core.ratelimit import SlidingWindow, make_store
from scrapbook.core.security import ClientFingerprint
from scrapbook.directory.router import router as directory_router
from scrapbook.gallery.publication import watched_engine
from scrapbook.gallery.router import router as gallery_router
from scrapbook.media.router import router as media_router
from scrapbook.media.storage import make_storage
from scrapbook.media.tasks import MediaJobs
from scrapbook.meta import docs
from scrapbook.meta.router import router as meta_router
from scrapbook.moderation.auth import SigninThrottle
from scrapbook.moderation.router import router as moderation_router
from scrapbook.moderation.router import sessions as moderation_sessions_router
from scrapbook.site.pages import FRONTEND_DIR, FrontendFiles
from scrapbook.site.router import router as site_router
from scrapbook.uploads.router import router as uploads_router


def site_csp(settings: Settings) -> str:
    """The pages' policy; pictures and players may also load from the media origin (a CDN) or,
    when S3 media are redirected to signed URLs, from the bucket's origin."""
    media = ["'self'"]
    if settings.media_base_url:
        media.append(_origin(settings.media_base_url))
    if settings.storage_backend == "s3" and settings.s3_serve == "presigned":
        media.append(_origin(settings.s3_endpoint_url) if settings.s3_endpoint_url
                     else f"https://{settings.s3_bucket}.s3.{settings.s3_region}.amazonaws.com")
    sources = " ".join(dict.fromkeys(media))
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {sources} data: blob:; media-src {sources} blob:; connect-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def public_cache_control(settings: Settings) -> bytes:
    """Browsers revalidate every use; a CDN may keep a page `cdn_max_age` seconds, and serve
    it stale while it revalidates only when every change is purged from it."""
    if not settings.cdn_max_age:
        return b"no-cache"
    value = f"public, max-age=0, s-maxage={settings.cdn_max_age}"
    if settings.cdn_purge_url and settings.cdn_stale_seconds:
        value += f", stale-while-revalidate={settings.cdn_stale_seconds}"
    return value.encode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logging.basicConfig(level=settings.log_level.upper())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Embedded job consumers (threads) unless this process only serves: `scrapbook worker`.
        runner = None
        if settings.worker_threads > 0:
            jobs: MediaJobs = app.state.jobs
            runner = Runner(jobs.huey, app.state.engine, settings, jobs.sweep)
            await asyncio.to_thread(runner.start, settings.worker_threads)
        try:
            yield
        finally:
            if runner is not None:
                await asyncio.to_thread(runner.stop)

    app = FastAPI(
        title="Scrapbook",
        version=__version__,
        description="An anonymous, moderated, creative scrapbook of loneliness and isolation.",
        lifespan=lifespan,
        docs_url=None,  # served from the app by scrapbook.meta.docs, without a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.openapi = describer(app, settings)  # type: ignore[method-assign]
    app.state.engine = watched_engine(settings)
    app.state.storage = make_storage(settings)
    app.state.jobs = MediaJobs(settings, app.state.engine, app.state.storage, make_huey(settings))
    app.state.fingerprint = ClientFingerprint(settings.resolved_secret_key())
    app.state.intake_slots = asyncio.Semaphore(settings.intake_concurrency)
    app.state.page_builders = page_builders(settings)
    app.state.receiving = {}  # bodies being received, per client fingerprint
    # Limits are counted in a store every process shares: Redis when configured, else the
    # database (so `--workers N` allows what one process would, not N times it).
    hits = make_store(settings.database_url, settings.redis_url,
                      settings.queue_path.with_name("limits.db"))
    app.state.submission_limiter = SlidingWindow(
        settings.submissions_per_hour, 3600, hits, "submissions")
    app.state.report_limiter = SlidingWindow(settings.reports_per_hour, 3600, hits, "reports")
    app.state.upload_limiter = SlidingWindow(settings.submissions_per_hour, 3600, hits, "uploads")
    app.state.signin_throttle = SigninThrottle(settings, hits)
    app.state.attempt_limiter = SlidingWindow(
        settings.submission_attempts_per_hour, 3600, hits, "attempts")
    app.state.receipt_limiter = SlidingWindow(settings.receipts_per_hour, 3600, hits, "receipts")

    install_error_handlers(app)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(
        PublicReads, cache=PageCache(settings.public_cache_bytes),
        generation=generation_of(app.state.engine), cache_control=public_cache_control(settings),
        surrogate_key=b"public" if settings.cdn_purge_url else None,
    )

    app.add_middleware(SecurityHeaders, csp=site_csp(settings), own_policy=docs.DOC_PAGES)

    for router in (meta_router, contributions_router, gallery_router, moderation_sessions_router,
                   moderation_router, media_router, directory_router, uploads_router):
        app.include_router(router)

    app.include_router(site_router)
    app.include_router(docs.router)
    install_api_fallback(app)
    if FRONTEND_DIR.is_dir():
        app.mount("/", FrontendFiles(), name="frontend")  # assets; anything else: the 404 page
    return app
