"""Warnings posted in the background, the "Not a scam" button on aggregated warnings, scams
posted on behalf of a channel, the chat settings cache and the flood limiter's scope: real
application, real rules and SQLite, the fake Bot API."""

from __future__ import annotations

import asyncio

import pytest

from bot.wiring.services import ChatSettingsCache
from handlers.group import MAX_CALLBACK_DATA, not_scam_data, parse_not_scam_data
from tests.conftest import ALICE, BOB, CAROL, DAVE, Harness
from tests.fakes import BOT_ID, TOKEN, FakeBotApi, FakeRequest
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    channel,
    group,
    message,
    message_update,
    person,
)

OTP = "Send me the 6-digit code you just received"
CLEAN = "hi all, the meetup is at 5pm on Friday"
BOT = person(BOT_ID, "Scamguard", is_bot=True)
SPAM_CHANNEL = channel(-100555, "Crypto Signals")
LINKED_CHANNEL = channel(-100777, "Group News")


def scam_from(sender: dict, **kwargs: object) -> dict:
    return message_update(message(group(), sender, OTP, **kwargs))


def press(sender: dict, data: str) -> dict:
    """A press on a button of one of the bot's warnings."""
    return callback_update(sender, message(group(), BOT, "warning"), data)


def button_data(call) -> str:
    return call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]


async def actions(h: Harness, incident_id: int) -> dict[str, bool]:
    incident = await h.services.storage.get_incident(incident_id)
    assert incident is not None
    return {a.action: a.ok for a in incident.actions}


# ---- warnings leave the handler at once --------------------------------------------------------


async def test_handler_does_not_wait_for_the_warning(harness: Harness):
    """With Telegram holding the warning, the update is handled (stored, deleted) anyway;
    "warn" is recorded once Telegram answers."""
    gate = harness.api.hold("sendMessage")
    async with asyncio.timeout(5):  # a guard: the handler must not block on the held call
        await harness.feed(scam_from(CAROL), settle=False)
        await harness.api.wait_for("sendMessage")
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert await actions(harness, incident.id) == {"delete": True}
    gate.set()
    await harness.flush()
    assert await actions(harness, incident.id) == {"delete": True, "warn": True}


async def test_warning_failure_is_recorded_with_telegrams_error(harness: Harness):
    """A warning Telegram refuses is recorded as a failed "warn" with its description."""
    harness.api.fail("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat")
    await harness.feed(scam_from(CAROL))
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    [warn] = [a for a in incident.actions if a.action == "warn"]
    assert warn.ok is False and "kicked" in (warn.error or "")


async def test_flush_posts_warnings_queued_while_the_first_is_in_flight(harness: Harness):
    """Scams arriving while the first warning waits on Telegram are posted, aggregated, by
    the flush a graceful stop runs; every incident ends with "warn" recorded."""
    gate = harness.api.hold("sendMessage")
    for _ in range(3):
        await harness.feed(scam_from(CAROL), settle=False)
    await harness.api.wait_for("sendMessage")
    gate.set()
    await harness.flush()
    texts = harness.api.sent_texts(GROUP_ID)
    assert len(texts) == 2 and "2 scam messages" in texts[1]
    for incident in await harness.services.storage.list_incidents(GROUP_ID):
        assert (await actions(harness, incident.id))["warn"] is True


# ---- "Not a scam" on an aggregated warning ------------------------------------------------------


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ([42], "fp:42"),
        ([12, 10, 15], "fp:10+2+3"),
        (list(range(1000, 1040)), "fp:1000-1039"),
    ],
    ids=["one", "several", "too-many-for-64-bytes"],
)
def test_not_scam_data_round_trips(ids, expected):
    """Incident ids are spelled as gaps from the first, or as a range when they do not fit."""
    data = not_scam_data(ids)
    assert data == expected and len(data.encode()) <= MAX_CALLBACK_DATA
    parsed, is_range = parse_not_scam_data(data) or ([], False)
    assert parsed == ([min(ids), max(ids)] if is_range else sorted(ids))


@pytest.mark.parametrize(
    "data", ["fp:", "fp:x", "fp:5-2", "fp:1+", "fp:1+2-3", "set:quiet:on"],
    ids=["empty", "not-a-number", "reversed-range", "dangling-gap", "mixed", "other-button"],
)
def test_malformed_not_scam_data_is_refused(data):
    """Callback data that is not one of the three forms names no incident."""
    assert parse_not_scam_data(data) is None


