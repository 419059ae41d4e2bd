"""Impersonation of admins and brands' support (placeholder; to be completed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.core.links.brands import Brand
from bot.core.model import ChatContext, Hit

if TYPE_CHECKING:
    from bot.core.detector import Message


class ImpersonationCheck:
    def __init__(self, brands: Sequence[Brand]) -> None:
        self.brands = tuple(brands)

    def __call__(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        return ()
