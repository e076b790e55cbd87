"""Rate-limit hits when the database is the shared store (scrapbook.core.ratelimit). The
bucket is a limit's name and a keyed client hash (never an address); `at` is seconds since
the epoch, kept at most a day."""

from sqlmodel import Field, SQLModel


class RateHit(SQLModel, table=True):
    __tablename__ = "rate_hit"

    pk: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=200, index=True)
    at: float = Field(index=True)
