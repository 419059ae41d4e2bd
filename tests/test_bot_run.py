"""`scamguard run` end to end over real HTTP on 127.0.0.1: long polling against the fake Bot
API server, webhook mode with the secret-token header, and clear settings errors."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import aiohttp
import pytest

from bot.cli import main
from bot.commands.run import serve
from bot.settings import HttpAddress
from tests.fakes import FakeBotApi, FakeBotServer
from tests.fakes.updates import GROUP_ID, group, message, message_update, person

OTP = "Send me the 6-digit code you just received"
CAROL = person(2001, "Carol", "carol")


@contextlib.asynccontextmanager
async def running(settings, services):
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@pytest.mark.e2e
async def test_polling_processes_queued_updates(settings, services, fake_server: FakeBotServer,
                                                fake_api: FakeBotApi):
    """The bot long-polls the fake server, acts on a scam and confirms the update."""
    settings = replace(settings, api_url=fake_server.base_url)
    fake_api.add_update(message_update(message(group(), CAROL, OTP)))
    async with running(settings, services):
        await fake_api.wait_for("deleteMessage")
        await fake_api.wait_for("sendMessage")
    polls = fake_api.calls("getUpdates")
    assert set(polls[0].params["allowed_updates"]) >= {"message", "chat_member",
                                                       "callback_query"}
    assert fake_api.pending_updates == []
    assert len(await services.storage.list_incidents(GROUP_ID)) == 1


async def _post(url: str, body: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    async with aiohttp.ClientSession() as session, session.post(
        url, json=body, headers=headers
    ) as response:
        return response.status


@pytest.mark.e2e
async def test_webhook_checks_the_secret_and_processes_updates(
    settings, services, fake_server: FakeBotServer, fake_api: FakeBotApi, unused_tcp_port
):
    """Webhook: registered with its secret, wrong header 403, bad body 400, /healthz 200."""
    settings = replace(
        settings, api_url=fake_server.base_url, mode="webhook",
        webhook_url="https://bot.example/telegram", webhook_secret="s3cret-token",
        http=HttpAddress("127.0.0.1", unused_tcp_port),
    )
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    update = {"update_id": 1, **message_update(message(group(), CAROL, OTP))}
    async with running(settings, services):
        await fake_api.wait_for("setWebhook")
        for _ in range(50):
            with contextlib.suppress(aiohttp.ClientConnectionError):
                assert await _post(url, update, "wrong") == 403
                break
            await asyncio.sleep(0.05)
        assert await _post(url, update, None) == 403
        assert fake_api.calls("deleteMessage") == []
        assert await _post(url, update, "s3cret-token") == 200
        await fake_api.wait_for("deleteMessage")
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=b"{not json",
                                    headers={"X-Telegram-Bot-Api-Secret-Token":
                                             "s3cret-token"}) as response:
                assert response.status == 400
            async with session.get(f"http://127.0.0.1:{unused_tcp_port}/healthz") as response:
                assert response.status == 200
                assert (await response.json())["rules"] == services.rules.digest
    hook = fake_api.calls("setWebhook")[0].params
    assert hook["url"] == "https://bot.example/telegram"
    assert hook["secret_token"] == "s3cret-token"
    assert fake_api.calls("getUpdates") == []


@pytest.mark.parametrize(
    ("env", "message_part"),
    [
        ({}, "SCAMGUARD_TOKEN is not set"),
        ({"SCAMGUARD_TOKEN": "not-a-token"}, "does not look like a bot token"),
        ({"SCAMGUARD_TOKEN": "123456789:TESTtokenTESTtokenTESTtokenTESTtoken00",
          "SCAMGUARD_MODE": "webhook"}, "SCAMGUARD_WEBHOOK_URL"),
    ],
    ids=["missing", "malformed", "webhook-without-url"],
)
def test_run_reports_bad_settings_clearly(monkeypatch, capsys, env, message_part):
    """A missing or malformed token or webhook setting exits 1 with a clear message."""
    for name in ("SCAMGUARD_TOKEN", "SCAMGUARD_MODE", "SCAMGUARD_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 1
    assert message_part in capsys.readouterr().err


@pytest.mark.parametrize(
    ("token", "api_url", "error"),
    [
        ("987654321:WRONGtokenWRONGtokenWRONGtokenWRONG00", None, "Telegram refused"),
        (None, "http://127.0.0.1:9/bot", "cannot reach the Bot API"),
    ],
    ids=["token-refused", "api-unreachable"],
)
async def test_startup_failures_are_clear_errors(settings, services, fake_server, token,
                                                 api_url, error):
    """A token Telegram refuses (401) or an unreachable API stops `run` with a clear error."""
    from bot.errors import ScamguardError

    settings = replace(settings, token=token or settings.token,
                       api_url=api_url or fake_server.base_url)
    with pytest.raises(ScamguardError, match=error) as raised:
        await serve(settings, asyncio.Event(), services=services)
    assert settings.token not in str(raised.value)


@pytest.mark.e2e
async def test_polling_end_to_end_group_flows(settings, services, fake_server: FakeBotServer,
                                              fake_api: FakeBotApi):
    """Over real HTTP: a join by an admin look-alike, a /report of a scam, and an admin's
    "Not a scam" press that lifts the restriction."""
    from tests.fakes import BOT_ID
    from tests.fakes.updates import callback_update, chat_member_update

    await services.storage.update_chat_settings(GROUP_ID, None, scam_action="restrict")
    services.warn_interval = 0.0  # no aggregation: each flow posts its own warning
    settings = replace(settings, api_url=fake_server.base_url)
    impostor = person(3001, "Alice Admin", "alice_adm1n")
    target = message(group(), CAROL, OTP)
    fake_api.add_update(chat_member_update(group(), impostor))
    fake_api.add_update(message_update(message(
        group(), person(2002, "Dave"), "/report", reply_to=target,
        entities=[{"type": "bot_command", "offset": 0, "length": 7}])))
    async with running(settings, services):
        await fake_api.wait_for("restrictChatMember", 2)
        await fake_api.wait_for("sendMessage", 2)
        warning = next(c for c in fake_api.calls("sendMessage")
                       if "reply_markup" in c.params and c.params["chat_id"] == GROUP_ID
                       and "not an admin" not in c.params["text"])
        data = warning.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        shown = message(group(), person(BOT_ID, "Scamguard", is_bot=True), "warning")
        fake_api.add_update(callback_update(person(1001, "Alice", "alice_admin"), shown, data))
        await fake_api.wait_for("restrictChatMember", 3)
        await fake_api.wait_for("answerCallbackQuery")
    restricted = [c.params["user_id"] for c in fake_api.calls("restrictChatMember")]
    # The join and the report are processed concurrently, so their order may vary.
    assert sorted(restricted[:2]) == sorted([impostor["id"], CAROL["id"]])
    assert restricted[2] == CAROL["id"]
    assert fake_api.calls("restrictChatMember")[-1].params["permissions"]["can_send_messages"]
    assert [c.params["message_id"] for c in fake_api.calls("deleteMessage")] == [
        target["message_id"]]


@pytest.mark.e2e
async def test_graceful_stop_posts_warnings_in_flight_and_held_back(
    settings, services, fake_server: FakeBotServer, fake_api: FakeBotApi
):
    """Stopping while the first warning waits on Telegram and two more wait for the interval:
    the stop waits for the first, posts the rest as one summary, and every incident ends
    with "warn" recorded."""
    settings = replace(settings, api_url=fake_server.base_url)
    gate = fake_api.hold("sendMessage")
    for n in range(3):
        fake_api.add_update(message_update(message(group(), CAROL, OTP, message_id=50 + n)))
    async with running(settings, services):
        await fake_api.wait_for("deleteMessage", 3)
        await fake_api.wait_for("sendMessage")
        # Telegram answers only once the stop has begun.
        asyncio.get_running_loop().call_later(0.2, gate.set)
    texts = fake_api.sent_texts(GROUP_ID)
    assert len(texts) == 2 and "2 scam messages" in texts[1]
    for incident in await services.storage.list_incidents(GROUP_ID):
        assert {a.action: a.ok for a in incident.actions}.get("warn") is True


@pytest.mark.e2e
async def test_webhook_shutdown_refuses_new_updates_and_handles_accepted_ones(
    settings, services, fake_server: FakeBotServer, fake_api: FakeBotApi, unused_tcp_port
):
    """Once a stop begins, webhook updates get 503 (Telegram retries them), every update
    answered 200 is handled, and the stop ends instead of waiting forever."""
    settings = replace(settings, api_url=fake_server.base_url, mode="webhook",
                       webhook_url="https://bot.example/telegram", webhook_secret="s3cret",
                       http=HttpAddress("127.0.0.1", unused_tcp_port))
    url = f"http://127.0.0.1:{unused_tcp_port}/telegram"
    fake_api.delay("deleteMessage", 1.0, times=1)  # keeps the first update in flight
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    await fake_api.wait_for("setWebhook")

    def update(n: int) -> dict:
        return {**message_update(message(group(), CAROL, OTP, message_id=100 + n)),
                "update_id": n}

    first = 0
    for _ in range(100):
        with contextlib.suppress(aiohttp.ClientConnectionError):
            first = await _post(url, update(1), "s3cret")
            break
        await asyncio.sleep(0.05)
    await fake_api.wait_for("deleteMessage")
    stop.set()
    await asyncio.sleep(0.2)  # the stop waits for the first update's delayed deletion
    late = await _post(url, update(2), "s3cret")
    await asyncio.wait_for(task, 10)
    deleted = sorted(c.params["message_id"] for c in fake_api.calls("deleteMessage"))
    incidents = await services.storage.list_incidents(GROUP_ID)
    assert (first, late) == (200, 503)
    assert deleted == [101]
    assert [i.message_id for i in incidents] == [101]
