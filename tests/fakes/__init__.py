"""Test doubles: a fake Telegram Bot API and raw update builders."""

from .botapi import BOT_ID, BOT_USERNAME, TOKEN, Call, FakeBotApi, user_json
from .transport import FakeBotServer, FakeRequest

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "FakeBotApi",
    "FakeBotServer",
    "FakeRequest",
    "user_json",
]