async def test_aggregated_warning_button_clears_every_incident_of_the_burst(harness: Harness):
    """The summary after a burst has the button; an admin's press records a false positive
    on each incident it covers and lifts each restriction."""
    await harness.services.chat_settings.update(GROUP_ID, None, scam_action="restrict")
    senders = [CAROL, DAVE, person(2003, "Erin"), person(2004, "Frank")]
    for sender in senders:
        await harness.feed(scam_from(sender))
    await harness.flush()
    first, summary = harness.api.calls("sendMessage")
    incidents = sorted(i.id for i in await harness.services.storage.list_incidents(GROUP_ID))
    assert parse_not_scam_data(button_data(first)) == (incidents[:1], False)
    assert parse_not_scam_data(button_data(summary)) == (incidents[1:], False)
    await harness.feed(press(BOB, button_data(summary)))
    lifted = [c.params["user_id"] for c in harness.api.calls("restrictChatMember")
              if c.params["permissions"]["can_send_messages"]]
    assert sorted(lifted) == sorted(s["id"] for s in senders[1:])
    stats = await harness.services.storage.stats(GROUP_ID)
    assert stats.feedback.get("false_positive") == 3
    [audit] = [a for a in await harness.services.storage.list_audit(GROUP_ID)
               if a.action == "not_scam"]
    assert audit.detail == {"incidents": incidents[1:]}


async def test_range_button_marks_the_chats_incidents_in_the_range_only(harness: Harness):
    """A range press covers the chat's incidents between its ends, never another chat's."""
    storage = harness.services.storage
    ids = [await storage.add_incident(GROUP_ID, n, 5000 + n, "scam", 0.9, (), "x")
           for n in range(1, 20)]
    other = await storage.add_incident(-1009, 1, 6000, "scam", 0.9, (), "x")
    ids += [await storage.add_incident(GROUP_ID, n, 5000 + n, "scam", 0.9, (), "x")
            for n in range(20, 40)]
    data = not_scam_data(ids)
    assert "-" in data
    await harness.feed(press(ALICE, data))
    stats = await storage.stats(GROUP_ID)
    assert stats.feedback.get("false_positive") == len(ids)
    assert (await storage.stats(-1009)).feedback.get("false_positive") is None
    assert other not in ids


async def test_member_cannot_use_the_aggregated_button(harness: Harness):
    """A member pressing the summary's button gets an alert; nothing is marked."""
    for _ in range(3):
        await harness.feed(scam_from(CAROL))
    await harness.flush()
    summary = harness.api.calls("sendMessage")[-1]
    await harness.feed(press(DAVE, button_data(summary)))
    assert harness.api.calls("answerCallbackQuery")[-1].params.get("show_alert") is True
    assert (await harness.services.storage.stats(GROUP_ID)).feedback == {}


# ---- scams posted on behalf of a channel ----------------------------------------------------


CHANNEL_BOT = person(136817688, "Channel", "Channel_Bot", is_bot=True)


@pytest.mark.parametrize(
    ("policy", "banned"),
    [("delete", False), ("restrict", True), ("ban", True)],
    ids=["delete", "restrict-bans-the-channel", "ban"],
)
async def test_foreign_channel_scam_is_deleted_and_the_channel_banned(
    harness: Harness, policy, banned
):
    """A scam posted as a foreign channel is deleted; under restrict or ban the channel is
    banned with banChatSenderChat (Telegram has no temporary form); no user is punished."""
    await harness.services.chat_settings.update(GROUP_ID, None, scam_action=policy)
    await harness.feed(scam_from(CHANNEL_BOT, sender_chat=SPAM_CHANNEL))
    assert len(harness.api.calls("deleteMessage")) == 1
    assert harness.api.calls("banChatMember") == []
    assert harness.api.calls("restrictChatMember") == []
    assert ((GROUP_ID, SPAM_CHANNEL["id"]) in harness.api.banned_channels) is banned
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert incident.sender_id == SPAM_CHANNEL["id"]
    assert ("ban" in await actions(harness, incident.id)) is banned


@pytest.mark.parametrize(
    ("extra", "linked"),
    [
        ({"sender_chat": LINKED_CHANNEL}, True),
        ({"sender_chat": LINKED_CHANNEL, "is_automatic_forward": True}, False),
    ],
    ids=["linked-channel-comment", "automatic-forward"],
)
async def test_own_channel_is_never_banned(harness: Harness, extra, linked):
    """The discussion group's linked channel (comment or automatic forward) is only
    deleted from, never banned."""
    if linked:
        harness.api.link_channel(GROUP_ID, LINKED_CHANNEL["id"])
    await harness.services.chat_settings.update(GROUP_ID, None, scam_action="ban")
    await harness.feed(scam_from(person(777000, "Telegram"), **extra))
    assert len(harness.api.calls("deleteMessage")) == 1
    assert harness.api.calls("banChatSenderChat") == []


