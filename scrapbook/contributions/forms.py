"""Strict multipart parsing for submissions: hard byte caps while streaming, UTF-8 or nothing."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from scrapbook.contributions.limits import intake_slot, receiving_slot
from scrapbook.contributions.schemas import ContributionCreate
from scrapbook.core.config import Settings
from scrapbook.core.errors import (
    ErrorCode,
    InvalidInput,
    ScrapbookError,
    TooLarge,
    UnsupportedMedia,
)
from scrapbook.core.openapi import limit
from scrapbook.core.units import limit_words
from scrapbook.media.service import staging_dir
from scrapbook.vocabulary import LICENCES, REGIONS, Form, Kind

T = TypeVar("T")

_KINDS = frozenset(k.value for k in Kind)
SINGLE_FIELDS = (
    "kind",
    "form",
    "title",
    "body",
    "region",
    "content_warning",
    "display_name",
    "licence",
    "consent",
    "contact_email",
    "website",
    "transcript",
    "upload_id",
)


_FILE_NOUNS = {"audio": "sound file", "video": "video"}


@dataclass
class _Caps:
    """Byte limits while streaming: the largest of any kind until the `kind` field arrives,
    then that kind's own (browsers send fields in form order, kind first)."""

    file: int
    request: int
    noun: str = "file"


class _StrictParser(MultiPartParser):
    """Starlette's parser, but invalid UTF-8 is refused and each file is capped as it streams."""

    def __init__(self, request: Request, settings: Settings) -> None:
        self._caps = _Caps(settings.file_bytes_max, settings.request_bytes_max)
        super().__init__(
            request.headers,
            _capped_stream(request, self._caps, settings),
            max_files=settings.images_max,
            max_fields=settings.form_fields_max,
            max_part_size=settings.form_field_bytes_max,
        )
        self._settings = settings
        self._file_bytes = 0
        self.staged: list[Path] = []

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        upload = self._current_part.file
        if upload is not None:
            # Straight into the staging folder on the storage's disk, not a spooled temporary
            # file (in memory, or in a /tmp that may be RAM) copied there afterwards.
            folder = staging_dir(self._settings)
            folder.mkdir(parents=True, exist_ok=True)
            upload.file.close()
            staged = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed with the form)
                dir=folder, prefix="upload-", delete=False
            )
            self.staged.append(Path(staged.name))
            self._files_to_close_on_error.append(staged)  # type: ignore[arg-type]
            upload.file = staged  # type: ignore[assignment]

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self._caps.file:
                raise TooLarge(
                    f"Each {self._caps.noun} may be at most {limit_words(self._caps.file)}.",
                    code=ErrorCode.file_too_large, field="files",
                )
        super().on_part_data(data, start, end)

    def on_part_end(self) -> None:
        if self._current_part.file is None:
            try:
                value = bytes(self._current_part.data).decode("utf-8")
            except UnicodeDecodeError as exc:
                name = self._current_part.field_name or "a field"
                raise InvalidInput(
                    f"The field '{name}' is not valid UTF-8 text.", code=ErrorCode.invalid_text,
                    field=self._current_part.field_name or None,
                ) from exc
            if self._current_part.field_name == "kind" and value in _KINDS:
                self._caps.file = self._settings.file_bytes_max_for(value)
                self._caps.request = self._settings.request_bytes_max_for(value)
                self._caps.noun = _FILE_NOUNS.get(value, "image")
        super().on_part_end()


class RequestTimeout(ScrapbookError):
    status_code = 408
    code = ErrorCode.request_timeout


