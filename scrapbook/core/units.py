"""Sizes in words, one convention for the API and the website: 1 MB = 1,000,000 bytes,
1 kB = 1,000 bytes. A limit reads rounded down and a file's size rounded up, so a file over a
limit never reads as equal to it (the website's lib.js words them the same way)."""

from __future__ import annotations

import math


def limit_words(limit: int) -> str:
    if limit >= 1_000_000:
        return f"{limit // 1_000_000:,} MB"
    return f"{max(1, limit // 1_000):,} kB"


def size_words(size: int) -> str:
    if size >= 1_000_000:
        return f"{math.ceil(size / 100_000) / 10:g} MB"
    return f"{max(1, math.ceil(size / 1_000)):,} kB"
