"""Phrase and pattern rules (placeholder; the engine is being written)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.model import ChatContext, Hit

if TYPE_CHECKING:
    from bot.core.detector import Message


@dataclass(frozen=True)
class PatternRules:
    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        return ()


def load_pattern_rules(rules_dir: Path) -> PatternRules:
    return PatternRules()
