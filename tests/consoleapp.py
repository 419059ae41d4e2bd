"""The web console served for tests: the real application (on the in-process fake Bot API)
and the real web app of `build_web_app()` on 127.0.0.1, with a small corpus directory."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from telegram.ext import Application

from bot.app import build_application, build_web_app
from bot.console import CONSOLE_KEY, ConsoleState
from bot.core.model import Hit, Severity
from bot.settings import HttpAddress, Settings
from bot.wiring.services import Services
from tests.conftest import fake_builder
from tests.fakes import FakeBotApi

HTTP_TOKEN = "console-secret-token-0123456789"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SCAM = "Please send me your 12-word recovery phrase to verify your wallet, DM @wallet_help_desk"
SAFE = "Reminder: the meetup starts at 7pm, see you at the usual place"
TRAIN_SCAM = "Send your seed phrase to our support agent to unlock your withdrawal now"
TRAIN_HAM = "Never share your seed phrase with anyone, admins will never DM you first"
BLIND_SCAM = "BLINDLINE validate your wallet by entering the 24 recovery words at our form"
BLIND_HAM = "BLINDLINE the cake recipe needs three eggs and some flour"
GROUP = -100123


def write_corpus(root: Path) -> Path:
    """train/ and blind/ with two lines each (one of each label)."""
    for split, lines in (("train", (TRAIN_SCAM, TRAIN_HAM)), ("blind", (BLIND_SCAM, BLIND_HAM))):
        folder = root / split
        folder.mkdir(parents=True)
        rows = [
            {"text": lines[0], "label": "scam", "lang": "en", "category": "key_request"},
            {"text": lines[1], "label": "ham", "lang": "en", "category": "safety_warning"},
        ]
        (folder / "en.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return root


@dataclass
class Console:
    app: Application  # type: ignore[type-arg]
    client: TestClient  # type: ignore[type-arg]
    services: Services
    api: FakeBotApi
    state: ConsoleState

    @property
    def base(self) -> str:
        return str(self.client.make_url("")).rstrip("/")

    async def login(self, token: str = HTTP_TOKEN) -> None:
        async with self.client.post("/console/login", data={"token": token},
                                    allow_redirects=False) as response:
            assert response.status == 303, await response.text()

    async def page(self, path: str) -> tuple[int, str]:
        async with self.client.get(path, allow_redirects=False) as response:
            return response.status, await response.text()

    async def csrf(self, path: str = "/console/check") -> str:
        status, text = await self.page(path)
        assert status == 200, text
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        assert found, text
        return found.group(1)

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True
                   ) -> tuple[int, str, str | None]:
        form = dict(data)
        if csrf:
            form["csrf"] = await self.csrf()
        async with self.client.post(path, data=form, allow_redirects=False) as response:
            return response.status, await response.text(), response.headers.get("Location")


async def add_incident(services: Services, text: str, *, chat_id: int = GROUP,
                       message_id: int = 1, verdict: str = "scam", sender: int = 4242,
                       category: str = "key_request", action: str | None = None) -> int:
    hit = Hit("key-request.seed-phrase", category, Severity.CRITICAL,
              "asks for a wallet recovery phrase")
    incident = await services.storage.add_incident(
        chat_id, message_id, sender, verdict, 0.97 if verdict == "scam" else 0.6, [hit], text)
    if action is not None:
        await services.storage.record_action(incident, action, True)
    return incident


@asynccontextmanager
async def serve_console(settings: Settings, services: Services, api: FakeBotApi,
                        corpus: Path) -> AsyncIterator[Console]:
    """The started application and its web app with SCAMGUARD_HTTP_TOKEN set."""
    settings = replace(settings, http=HttpAddress("127.0.0.1", 0), http_token=HTTP_TOKEN,
                       corpus_dir=corpus)
    app = build_application(settings, services, builder=fake_builder(api))
    await app.initialize()
    await app.start()
    web_app: web.Application = build_web_app(app, settings)
    client = TestClient(TestServer(web_app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Console(app, client, services, api, web_app[CONSOLE_KEY])
    finally:
        await client.close()
        if app.running:
            await app.stop()
        await app.shutdown()
