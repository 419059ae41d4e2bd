"""A worker whose update queue is full answers a webhook call 503 with Retry-After (Telegram,
or the load balancer, delivers it again) instead of failing with a server error, and every
update it answered 200 is handled."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import aiohttp
import pytest

from bot.commands.run import serve
from bot.settings import HttpAddress
from tests.fakes import FakeBotApi, FakeBotServer
from tests.fakes.updates import group, message, message_update, person

SCAM = "Send me the 6-digit code you just received"


@pytest.mark.e2e
async def test_full_queue_answers_503_and_loses_nothing(
    settings, services, fake_server: FakeBotServer, fake_api: FakeBotApi, unused_tcp_port
):
    """With every handler stuck on Telegram, new deliveries get 503 once the queue is full;
    delivered again later they are all handled, one incident each."""
    settings = replace(
        settings, api_url=fake_server.base_url, mode="webhook",
        webhook_url="https://bot.example/telegram", webhook_secret="s3cret-token",
        http=HttpAddress("127.0.0.1", unused_tcp_port),
    )
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
    gate = fake_api.hold("deleteMessage", times=1000)
    updates = [{"update_id": n + 1,
                **message_update(message(group(), person(3000 + n, f"M{n}"), SCAM))}
               for n in range(200)]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    refused: list[dict] = []
    try:
        await fake_api.wait_for("setWebhook")
        async with aiohttp.ClientSession() as session:
            for update in updates:
                for _ in range(50):
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        async with session.post(url, json=update, headers=headers) as response:
                            if response.status == 503:
                                assert response.headers["Retry-After"]
                                refused.append(update)
                            else:
                                assert response.status == 200
                        break
                    await asyncio.sleep(0.05)
            assert refused, "the queue never filled"
            gate.set()
            for update in refused:
                while True:
                    async with session.post(url, json=update, headers=headers) as response:
                        if response.status == 200:
                            break
                    await asyncio.sleep(0.05)
        await fake_api.wait_for("deleteMessage", 200, within=30)
    finally:
        gate.set()
        stop.set()
        await asyncio.wait_for(task, 30)
    assert len(await services.storage.list_incidents(None, limit=None)) == 200
