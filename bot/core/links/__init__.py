"""Link intelligence (placeholder interface; to be completed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.links.brands import Brand
from bot.core.model import Anchor, ChatContext, Hit

if TYPE_CHECKING:
    from bot.core.detector import Message


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    host: str
    source: str = "text"


@dataclass(frozen=True)
class LinkData:
    brands: tuple[Brand, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        return ()


def load_link_data(rules_dir: Path) -> LinkData:
    return LinkData()


def extract_links(
    text: str, urls: Sequence[str] = (), anchors: Sequence[Anchor] = ()
) -> tuple[Link, ...]:
    return tuple(Link(u, "") for u in urls)
