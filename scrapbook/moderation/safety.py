"""A first, deliberately simple signal that someone may be at risk, so moderators see it first.

It is a prompt for a human, never a decision: false positives only move an item up the queue.
"""

from __future__ import annotations

import re

_PHRASES = [
    r"kill(ing)? my ?self",
    r"end(ing)? (it all|my life|things)",
    r"suicid\w*",
    r"take my (own )?life",
    r"self[- ]?harm\w*",
    r"hurt(ing)? my ?self",
    r"cut(ting)? my ?self",
    r"overdose",
    r"(don'?t|do not) want to (be here|live|wake up)",
    r"no (reason|point) (to|in) (live|living|go on|going on)",
    r"better off without me",
    r"can'?t go on",
    r"want to die",
]
_PATTERN = re.compile(r"\b(" + "|".join(_PHRASES) + r")\b", re.IGNORECASE)


def suggests_risk(*texts: str | None) -> bool:
    return any(text and _PATTERN.search(text) for text in texts)
