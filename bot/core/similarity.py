"""Near-duplicates of known scam messages (placeholder; to be completed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.model import ChatContext, Hit

if TYPE_CHECKING:
    from bot.core.detector import Message


@dataclass(frozen=True)
class SampleIndex:
    texts: tuple[str, ...] = ()

    @classmethod
    def from_texts(cls, texts: Sequence[str], source: str = "runtime") -> SampleIndex:
        return cls(tuple(texts))

    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        return ()


def load_samples(rules_dir: Path) -> SampleIndex:
    return SampleIndex()
