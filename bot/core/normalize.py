"""Text normalisation before matching (placeholder: NFKC + casefold; to be completed)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PreparedText:
    raw: str
    folded: str
    skeleton: str


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def skeleton(text: str) -> str:
    return fold(text)


def prepare(text: str) -> PreparedText:
    f = fold(text)
    return PreparedText(text, f, f)
