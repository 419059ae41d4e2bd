"""Logging of a running bot: plain text or one JSON object per line (SCAMGUARD_LOG_JSON),
with a filter that removes the bot token and other secrets from every record.

Message texts are never logged by scamguard's own code; the libraries that could log them
(PTB and aiosqlite at DEBUG log whole updates and SQL parameters, httpx logs request URLs
with the token) are held to WARNING."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from bot.settings import Settings

REDACTED = "[redacted]"
# The token inside Bot API URLs (".../bot123:abc/getMe") and a bare token anywhere.
_URL_TOKEN_RE = re.compile(r"bot\d{3,20}:[A-Za-z0-9_-]+")
_TOKEN_RE = re.compile(r"\b\d{3,20}:[A-Za-z0-9_-]{30,64}\b")
# Libraries whose records can carry message texts or URLs with the token.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram", "apscheduler", "aiosqlite", "aiohttp.access")
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName",
}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without bot tokens (bare or in a URL) and without any of `secrets`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_TOKEN_RE.sub("bot" + REDACTED, text)
    return _TOKEN_RE.sub(REDACTED, text)


class RedactFilter(logging.Filter):
    """Rewrites each record's message, exception text and extra string fields with
    `redact`; attach it to handlers so records of every logger pass through it."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
            # Formatters would format exc_info again; the redacted text is what is shown.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_FIELDS and isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, exception and extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                out[key] = value if isinstance(value, (int, float, bool, type(None))) else str(
                    value)
        return json.dumps(out, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def make_handler(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """A stream handler with the redaction filter and the text or JSON format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactFilter([settings.token, settings.http_token,
                                    settings.webhook_secret]))
    handler.setFormatter(JsonFormatter() if settings.log_json else logging.Formatter(TEXT_FORMAT))
    return handler


def setup_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Configure the root logger from the settings (level, JSON or text) with secrets
    redacted; libraries that log URLs or updates are held to WARNING. Returns the handler."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_scamguard", False):
            root.removeHandler(old)
    handler = make_handler(settings, stream)
    handler._scamguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    quiet = max(logging.WARNING, logging.getLevelName(settings.log_level))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    return handler
