"""Logs: the token and other secrets never reach the output (bare, in Bot API URLs, in
exceptions, in httpx's request lines), message texts are not logged, and the JSON option
writes one object per line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bot.commands.run import serve
from bot.logs import QUIET_LOGGERS, REDACTED, RedactFilter, redact, setup_logging
from bot.settings import Settings
from bot.wiring.services import Services
from tests.conftest import CAROL
from tests.fakes import TOKEN, FakeBotApi, FakeBotServer
from tests.fakes.updates import group, message, message_update

SEED = "Please send me your 12-word recovery phrase to verify your wallet, DM @wallet_help_desk"
HTTP_TOKEN = "ops-http-token-abcdefghijklmnop"
WEBHOOK_SECRET = "webhook-secret-xyz_123"
SECRET_PART = TOKEN.split(":", 1)[1]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and the library loggers back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in (*QUIET_LOGGERS, "httpx")}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"POST https://api.telegram.org/bot{TOKEN}/getMe 200",
         f"POST https://api.telegram.org/bot{REDACTED}/getMe 200"),
        (f"http://127.0.0.1:8081/bot{TOKEN}/sendMessage",
         f"http://127.0.0.1:8081/bot{REDACTED}/sendMessage"),
        (f"token is {TOKEN}.", f"token is {REDACTED}."),
        (f"file/bot{TOKEN}/photos/1.jpg", f"file/bot{REDACTED}/photos/1.jpg"),
        (f"Bearer {HTTP_TOKEN}", f"Bearer {REDACTED}"),
        (f"secret={WEBHOOK_SECRET}&x=1", f"secret={REDACTED}&x=1"),
        ("meeting at 12:30 in room 4", "meeting at 12:30 in room 4"),
        ("chat -1001234567890 user 42", "chat -1001234567890 user 42"),
    ],
    ids=["url", "local-api-url", "bare-token", "file-url", "http-token", "webhook-secret",
         "clock-time", "ids"],
)
def test_redact(text, expected):
    """Tokens and configured secrets are replaced; ordinary numbers are left alone."""
    assert redact(text, [HTTP_TOKEN, WEBHOOK_SECRET]) == expected


def _logger_output(settings: Settings, log_json: bool) -> tuple[io.StringIO, logging.Logger]:
    stream = io.StringIO()
    setup_logging(replace(settings, log_json=log_json, http_token=HTTP_TOKEN,
                          webhook_secret=WEBHOOK_SECRET), stream)
    return stream, logging.getLogger("scamguard.test")


@pytest.mark.parametrize("log_json", [False, True], ids=["text", "json"])
def test_records_args_exceptions_and_extras_are_redacted(settings: Settings, restore_logging,
                                                        log_json):
    """Secrets in the arguments, an exception's message and extra fields are redacted in
    both output formats."""
    stream, log = _logger_output(settings, log_json)
    log.warning("calling %s with %s", f"https://api.telegram.org/bot{TOKEN}/getMe", HTTP_TOKEN)
    try:
        raise RuntimeError(f"connection to /bot{TOKEN}/getUpdates failed ({WEBHOOK_SECRET})")
    except RuntimeError:
        log.exception("request failed", extra={"url": f"bot{TOKEN}/x", "chat_id": -100})
    out = stream.getvalue()
    assert SECRET_PART not in out
    assert HTTP_TOKEN not in out
    assert WEBHOOK_SECRET not in out
    assert out.count(REDACTED) >= 4
    assert "RuntimeError" in out
    if log_json:
        first, second = (json.loads(line) for line in out.strip().splitlines())
        assert first["level"] == "WARNING" and first["logger"] == "scamguard.test"
        assert first["message"] == (f"calling https://api.telegram.org/bot{REDACTED}/getMe "
                                    f"with {REDACTED}")
        assert "RuntimeError" in second["exception"]
        assert second["chat_id"] == -100
        assert second["url"] == f"bot{REDACTED}/x"


def test_filter_does_not_break_bad_format_args(restore_logging):
    """A record whose arguments do not fit its format is still emitted, redacted."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items " + TOKEN, ("a",),
                               None)
    assert RedactFilter().filter(record)
    assert SECRET_PART not in record.getMessage()


async def test_httpx_request_lines_never_show_the_token(settings: Settings, restore_logging,
                                                        fake_server: FakeBotServer):
    """httpx logs each request URL (with the token) at INFO: held to WARNING by default,
    and redacted even when someone turns it up."""
    stream, _ = _logger_output(settings, log_json=False)
    url = f"{fake_server.base_url}{TOKEN}/getMe"
    async with httpx.AsyncClient() as client:
        assert (await client.post(url)).status_code == 200
    assert stream.getvalue() == ""
    logging.getLogger("httpx").setLevel(logging.INFO)
    async with httpx.AsyncClient() as client:
        assert (await client.post(url)).status_code == 200
    out = stream.getvalue()
    assert "getMe" in out
    assert f"bot{REDACTED}/getMe" in out
    assert SECRET_PART not in out


@pytest.mark.e2e
@pytest.mark.parametrize("log_json", [False, True], ids=["text", "json"])
async def test_a_running_bot_logs_neither_token_nor_message_texts(
    settings: Settings, services: Services, fake_server: FakeBotServer, fake_api: FakeBotApi,
    restore_logging, log_json,
):
    """The whole bot at DEBUG over loopback HTTP, acting on a scam and failing one call:
    the output has neither the token nor the scam's text."""
    settings = replace(settings, api_url=fake_server.base_url, log_level="DEBUG")
    stream, _ = _logger_output(settings, log_json)
    fake_api.fail("sendMessage", 400, "Bad Request: chat not found")
    fake_api.add_update(message_update(message(group(), CAROL, SEED)))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    try:
        await fake_api.wait_for("deleteMessage")
        await fake_api.wait_for("sendMessage")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    out = stream.getvalue()
    assert "warning in chat" in out
    assert SECRET_PART not in out
    assert "recovery phrase" not in out
    assert "wallet_help_desk" not in out
