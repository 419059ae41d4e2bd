"""End to end over real HTTP on 127.0.0.1: `scamguard run` long-polls the fake Bot API server;
a private check, /evidence with its uploaded JSON file, and the automatic rules reload."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.commands.run import serve
from bot.core.ruleset import rules_digest
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from bot.wiring.services import Services
from rules import RULES_DIR
from tests.fakes import FakeBotApi, FakeBotServer
from tests.fakes.updates import message, message_update, origin_channel, person, private

USER = person(6001, "Linh", "linh_v", language_code="vi")
OPERATOR = person(9001, "Olga", "olga_ops", language_code="en")
SCAM_TEXT = ("Admin here. To unlock your account send me your 12-word recovery phrase "
             "at https://binance-unlock.top")


@contextlib.asynccontextmanager
async def running(settings: Settings, services: Services) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def command(sender: dict[str, Any], text: str) -> dict[str, Any]:
    name = text.split()[0]
    return message_update(message(private(sender), sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}]))


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def rules_holder(rules_copy: Path, rules_holder: RulesHolder) -> RulesHolder:
    """A holder of the copy (this module changes it), starting from the session's bundled
    rules when the copy is identical."""
    same = rules_digest(rules_copy) == rules_holder.digest
    return RulesHolder(rules_copy, active=rules_holder.active if same else None)


@pytest.mark.e2e
async def test_private_check_and_evidence_over_http(
    settings: Settings, services: Services, fake_server: FakeBotServer, fake_api: FakeBotApi
) -> None:
    """A forwarded scam gets a Vietnamese verdict; /evidence uploads the JSON file."""
    settings = replace(settings, api_url=fake_server.base_url)
    channel = {"id": -100777, "type": "channel", "title": "Binance Official", "username": "bnb_x"}
    fake_api.add_update(message_update(message(
        private(USER), USER, SCAM_TEXT, forward_origin=origin_channel(channel))))
    async with running(settings, services):
        await fake_api.wait_for("sendMessage")
        fake_api.add_update(command(USER, "/evidence"))
        await fake_api.wait_for("sendDocument")
    texts = services.rules.texts
    verdict, summary = fake_api.sent_texts(USER["id"])
    assert verdict.startswith(texts.raw("vi", "verdict.scam"))
    assert "kênh Binance Official (<code>@bnb_x</code>)" in verdict
    assert "Tóm tắt bằng chứng" in summary
    (doc,) = fake_api.calls("sendDocument")
    data = json.loads(doc.files["document"])
    assert data["verdict"] == "scam"
    assert data["indicators"]["forward_from"]["username"] == "bnb_x"
    assert data["report_to"]["region"] == "VN"
    assert fake_api.pending_updates == []


@pytest.mark.e2e
async def test_rules_reload_automatically(
    settings: Settings, services: Services, fake_server: FakeBotServer, fake_api: FakeBotApi,
    rules_copy: Path,
) -> None:
    """A running bot picks up a changed rules folder within seconds, and tells the operator
    once when a file is broken while keeping the last good texts."""
    settings = replace(settings, api_url=fake_server.base_url, rules_watch_seconds=0.1,
                       operators=frozenset({OPERATOR["id"]}))
    services.settings = settings
    en = rules_copy / "messages" / "en.yaml"
    async with running(settings, services):
        await fake_api.wait_for("getUpdates")
        en.write_text(en.read_text("utf-8").replace("I check messages for scams.",
                                                    "I check messages for scams, live."),
                      encoding="utf-8")
        # A reload reads the whole set, the learned model included: seconds on a busy machine.
        for _ in range(600):
            if "live." in services.rules.texts.raw("en", "private.start"):
                break
            await asyncio.sleep(0.05)
        assert "live." in services.rules.texts.raw("en", "private.start")

        en.write_text(en.read_text("utf-8").replace("<b>Scam.</b>", "<b>Scam."),
                      encoding="utf-8")
        (sent,) = await fake_api.wait_for("sendMessage", within=30.0)
        assert sent.params["chat_id"] == OPERATOR["id"]
        assert f"{en}:" in sent.params["text"]
        await asyncio.sleep(0.5)
    assert len(fake_api.calls("sendMessage")) == 1
    assert "live." in services.rules.texts.raw("en", "private.start")
    assert services.rules.texts.raw("en", "verdict.scam").startswith("⛔ <b>Scam.</b>")
