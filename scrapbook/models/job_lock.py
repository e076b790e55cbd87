"""A named lock held until a time: periodic jobs take it so N workers run them once."""

import datetime as dt

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class JobLock(SQLModel, table=True):
    __tablename__ = "job_lock"

    name: str = Field(primary_key=True, max_length=64)
    held_until: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
