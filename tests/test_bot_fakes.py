"""The fake Bot API itself answers as Telegram does, over HTTP and in process."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from tests.fakes import TOKEN, FakeBotApi, FakeBotServer, FakeRequest
from tests.fakes.updates import GROUP_ID, group, message, message_update, person


def fake_bot(api: FakeBotApi, read_timeout: float = 5.0) -> Bot:
    """A Bot whose every request, getUpdates included, goes to the in-process fake."""
    return Bot(TOKEN, request=FakeRequest(api, read_timeout),
               get_updates_request=FakeRequest(api, read_timeout))


async def test_http_answers_ok_result_and_rejects_a_wrong_token(fake_server: FakeBotServer):
    """getMe answers {"ok": true, "result": ...}; another token gets 401."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake_server.base_url}{TOKEN}/getMe") as response:
            body = await response.json()
            assert response.status == 200 and body["ok"] is True
            assert body["result"]["is_bot"] is True
        async with session.post(f"{fake_server.base_url}1:wrong/getMe") as response:
            assert response.status == 401 and (await response.json())["ok"] is False


async def test_ptb_over_http_sees_telegram_errors(fake_server: FakeBotServer, fake_api):
    """Through real HTTP, PTB raises the error classes Telegram's answers map to."""
    fake_api.fail("sendMessage", 400, "Bad Request: chat not found")
    fake_api.fail("deleteMessage", 429, retry_after=3)
    fake_api.block(42)
    async with Bot(TOKEN, base_url=fake_server.base_url) as bot:
        with pytest.raises(BadRequest, match="hat not found"):
            await bot.send_message(GROUP_ID, "hi")
        with pytest.raises(RetryAfter):
            await bot.delete_message(GROUP_ID, 1)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(42, "hi")
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("noSuchMethod")
    assert [c.method for c in fake_api.calls()][-4:] == [
        "sendMessage", "deleteMessage", "sendMessage", "noSuchMethod"]


async def test_in_process_request_times_out_slow_answers():
    """A delayed answer beyond the read timeout raises TimedOut, as a slow server would."""
    api = FakeBotApi()
    api.delay("sendMessage", 0.5)
    async with fake_bot(api, 0.05) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(GROUP_ID, "hi")


async def test_get_updates_serves_the_queue_and_confirms_by_offset():
    """getUpdates returns queued updates; a later offset confirms them."""
    api = FakeBotApi()
    first = api.add_update(message_update(message(group(), person(7, "A"), "one")))
    api.add_update(message_update(message(group(), person(7, "A"), "two")))
    async with fake_bot(api) as bot:
        updates = await bot.get_updates(timeout=0)
        assert [u.message.text for u in updates] == ["one", "two"]
        assert len(api.pending_updates) == 2
        await bot.get_updates(offset=first + 2, timeout=0)
    assert api.pending_updates == []


@pytest.mark.parametrize(
    ("rights", "method", "error"),
    [
        ({"can_delete_messages": False}, "delete_message", "can't be deleted"),
        ({"can_restrict_members": False}, "ban_chat_member", "(?i)not enough rights"),
    ],
    ids=["delete", "ban"],
)
async def test_missing_rights_are_refused(rights, method, error):
    """Actions the bot has no right for fail with Telegram's 400 descriptions."""
    api = FakeBotApi()
    api.set_bot_rights(GROUP_ID, **rights)
    async with fake_bot(api) as bot:
        with pytest.raises(BadRequest, match=error):
            await getattr(bot, method)(GROUP_ID, 5)


async def test_chaos_injects_the_requested_share_of_faults():
    """chaos(0.5) fails about half of the calls with 502, 429 or slow answers."""
    api = FakeBotApi()
    api.chaos(0.5, seed=3, timeout_delay=0.2)
    failures = 0
    async with fake_bot(api, 0.1) as bot:
        for _ in range(40):
            try:
                await bot.send_message(GROUP_ID, "hi")
            except (NetworkError, RetryAfter):
                failures += 1
    assert failures == len(api.injected)
    assert 10 <= failures <= 30
    assert {kind for _, kind in api.injected} == {"5xx", "429", "timeout"}