async def test_channel_ban_without_the_right_names_it(harness: Harness):
    """A refused channel ban is recorded as failed and the warning names the missing right."""
    await harness.services.chat_settings.update(GROUP_ID, None, scam_action="ban")
    harness.api.fail("banChatSenderChat", 400, "Bad Request: not enough rights to ban a chat")
    await harness.feed(scam_from(CHANNEL_BOT, sender_chat=SPAM_CHANNEL))
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert (await actions(harness, incident.id))["ban"] is False
    assert "\"Ban users\"" in harness.api.sent_texts(GROUP_ID)[0]


async def test_not_a_scam_unbans_the_channel(harness: Harness):
    """Undoing a channel's ban calls unbanChatSenderChat."""
    await harness.services.chat_settings.update(GROUP_ID, None, scam_action="ban")
    await harness.feed(scam_from(CHANNEL_BOT, sender_chat=SPAM_CHANNEL))
    await harness.feed(press(ALICE, button_data(harness.api.calls("sendMessage")[0])))
    [unban] = harness.api.calls("unbanChatSenderChat")
    assert unban.params["sender_chat_id"] == SPAM_CHANNEL["id"]
    assert harness.api.banned_channels == set()


# ---- chat settings cache --------------------------------------------------------------------


async def test_settings_are_cached_until_an_admin_changes_them(harness: Harness):
    """A change written behind the bot's back is not read per message; a change through the
    settings keyboard takes effect on the next message."""
    await harness.feed(message_update(message(group(), CAROL, CLEAN)))
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="warn")
    await harness.feed(scam_from(CAROL))
    assert len(harness.api.calls("deleteMessage")) == 1  # still the cached "delete"
    await harness.feed(callback_update(ALICE, message(group(), BOT, "settings"),
                                       "set:scam_action:ban"))
    await harness.feed(scam_from(DAVE))
    assert harness.api.calls("banChatMember")[0].params["user_id"] == DAVE["id"]


async def test_cached_settings_expire(services):
    """An entry older than the TTL is read again (another process may have changed it)."""
    now = [0.0]
    cache = ChatSettingsCache(services.storage, ttl=60.0, clock=lambda: now[0])
    assert (await cache.get(GROUP_ID)).quiet is False
    await services.storage.update_chat_settings(GROUP_ID, None, quiet=True)
    now[0] = 59.0
    assert (await cache.get(GROUP_ID)).quiet is False
    now[0] = 61.0
    assert (await cache.get(GROUP_ID)).quiet is True


async def test_cache_keeps_at_most_max_chats(services):
    """The least recently used chat is dropped when the cache is full."""
    cache = ChatSettingsCache(services.storage, max_chats=2)
    for chat_id in (-1, -2, -1, -3):
        await cache.get(chat_id)
    assert list(cache._chats) == [-1, -3]


# ---- flood limiter scope ----------------------------------------------------------------------


async def test_keyboard_edits_are_not_held_by_the_group_message_limit(fake_api: FakeBotApi):
    """With the group's message budget spent, edits and callback answers go out while a new
    message waits (Telegram's 20 per minute counts messages sent to the group)."""
    from telegram.ext import ExtBot

    from bot.app import ModerationRateLimiter

    limiter = ModerationRateLimiter(group_max_rate=1, group_time_period=60, max_retries=0)
    bot = ExtBot(TOKEN, request=FakeRequest(fake_api), rate_limiter=limiter)
    async with bot:
        sent = await bot.send_message(GROUP_ID, "settings")
        async with asyncio.timeout(5):  # a guard: edits must not wait for the group budget
            for n in range(3):
                await bot.edit_message_text(f"settings {n}", GROUP_ID, sent.message_id)
            await bot.answer_callback_query("cb1", "changed")
        held = asyncio.ensure_future(bot.send_message(GROUP_ID, "second"))
        await asyncio.sleep(0.2)
        assert not held.done()
        held.cancel()
    assert len(fake_api.calls("editMessageText")) == 3
    assert len(fake_api.calls("sendMessage")) == 1


async def test_reads_are_not_held_by_the_overall_limit(fake_api: FakeBotApi):
    """With the overall budget spent, reading a chat's admins goes out at once while an
    action waits: reads send nothing, and the first message of every new chat needs one."""
    from telegram.ext import ExtBot

    from bot.app import ModerationRateLimiter

    limiter = ModerationRateLimiter(overall_max_rate=1, overall_time_period=60, max_retries=0)
    bot = ExtBot(TOKEN, request=FakeRequest(fake_api), rate_limiter=limiter)
    async with bot:
        await bot.delete_message(GROUP_ID, 1)
        async with asyncio.timeout(5):  # a guard: reads must not wait for the overall budget
            for _ in range(3):
                await bot.get_chat_administrators(GROUP_ID)
        held = asyncio.ensure_future(bot.delete_message(GROUP_ID, 2))
        await asyncio.sleep(0.2)
        assert not held.done()
        held.cancel()
    assert len(fake_api.calls("getChatAdministrators")) == 3
    assert len(fake_api.calls("deleteMessage")) == 1
