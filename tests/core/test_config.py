import pytest
from pydantic import ValidationError
from sqlalchemy import text

from scrapbook.core.config import Settings
from scrapbook.core.db import make_engine


def test_production_refuses_a_missing_or_weak_secret():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="")
    with pytest.raises(ValidationError):
        Settings(environment="production", secret_key="short")
    assert Settings(environment="production", secret_key="k" * 32).secret_key == "k" * 32


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SCRAPBOOK_IMAGE_BYTES_MAX", "1234")
    monkeypatch.setenv("SCRAPBOOK_SUBMISSIONS_PER_HOUR", "3")
    settings = Settings()
    assert settings.image_bytes_max == 1234 and settings.submissions_per_hour == 3
    monkeypatch.setenv("SCRAPBOOK_IMAGE_BYTES_MAX", "-1")
    with pytest.raises(ValidationError):
        Settings()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
