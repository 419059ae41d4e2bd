"""Secrets posted in the open: mnemonics and private keys (placeholder; to be completed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.core.model import ChatContext, Hit

if TYPE_CHECKING:
    from bot.core.detector import Message


def check_secrets(message: Message, context: ChatContext) -> Iterable[Hit]:
    return ()
