"""The one Settings class: every path, secret and limit lives here."""

from __future__ import annotations

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

    # Images.
    images_max: int = 6
    image_bytes_max: int = Field(default=20 * 1024 * 1024, gt=0)
    image_pixels_max: int = Field(default=40_000_000, gt=0)
    display_edge: int = 2048
    thumb_edge: int = 640
    image_workers: int = Field(default=2, ge=1)  # images decoded at once, across all requests
    # Submissions being received and processed at once; others wait, then get a 503.
    intake_concurrency: int = Field(default=4, ge=1)
    intake_wait_seconds: float = Field(default=30, ge=0)

    # Abuse limits: submissions per client per hour, sign-in failures per window.
    submissions_per_hour: int = 10
    reports_per_hour: int = 20  # visitor reports (contributions, out-of-date services)
    signin_failures_max: int = 5
    signin_window_seconds: int = 900

    # Behind a reverse proxy: the addresses allowed to set X-Forwarded-For/-Proto (e.g.
    # "127.0.0.1"); unset means the app is reached directly and such headers are ignored.
    forwarded_allow_ips: str | None = None

    # Moderator sessions.
    session_hours: int = 12

    # Gallery paging.
    page_default: int = 24
    page_max: int = 100

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if len(self.secret_key) < 32:
                raise ValueError(
                    "SCRAPBOOK_SECRET_KEY must be at least 32 random characters in production"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def request_bytes_max(self) -> int:
        """Hard cap on one submission's body: every image at its limit plus room for text."""
        return self.images_max * self.image_bytes_max + 1024 * 1024

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
