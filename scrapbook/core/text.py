"""Cleaning of every piece of text a person sends: plain text in, plain text out."""

from __future__ import annotations

import html
import re
import unicodedata

import bleach
from email_validator import EmailNotValidError, validate_email

from scrapbook.core.errors import ErrorCode, InvalidInput

# Zero-width characters and bidirectional overrides/isolates/marks, which can hide or
# reorder text ("Trojan source"); soft hyphen too.
# Lone surrogates (possible from JSON "\ud800") cannot be stored as UTF-8 either.
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff]"
)
# C0 and C1 controls except tab and newline (carriage returns are normalised first).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SINGLE_LINE_SPACE = re.compile(r"\s+")


def clean_text(value: str, *, field: str, max_len: int, multiline: bool = False) -> str:
    """NFC, no control/invisible characters, no HTML markup; whitespace kept for multiline text.

    Raises InvalidInput for NUL bytes (a sign of binary junk) and for text over max_len.
    """
    if "\x00" in value:
        raise InvalidInput(
            f"{field} contains a NUL byte, which is not allowed in text.",
            code=ErrorCode.invalid_text, field=field
        )
    # The limit is on the text as sent (as the API description says), a line break counting
    # once however the browser sent it; checked before any work is done on the text.
    sent = len(value) - value.count("\r\n")
    if sent > max_len:
        raise InvalidInput(
            f"{field} is {sent} characters long; the limit is {max_len}.",
            code=ErrorCode.too_long, field=field
        )
    text = _INVISIBLE.sub("", value)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _strip_markup(text, field)
    if not multiline:
        text = _SINGLE_LINE_SPACE.sub(" ", text).strip()
    else:
        text = text.strip("\n").rstrip()
    if len(text) > max_len:
        raise InvalidInput(
            f"{field} is {len(text)} characters long; the limit is {max_len}.",
            code=ErrorCode.too_long, field=field
        )
    return text


def _strip_markup(text: str, field: str) -> str:
    """Plain text out: markup removed, entities decoded, until nothing changes.

    bleach strips tags and escapes the rest; decoding entities could reveal new markup
    ("&lt;script&gt;"), so strip again until the text is stable.
    """
    for _ in range(4):
        if "<" not in text and "&" not in text:
            return text
        cleaned = html.unescape(
            bleach.clean(text, tags=set(), attributes={}, strip=True, strip_comments=True)
        )
        if cleaned == text:
            return text
        text = cleaned
    raise InvalidInput(
        "This text hides markup too deeply to clean.", code=ErrorCode.invalid_text, field=field
    )


def clean_optional(
    value: str | None, *, field: str, max_len: int, multiline: bool = False
) -> str | None:
    if value is None:
        return None
    text = clean_text(value, field=field, max_len=max_len, multiline=multiline)
    return text or None


def clean_tags(values: list[str], *, max_count: int, max_len: int) -> list[str]:
    """Tags: comma-separated or repeated, lower-cased, '#' dropped, de-duplicated in order.

    Linear in the input, and it stops at the first tag past the limit: no work is done on the
    rest however much was sent."""
    tags: dict[str, None] = {}  # ordered, with constant-time membership
    for raw in values:
        for piece in raw.split(","):
            if not piece.strip():
                continue
            tag = clean_text(piece, field="tags", max_len=10 * max_len).lower().lstrip("#").strip()
            if not tag:
                continue
            if len(tag) > max_len:
                raise InvalidInput(
                    f"The tag '{tag[:20]}…' is longer than {max_len} characters.",
                    code=ErrorCode.too_long, field="tags",
                )
            tags[tag] = None
            if len(tags) > max_count:
                raise InvalidInput(
                    f"At most {max_count} tags, please.", code=ErrorCode.too_many_tags, field="tags"
                )
    return list(tags)


def has_hidden_characters(value: str) -> bool:
    """True when the text holds control or invisible characters (NUL included)."""
    return bool(_INVISIBLE.search(value) or _CONTROL.search(value))


def plain_email(value: str) -> str:
    """One plain e-mail address, normalised as `email-validator` returns it.

    Refuses anything else: display names ("<a@b.cc>"), mailto URLs and their parameters
    ("a@b.cc?subject=..."), lists. Deliverability is not checked (no DNS is consulted).
    Raises ValueError with a sentence that does not echo the input.
    """
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("must be an e-mail address") from None
