"""What /api/meta and /api/health answer: the vocabularies, limits and helplines the website
needs, so the frontend copies no server defaults."""

from __future__ import annotations

from pydantic import BaseModel

from scrapbook.directory.schemas import Helpline


class Health(BaseModel):
    status: str
    version: str


class Named(BaseModel):
    code: str
    name: str


class LicenceOut(Named):
    explanation: str  # to the contributor choosing it
    visitor_explanation: str  # to a visitor reading a piece under it
    reusable: bool  # whether it lets others share the work (every CC licence does)
    url: str


class AcceptedImages(BaseModel):
    types: list[str]
    max_bytes: int
    max_pixels: int
    max_files: int


class AcceptedSound(BaseModel):
    types: list[str]
    max_bytes: int
    max_seconds: float
    max_files: int


class AcceptedVideo(AcceptedSound):
    max_long_edge: int
    max_short_edge: int
    max_fps: float


class Accepted(BaseModel):
    image: AcceptedImages
    audio: AcceptedSound
    video: AcceptedVideo


class Uploads(BaseModel):
    tus: str
    max_bytes: int


class Limits(BaseModel):
    title: int
    body: int
    display_name: int
    content_warning: int
    alt_text: int
    tags: int
    tag: int
    transcript: int


class Meta(BaseModel):
    kinds: list[str]
    forms: list[str]
    regions: list[Named]
    licences: list[LicenceOut]
    tags: list[str]
    accepted: Accepted
    uploads: Uploads
    limits: Limits
    prompts: list[str]
    helplines: list[Helpline]
    not_a_crisis_service: str