async def _capped_stream(
    request: Request, caps: _Caps, settings: Settings
) -> AsyncGenerator[bytes, None]:
    """The body, capped in bytes and in patience: a client that stalls, or trickles slower
    than a poor mobile connection, is told so instead of holding the server's resources."""
    seen = 0
    started = time.monotonic()
    chunks = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(anext(chunks), timeout=settings.body_idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise RequestTimeout(
                f"Nothing arrived for {settings.body_idle_seconds:g} seconds; please send it "
                "again (a resumable upload survives a poor connection)."
            ) from None
        seen += len(chunk)
        if seen > caps.request:
            raise TooLarge(f"The submission is larger than {limit_words(caps.request)} in all.")
        elapsed = time.monotonic() - started
        if elapsed > settings.body_grace_seconds and seen / elapsed < settings.body_min_rate:
            raise RequestTimeout(
                "The upload is arriving too slowly to finish; please send it again (a resumable "
                "upload survives a poor connection)."
            )
        yield chunk


FORM_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "form", "consent"],
                    "properties": {
                        # A blank field is a field not given (null has no form encoding).
                        **{name: {"type": ["string", "null"]} for name in SINGLE_FIELDS},
                        "kind": {"type": "string", "enum": [k.value for k in Kind]},
                        "form": {"type": "string", "enum": [f.value for f in Form]},
                        "region": {"type": ["string", "null"], "enum": [*REGIONS, "", None]},
                        "licence": {"type": ["string", "null"], "enum": [*LICENCES, "", None]},
                        "title": {"type": ["string", "null"], **limit("title_max")},
                        "body": {"type": ["string", "null"], **limit("body_max")},
                        "display_name": {"type": ["string", "null"], **limit("display_name_max")},
                        "content_warning": {"type": ["string", "null"],
                                            **limit("content_warning_max")},
                        "transcript": {"type": ["string", "null"], **limit("transcript_max")},
                        "contact_email": {"type": ["string", "null"], "format": "email"},
                        "consent": {"type": "boolean", "enum": [True],
                                    "description": "Agreement to the guidelines: must be true."},
                        "channel": {"type": "string", "enum": ["email", "post", "social"],
                                    "description": "moderators only"},
                        "tags": {"type": "array", **limit("tags_max"),
                                 "items": {"type": "string", **limit("tag_max")}},
                        "alt_text": {"type": "array", **limit("images_max"),
                                     "items": {"type": "string", **limit("alt_text_max")}},
                        "files": {"type": "array", **limit("images_max"),
                                  "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        },
    }
}


@dataclass
class SubmittedForm:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadFile] = field(default_factory=list)
    staged: list[Path] = field(default_factory=list)  # every file part, removed on close

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def many(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def file_objects(self) -> list[BinaryIO]:
        """The uploads as plain files (in the staging folder), for worker threads."""
        return [upload.file for upload in self.files]

    async def close(self) -> None:
        for upload in self.files:
            await upload.close()
        for path in self.staged:
            path.unlink(missing_ok=True)


async def read_submission(request: Request, settings: Settings) -> SubmittedForm:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise UnsupportedMedia(
            "Send the contribution as multipart/form-data.", code=ErrorCode.unsupported_content_type
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.request_bytes_max:
        raise TooLarge(
            f"The submission is larger than {limit_words(settings.request_bytes_max)} in all."
        )
    parser = _StrictParser(request, settings)
    try:
        form = await parser.parse()
    except BaseException as exc:
        for path in parser.staged:  # nothing of a refused form stays on disk
            path.unlink(missing_ok=True)
        if isinstance(exc, MultiPartException):
            raise InvalidInput(
                f"The form could not be read: {exc.message}", code=ErrorCode.invalid_form
            ) from exc
        raise
    out = SubmittedForm(staged=parser.staged)
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name == "files" and (value.filename or value.size):
                out.files.append(value)
            else:
                await value.close()
        else:
            out.fields.setdefault(name, []).append(value)
    return out


def parse_create(form: SubmittedForm, settings: Settings) -> ContributionCreate:
    # An empty field is a field left blank: the same as not sending it (so defaults apply).
    raw: dict[str, object] = {name: form.one(name) for name in SINGLE_FIELDS if form.one(name)}
    raw["tags"] = tags = form.many("tags")
    raw["alt_text"] = alt_texts = form.many("alt_text")
    if len(tags) > settings.tags_max:
        raise InvalidInput(f"At most {settings.tags_max} tags, please.",
            code=ErrorCode.too_many_tags, field="tags")
    if len(alt_texts) > settings.images_max:
        raise InvalidInput(
            "There are more image descriptions than images.",
            code=ErrorCode.alt_text_mismatch, field="alt_text"
        )
    try:
        return ContributionCreate.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "form"
        raise InvalidInput(
            f"{field}: {err['msg']}", code=ErrorCode.invalid_input, field=field
        ) from exc


async def take_submission(
    request: Request,
    settings: Settings,
    accept: Callable[[ContributionCreate, SubmittedForm], T],
) -> T:
    """Every multipart submission, the web form's and a moderator's alike: a receiving place
    for this client while the body arrives, then the form parsed, then `accept` run in a
    worker thread holding one of the intake slots (taken only once the body is in). The
    staged files are removed whatever happens."""
    async with receiving_slot(request):
        form = await read_submission(request, settings)
    try:
        data = parse_create(form, settings)
        async with intake_slot(request):
            return await run_in_threadpool(accept, data, form)
    finally:
        await form.close()

