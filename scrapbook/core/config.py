"""The one Settings class: every path, secret and limit lives here."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRAPBOOK_", env_file=".env", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR / 'scrapbook.db'}"
    uploads_dir: Path = Path("uploads")
    secret_key: str = ""
    log_level: str = "info"

    # Text limits (characters, after cleaning).
    title_max: int = 200
    body_max: int = 20_000
    display_name_max: int = 80
    content_warning_max: int = 200
    alt_text_max: int = 1_000
    tags_max: int = 10
    tag_max: int = 40
    public_reason_max: int = 1_000
    note_max: int = 4_000
    report_max: int = 2_000  # a visitor's report on a contribution or a service

    # Images.
    images_max: int = 6
    image_bytes_max: int = Field(default=20_000_000, gt=0)  # MB = 1,000,000 bytes throughout
    image_pixels_max: int = Field(default=40_000_000, gt=0)
    display_edge: int = 2048
    thumb_edge: int = 640
    image_workers: int = Field(default=2, ge=1)  # images decoded at once, across all requests
    # Submissions being received and processed at once; others wait, then get a 503.
    intake_concurrency: int = Field(default=4, ge=1)
    intake_wait_seconds: float = Field(default=30, ge=0)

    # Audio and video (MB = 1,000,000 bytes). Checked from the header before anything is
    # stored, and again while decoding.
    audio_bytes_max: int = Field(default=100_000_000, gt=0)
    audio_seconds_max: float = Field(default=15 * 60, gt=0)
    audio_channels_max: int = Field(default=8, gt=0)  # 7.1; the output is at most stereo
    video_bytes_max: int = Field(default=500_000_000, gt=0)
    video_seconds_max: float = Field(default=10 * 60, gt=0)
    video_long_edge_max: int = Field(default=3840, gt=0)  # 3840 x 2160 either way up
    video_short_edge_max: int = Field(default=2160, gt=0)
    video_fps_max: float = Field(default=60, gt=0)
    video_output_edge: int = Field(default=1080, gt=0)  # transcodes are at most 1080p
    transcript_max: int = 20_000

    # Media storage: local files under uploads_dir, or S3-compatible object storage.
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str = "scrapbook"
    s3_endpoint_url: str | None = None  # e.g. http://127.0.0.1:9000 for MinIO
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # How S3 media reach browsers: through the app, or redirected to a short-lived signed URL.
    s3_serve: Literal["proxy", "presigned"] = "proxy"
    s3_presign_seconds: int = Field(default=300, gt=0)
    # A separate public origin for media (a cookie-free domain or CDN), e.g.
    # https://media.example.org; media URLs in API responses are built from it.
    media_base_url: str = ""

    # Resumable uploads (tus 1.0), kept on local disk until attached to a contribution.
    tus_dir: Path = VAR_DIR / "tus"
    tus_expiry_hours: int = Field(default=24, ge=1)

    # Job queue: embedded (SQLite file, consumer threads inside `scrapbook serve`) unless a
    # Redis URL is set. 0 worker threads: this process only enqueues (run `scrapbook worker`).
    queue_path: Path = VAR_DIR / "queue.db"
    redis_url: str | None = None
    worker_threads: int = Field(default=1, ge=0)
    job_attempts: int = Field(default=3, ge=1)
    job_retry_seconds: int = Field(default=10, ge=0)
    # A job not finished this long after a worker took it is taken to have died and runs again.
    job_lease_seconds: int = Field(default=1800, gt=0)
    sweep_seconds: int = Field(default=60, gt=0)

    # Abuse limits: submissions per client per hour, sign-in failures per window.
    submissions_per_hour: int = 10
    reports_per_hour: int = 20  # visitor reports (contributions, out-of-date services)
    submission_attempts_per_hour: int = 60  # tries, accepted or not (mistakes are allowed)
    receipts_per_hour: int = 60  # receipt look-ups and withdrawals per client
    # Sign-in: free failures per (username, client), then exponential back-off from 1 s up to
    # the window; past `signin_global_failures` failures for a username from anywhere in the
    # window, every attempt for it is slowed by `signin_slowdown_seconds` (never refused).
    signin_failures_max: int = 5
    signin_backoff_seconds: float = Field(default=1.0, gt=0)  # the first wait, then doubling
    signin_window_seconds: int = 900
    signin_global_failures: int = 50
    signin_slowdown_seconds: float = 2.0
    # Slow clients: a multipart body that stalls this long, or averages less than
    # `body_min_rate` bytes a second after the grace period, is answered 408.
    body_idle_seconds: float = Field(default=30, gt=0)
    body_grace_seconds: float = Field(default=20, ge=0)
    body_min_rate: int = Field(default=2_000, ge=0)  # 16 kbit/s, below a poor 2G connection
    receives_per_client: int = Field(default=2, ge=1)  # multipart bodies read at once
    # Request bodies other than uploads (JSON), refused with 413 while they are read.
    json_body_max: int = 256 * 1024
    form_field_bytes_max: int = Field(default=256 * 1024, gt=0)  # one text field of a form
    form_fields_max: int = Field(default=200, gt=0)  # text fields in one form
    signin_body_max: int = 4 * 1024

    # Behind a reverse proxy: the addresses allowed to set X-Forwarded-For/-Proto (e.g.
    # "127.0.0.1"); unset means the app is reached directly and such headers are ignored.
    forwarded_allow_ips: str | None = None

    # `scrapbook serve` worker processes; 0: one per core, at most 4. Every process shares the
    # database, the limits, the public cache's generation and the job queue.
    web_workers: int = Field(default=0, ge=0)

    # Moderator sessions.
    session_hours: int = 12
    password_min: int = Field(default=12, ge=8)  # a moderator's password, in characters

    # Public reads kept as ready bytes in each process, invalidated across processes (a file
    # beside the queue, or Redis when configured); 0 turns the cache off.
    public_cache_bytes: int = Field(default=32_000_000, ge=0)
    # A CDN in front may keep public pages this many seconds (s-maxage); 0: it revalidates
    # every use. With `cdn_purge_url`, every change that alters a public read is POSTed there
    # (see the README, "Running at scale"), and the CDN may also serve a page stale for
    # `cdn_stale_seconds` while it fetches the new one.
    cdn_max_age: int = Field(default=0, ge=0)
    cdn_purge_url: str | None = None
    cdn_purge_token: str | None = None  # sent as a bearer token with each purge
    cdn_stale_seconds: int = Field(default=60, ge=0)

    # Threads building public pages at once in each process; 0: one per core on SQLite
    # (more only contend), 8 on PostgreSQL (its queries wait on the network).
    page_builders: int = Field(default=0, ge=0)

    # Gallery paging.
    page_default: int = 24
    page_max: int = 100

    @model_validator(mode="after")
    def _purge_over_http(self) -> Settings:
        if self.cdn_purge_url and not self.cdn_purge_url.startswith(("http://", "https://")):
            raise ValueError("SCRAPBOOK_CDN_PURGE_URL must be an http:// or https:// URL")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if len(self.secret_key) < 32:
                raise ValueError(
                    "SCRAPBOOK_SECRET_KEY must be at least 32 random characters in production"
                )
        return self

    def resolved_page_builders(self) -> int:
        if self.page_builders:
            return self.page_builders
        return max(1, os.cpu_count() or 1) if self.is_sqlite else 8

    def resolved_web_workers(self) -> int:
        return self.web_workers or max(1, min(os.cpu_count() or 1, 4))

    @property
    def public_generation_path(self) -> Path:
        """The public cache's generation on one machine (without Redis): beside the queue."""
        return self.queue_path.with_name("public.generation")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def file_bytes_max(self) -> int:
        """The largest single file any kind accepts (checked per kind once the kind is known)."""
        return max(self.image_bytes_max, self.audio_bytes_max, self.video_bytes_max)

    def file_bytes_max_for(self, kind: str) -> int:
        """One file's limit for a kind (text takes no files: the image limit bounds the refusal)."""
        return {"audio": self.audio_bytes_max, "video": self.video_bytes_max}.get(
            kind, self.image_bytes_max
        )

    def request_bytes_max_for(self, kind: str) -> int:
        """One submission's limit for a kind: its files at their limit plus room for text."""
        files = self.images_max * self.image_bytes_max if kind in ("image", "text") else (
            self.file_bytes_max_for(kind)
        )
        return files + 1024 * 1024

    @property
    def request_bytes_max(self) -> int:
        """Hard cap on one submission's body: the largest kind at its limit plus room for text."""
        files = max(self.images_max * self.image_bytes_max, self.audio_bytes_max,
                    self.video_bytes_max)
        return files + 1024 * 1024

    def resolved_secret_key(self) -> str:
        """The configured secret, or in development one generated once and kept under ./var/."""
        if self.secret_key:
            return self.secret_key
        path = VAR_DIR / "secret_key"
        if path.exists():
            return path.read_text().strip()
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
