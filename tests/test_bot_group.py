"""Group flows end to end: raw updates through the real PTB parser and the real application,
real rules and SQLite; the fake Bot API records what the bot did."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, BOB, CAROL, Harness, fake_builder
from tests.fakes import BOT_ID
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    channel,
    edited_update,
    group,
    message,
    message_update,
    origin_channel,
    person,
    text_link,
    url_button,
)

SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")
OTP = "Send me the 6-digit code you just received"
CLEAN = "hi all, the meetup is at 5pm on Friday"
LINK_TEXT = "Log in at binance.com to claim"
# A harmless text from a member whose name imitates the admin Alice: suspicious on its own.
IMPERSONATOR = person(3001, "Alice Admin", "alice_adm1n")
GREETING = "Hi everyone, welcome!"


def scam_update(text: str = SCAM, sender: dict | None = None, **kwargs) -> dict:
    return message_update(message(group(), sender or CAROL, text, **kwargs))


async def incidents(h: Harness) -> list:
    return await h.services.storage.list_incidents(GROUP_ID)


def actions_of(incident) -> dict[str, bool]:
    return {a.action: a.ok for a in incident.actions}


async def test_scam_is_deleted_and_warned_with_escaped_html_and_no_preview(harness: Harness):
    """Default policy: delete, one escaped HTML warning with the button, both recorded."""
    await harness.feed(scam_update(sender=person(2050, "<b>Eve</b>", "eve")))
    deletes = harness.api.calls("deleteMessage")
    assert len(deletes) == 1 and deletes[0].params["chat_id"] == GROUP_ID
    sent = harness.api.calls("sendMessage")
    assert len(sent) == 1
    params = sent[0].params
    assert params["parse_mode"] == "HTML"
    assert params["link_preview_options"] == {"is_disabled": True}
    assert "&lt;b&gt;Eve&lt;/b&gt;" in params["text"] and "<b>Eve</b>" not in params["text"]
    [incident] = await incidents(harness)
    button = params["reply_markup"]["inline_keyboard"][0][0]
    assert button["callback_data"] == f"fp:{incident.id}"
    assert incident.verdict == "scam"
    assert actions_of(incident) == {"delete": True, "warn": True}


@pytest.mark.parametrize(
    ("action", "methods", "absent"),
    [
        ("warn", ["sendMessage"], ["deleteMessage", "restrictChatMember", "banChatMember"]),
        ("delete", ["deleteMessage", "sendMessage"], ["restrictChatMember", "banChatMember"]),
        ("restrict", ["deleteMessage", "restrictChatMember", "sendMessage"], ["banChatMember"]),
        ("ban", ["deleteMessage", "banChatMember", "sendMessage"], ["restrictChatMember"]),
    ],
    ids=["warn", "delete", "restrict", "ban"],
)
async def test_scam_action_per_chat_policy(harness: Harness, action, methods, absent):
    """Each scam action of the chat's settings makes exactly its Telegram calls."""
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"],
                                                        scam_action=action, restrict_hours=3)
    await harness.feed(scam_update(OTP))
    for method in methods:
        assert len(harness.api.calls(method)) == 1, method
    for method in absent:
        assert harness.api.calls(method) == [], method
    if action == "restrict":
        call = harness.api.calls("restrictChatMember")[0]
        assert call.params["user_id"] == CAROL["id"]
        assert call.params["permissions"]["can_send_messages"] is False
    if action == "warn":
        reply = harness.api.calls("sendMessage")[0].params["reply_parameters"]
        assert reply["message_id"] > 0


async def test_clean_message_is_left_alone(harness: Harness):
    """An ordinary message makes no call and no incident."""
    await harness.feed(scam_update(CLEAN))
    assert harness.api.calls("sendMessage") == [] and harness.api.calls("deleteMessage") == []
    assert await incidents(harness) == []


@pytest.mark.parametrize(
    ("suspicious_action", "warned"), [("warn", 1), ("none", 0)], ids=["warn", "none"]
)
async def test_suspicious_warns_or_not(harness: Harness, suspicious_action, warned):
    """A suspicious message gets a reply warning only when the chat asks for it."""
    await harness.services.storage.update_chat_settings(
        GROUP_ID, None, suspicious_action=suspicious_action)
    await harness.feed(scam_update(GREETING, sender=IMPERSONATOR))
    [incident] = await incidents(harness) or [None]
    assert suspicious_action == "none" or incident.verdict == "suspicious"
    assert len(harness.api.calls("sendMessage")) == warned
    assert harness.api.calls("deleteMessage") == []


@pytest.mark.parametrize(
    "sender",
    [ALICE, None],
    ids=["admin-user", "anonymous-admin"],
)
async def test_admins_are_not_acted_on(harness: Harness, sender):
    """A scam-like text from an admin (or an anonymous admin posting as the group) is left."""
    extra = {"sender_chat": group()} if sender is None else {}
    anonymous = person(1087968824, "Group", "GroupAnonymousBot", is_bot=True)
    raw = message_update(message(group(), sender or anonymous, SCAM, **extra))
    await harness.feed(raw)
    assert harness.api.calls("deleteMessage") == [] and harness.api.calls("sendMessage") == []


async def test_admin_impersonator_is_named_not_an_admin(harness: Harness):
    """A member named like an admin is warned about: "... is not an admin of this group"."""
    await harness.feed(scam_update(GREETING, sender=IMPERSONATOR))
    [sent] = harness.api.calls("sendMessage")
    assert "not an admin" in sent.params["text"] and "Alice Admin" in sent.params["text"]


async def test_missing_delete_right_warns_and_names_the_right(harness: Harness):
    """Without the delete right the bot replies with a warning naming the missing right."""
    harness.api.set_bot_rights(GROUP_ID, can_delete_messages=False)
    await harness.feed(scam_update(OTP))
    assert harness.api.calls("deleteMessage") == []
    [sent] = harness.api.calls("sendMessage")
    assert "\"Delete messages\"" in sent.params["text"]
    assert "reply_parameters" in sent.params


async def test_rights_lost_after_caching_fall_back_to_warning(harness: Harness):
    """When Telegram refuses a deletion for lack of rights, the warning names the right."""
    await harness.feed(scam_update(CLEAN))  # caches the admins and the bot's full rights
    harness.api.make_bot_member(GROUP_ID)
    await harness.feed(scam_update(OTP))
    [incident] = await incidents(harness)
    assert actions_of(incident)["delete"] is False
    [sent] = harness.api.calls("sendMessage")
    assert "\"Delete messages\"" in sent.params["text"]


@pytest.mark.parametrize(
    ("method", "status", "description", "failed_action"),
    [
        ("deleteMessage", 400, "Bad Request: message to delete not found", "delete"),
        ("sendMessage", 403, "Forbidden: bot was kicked from the supergroup chat", "warn"),
        ("sendMessage", 500, "Internal Server Error", "warn"),
        ("restrictChatMember", 400, "Bad Request: user is an administrator of the chat",
         "restrict"),
    ],
    ids=["message-gone", "kicked", "server-error", "restrict-refused"],
)
async def test_telegram_errors_never_crash_or_drop_the_incident(
    harness: Harness, method, status, description, failed_action
):
    """A failing call is recorded as failed on the stored incident; nothing raises."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="restrict")
    harness.api.fail(method, status, description)
    await harness.feed(scam_update(OTP))
    [incident] = await incidents(harness)
    recorded = {a.action: a for a in incident.actions}
    assert recorded[failed_action].ok is False
    assert description.split(": ")[-1].lower() in (recorded[failed_action].error or "").lower()


async def test_timeout_is_recorded_as_failed_action(settings, services, fake_api):
    """A call that times out is recorded as failed and the bot goes on."""
    from bot.app import build_application
    from tests.fakes import FakeRequest

    builder = fake_builder(fake_api).request(FakeRequest(fake_api, read_timeout=0.2))
    app = build_application(settings, services, builder=builder)
    fake_api.delay("deleteMessage", 1.0)
    h = Harness(app, fake_api, services)
    async with app:
        await h.feed(scam_update(OTP))
        await h.flush()
    [incident] = await services.storage.list_incidents(GROUP_ID)
    assert actions_of(incident)["delete"] is False
    assert actions_of(incident)["warn"] is True


async def test_burst_gets_one_aggregated_warning(harness: Harness):
    """Five scams in a burst: five deletions, one warning now, one summary of four later."""
    for _ in range(5):
        await harness.feed(scam_update(OTP))
    assert len(harness.api.calls("deleteMessage")) == 5
    assert len(harness.api.calls("sendMessage")) == 1
    await harness.flush()
    sent = harness.api.calls("sendMessage")
    assert len(sent) == 2
    assert "4 scam messages" in sent[1].params["text"]
    for incident in await incidents(harness):
        assert actions_of(incident) == {"delete": True, "warn": True}


async def test_bursts_in_two_chats_warn_each_chat(harness: Harness):
    """The one-warning limit is per chat."""
    other = group(-1009, "Other")
    await harness.feed(scam_update(OTP))
    await harness.feed(message_update(message(other, CAROL, OTP)))
    chats = [c.params["chat_id"] for c in harness.api.calls("sendMessage")]
    assert sorted(chats) == sorted([GROUP_ID, -1009])


@pytest.mark.parametrize(
    "raw",
    [
        message_update(message(group(), CAROL, caption=OTP, photo=True)),
        message_update(message(group(), CAROL, LINK_TEXT,
                               entities=[text_link(LINK_TEXT, "binance.com",
                                                   "https://blnance.com/claim")],
                               reply_markup=url_button("Claim", "https://bit.ly/x"))),
        edited_update(message(group(), CAROL, OTP)),
        message_update(message(group(), person(777000, "Telegram"), OTP,
                               sender_chat=channel(-100777, "News"), is_automatic_forward=True,
                               forward_origin=origin_channel(channel(-100777, "News")))),
    ],
    ids=["caption", "hidden-link-and-button", "edited", "channel-post-in-discussion"],
)
async def test_watched_message_kinds(harness: Harness, raw):
    """Captions, hidden links, buttons, edits and discussion-group channel posts are acted on."""
    await harness.feed(raw)
    assert len(harness.api.calls("deleteMessage")) == 1
    assert harness.api.calls("restrictChatMember") == []
    assert harness.api.calls("banChatMember") == []


@pytest.mark.parametrize(
    "raw",
    [
        message_update(message(group(), CAROL, sticker=True)),
        message_update(message(group(), CAROL, caption=None, photo=True)),
        message_update(message(group(), CAROL, "x" * 50_000)),
        message_update(message(group(), person(BOT_ID, "Scamguard", is_bot=True), OTP)),
    ],
    ids=["sticker", "photo-without-caption", "huge-text", "own-message"],
)
async def test_nothing_to_check_is_quietly_ignored(harness: Harness, raw):
    """Stickers, bare media, huge texts and the bot's own messages cause no action."""
    await harness.feed(raw)
    assert harness.api.calls("deleteMessage") == []
    assert harness.api.calls("sendMessage") == []


async def _restricted_incident(harness: Harness) -> tuple[int, dict]:
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="restrict")
    await harness.feed(scam_update(OTP))
    warning = harness.api.calls("sendMessage")[0]
    button = warning.params["reply_markup"]["inline_keyboard"][0][0]
    shown = message(group(), person(BOT_ID, "Scamguard", is_bot=True), "warning")
    return int(button["callback_data"].split(":")[1]), callback_update(
        ALICE, shown, button["callback_data"])


async def test_not_a_scam_by_admin_lifts_restriction_and_records_feedback(harness: Harness):
    """An admin pressing "Not a scam" records a false positive and lifts the restriction."""
    incident_id, press = await _restricted_incident(harness)
    await harness.feed(press)
    lift = harness.api.calls("restrictChatMember")[-1]
    assert lift.params["user_id"] == CAROL["id"]
    assert lift.params["permissions"]["can_send_messages"] is True
    assert harness.api.calls("editMessageText")
    stats = await harness.services.storage.stats(GROUP_ID)
    assert stats.feedback.get("false_positive") == 1
    incident = await harness.services.storage.get_incident(incident_id)
    assert actions_of(incident)["unrestrict"] is True


async def test_not_a_scam_by_member_is_refused(harness: Harness):
    """A non-admin pressing the button gets an alert and nothing changes."""
    _, press = await _restricted_incident(harness)
    press["callback_query"]["from"] = CAROL
    await harness.feed(press)
    assert len(harness.api.calls("restrictChatMember")) == 1
    [answer] = harness.api.calls("answerCallbackQuery")
    assert answer.params.get("show_alert") is True
    stats = await harness.services.storage.stats(GROUP_ID)
    assert stats.feedback.get("false_positive") is None


async def test_429_is_retried_by_the_rate_limiter(settings, services, fake_api):
    """With the production rate limiter a 429 answer is retried after retry_after."""
    from bot.app import ModerationRateLimiter, build_application

    builder = fake_builder(fake_api).rate_limiter(ModerationRateLimiter(max_retries=2))
    app = build_application(settings, services, builder=builder)
    fake_api.fail("sendMessage", 429, retry_after=1)
    h = Harness(app, fake_api, services)
    async with app:
        await h.feed(scam_update(OTP))
    assert len(fake_api.calls("sendMessage")) == 2
    [incident] = await services.storage.list_incidents(GROUP_ID)
    assert actions_of(incident)["warn"] is True


PHRASE = " ".join(["abandon"] * 11 + ["about"])
LEAK = f"help, my wallet is empty, these are my words: {PHRASE}"


async def test_secret_leak_is_deleted_and_the_poster_told_privately(harness: Harness):
    """A posted phrase is deleted, the poster told privately without it, nobody banned."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="ban")
    await harness.feed(scam_update(LEAK))
    assert len(harness.api.calls("deleteMessage")) == 1
    assert harness.api.calls("banChatMember") == []
    [private_note] = harness.api.calls("sendMessage")
    assert private_note.params["chat_id"] == CAROL["id"]
    assert "abandon" not in private_note.params["text"]
    assert private_note.params["link_preview_options"] == {"is_disabled": True}
    assert private_note.params["parse_mode"] == "HTML"
    [incident] = await incidents(harness)
    assert actions_of(incident) == {"delete": True, "notify_poster": True}


async def test_secret_leak_poster_who_never_started_the_bot_is_told_in_the_group(
    harness: Harness,
):
    """A poster the bot cannot write to (403) gets a short group notice naming them, telling
    them to move their funds, without the secret and without a "Not a scam" button."""
    harness.api.block(CAROL["id"], "bot can't initiate conversation with a user")
    await harness.feed(scam_update(LEAK))
    [incident] = await incidents(harness)
    assert actions_of(incident) == {"delete": True, "notify_poster": False, "warn": True}
    [notice] = harness.api.calls("sendMessage")[1:]
    text = notice.params["text"]
    assert notice.params["chat_id"] == GROUP_ID
    assert f'tg://user?id={CAROL["id"]}' in text and "new wallet" in text
    assert "abandon" not in text and "reply_markup" not in notice.params


async def test_secret_leak_without_delete_right_warns_without_the_secret(harness: Harness):
    """Without the delete right the group is warned, and the warning never repeats it."""
    harness.api.set_bot_rights(GROUP_ID, can_delete_messages=False)
    await harness.feed(scam_update(LEAK))
    [sent] = harness.api.calls("sendMessage")
    assert sent.params["chat_id"] == GROUP_ID
    assert "abandon" not in sent.params["text"]
    assert "\"Delete messages\"" in sent.params["text"]


@pytest.fixture
async def redirector(unused_tcp_port):
    """A loopback web server: /abc redirects to a look-alike host's /claim on the same port."""
    from aiohttp import web

    async def short(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(f"http://blnance.com:{unused_tcp_port}/claim")

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/abc", short)
    app.router.add_route("*", "/claim", landing)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        yield unused_tcp_port
    finally:
        await runner.cleanup()


async def test_shortened_link_is_expanded_and_checked_again(harness: Harness, redirector):
    """With expansion on, the look-alike behind a shortener turns clean into warned."""
    from bot.linkexpand import LinkExpander

    async def loopback(host: str) -> list[str]:
        return ["127.0.0.1"]

    # no lure story: the shortener alone is low, the look-alike behind it decides
    text = f"Have a look http://bit.ly:{redirector}/abc"
    await harness.feed(scam_update(text))
    assert harness.api.calls("sendMessage") == [] and await incidents(harness) == []
    harness.services.expander = LinkExpander(
        timeout=2.0, address_allowed=lambda ip: ip.is_loopback, resolve=loopback,
        allowed_ports=None,
    )
    await harness.feed(scam_update(text))
    assert len(harness.api.calls("sendMessage")) == 1
    [incident] = await incidents(harness)
    assert "link.lookalike" in {h.rule for h in incident.hits}


MINT_SAMPLE = ("Hey folks, the new Pepe Gold mint opens tonight, only forty spots left, reserve "
               "yours at pepegold dot fun before midnight")
MINT_COPY = ("Hey guys, the new Pepe Gold mint opens tonight, only thirty spots left, reserve "
             "yours at pepegold dot fun before midnight")


async def test_chat_samples_flag_near_duplicates_after_invalidation(harness: Harness):
    """A chat's sample flags near-copies in that chat once its cached index is rebuilt."""
    await harness.feed(scam_update(MINT_COPY))
    assert harness.api.calls("sendMessage") == []
    await harness.services.storage.add_sample(GROUP_ID, MINT_SAMPLE, ALICE["id"])
    await harness.feed(scam_update(MINT_COPY))
    assert harness.api.calls("sendMessage") == []  # the chat's index is cached
    harness.services.contexts.invalidate(GROUP_ID)
    await harness.feed(scam_update(MINT_COPY))
    [incident] = await incidents(harness)
    assert "similar.known-scam" in {h.rule for h in incident.hits}
    other = group(-1009, "Other")
    await harness.feed(message_update(message(other, CAROL, MINT_COPY)))
    assert await harness.services.storage.list_incidents(-1009) == []


async def test_burst_on_an_application_that_is_not_started(settings, services, fake_api):
    """Without start() (as a load script may run) warnings still aggregate and flush."""
    from bot.app import build_application

    app = build_application(settings, services, builder=fake_builder(fake_api))
    h = Harness(app, fake_api, services)
    async with app:
        for _ in range(3):
            await h.feed(scam_update(OTP))
        await h.flush()
    texts = fake_api.sent_texts(GROUP_ID)
    assert len(texts) == 2 and "2 scam messages" in texts[1]


async def test_group_flood_limit_paces_messages_not_deletions(settings, services, fake_api):
    """The per-group send limit (here one a minute) never holds back deletions."""
    import asyncio

    from bot.app import ModerationRateLimiter, build_application

    await services.storage.update_chat_settings(GROUP_ID, None, quiet=True)
    limiter = ModerationRateLimiter(group_max_rate=1, group_time_period=60, max_retries=0)
    app = build_application(settings, services,
                            builder=fake_builder(fake_api).rate_limiter(limiter))
    h = Harness(app, fake_api, services)
    async with app:
        async with asyncio.timeout(5):
            for _ in range(3):
                await h.feed(scam_update(OTP))
        assert len(fake_api.calls("deleteMessage")) == 3
        assert fake_api.calls("sendMessage") == []


async def test_secret_leak_poster_not_told_when_deletion_failed(harness: Harness):
    """The private note says "I deleted it", so it is sent only when the deletion worked."""
    harness.api.fail("deleteMessage", 500, "Internal Server Error")
    await harness.feed(scam_update(LEAK))
    assert all(c.params["chat_id"] != CAROL["id"] for c in harness.api.calls("sendMessage"))
    [incident] = await incidents(harness)
    assert actions_of(incident)["delete"] is False and "notify_poster" not in actions_of(incident)


async def test_not_a_scam_after_a_ban_unbans(harness: Harness):
    """Undoing a ban calls unbanChatMember (only if still banned)."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="ban")
    await harness.feed(scam_update(OTP))
    button = harness.api.calls("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0]
    shown = message(group(), person(BOT_ID, "Scamguard", is_bot=True), "warning")
    await harness.feed(callback_update(BOB, shown, button["callback_data"]))
    [unban] = harness.api.calls("unbanChatMember")
    assert unban.params["user_id"] == CAROL["id"] and unban.params["only_if_banned"] is True


async def test_a_failing_handler_is_logged_with_context_and_the_bot_goes_on(
    settings, rules_holder, fake_api, caplog
):
    """A handler error is logged with update, chat and user; the next update still works."""
    import logging

    from bot.app import build_application
    from bot.storage import open_storage
    from bot.wiring.services import build_services

    services = await build_services(settings, rules=rules_holder)
    app = build_application(settings, services, builder=fake_builder(fake_api))
    h = Harness(app, fake_api, services)
    async with app:
        await services.storage.close()
        with caplog.at_level(logging.ERROR, logger="bot.app"):
            update = await h.feed(scam_update(OTP))
        assert f"update {update.update_id}, chat {GROUP_ID}, user {CAROL['id']}" in caplog.text
        reopened = await open_storage(settings.db_path)
        services.storage = services.contexts.storage = services.chat_settings.storage = reopened
        await h.feed(scam_update(OTP))
        assert len(fake_api.calls("deleteMessage")) == 1
        await h.flush()
    await services.storage.close()


def command_update(sender: dict, text: str, **kwargs) -> dict:
    name = text.split()[0]
    return message_update(message(group(), sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}], **kwargs))


@pytest.mark.parametrize(
    ("text", "deleted", "sent"),
    [(SCAM, 0, 0), (LEAK, 1, 1)],
    ids=["scam-left-alone", "own-leak-still-deleted"],
)
async def test_trusted_member(harness: Harness, text, deleted, sent):
    """After /trust a member's scam-like text is left alone; their posted phrase is still
    deleted (and they are told), which protects them and punishes nobody."""
    await harness.feed(command_update(ALICE, "/trust", reply_to=message(group(), CAROL, "hi")))
    before = len(harness.api.calls("sendMessage"))
    await harness.feed(scam_update(text))
    assert len(harness.api.calls("deleteMessage")) == deleted
    assert len(harness.api.calls("sendMessage")) - before == sent
    assert harness.api.calls("banChatMember") == harness.api.calls("restrictChatMember") == []


@pytest.mark.parametrize(
    ("sender", "member_fails", "deleted"),
    [(BOB, False, 0), (CAROL, False, 1), (CAROL, True, 1)],
    ids=["admin-spared", "member-acted-on", "unknown-sender-acted-on"],
)
async def test_admin_list_unavailable(harness: Harness, sender, member_fails, deleted):
    """While getChatAdministrators fails the sender is asked about alone (getChatMember): an
    admin is not acted on; when that fails too the sender counts as a member."""
    harness.api.fail("getChatAdministrators", 502, "Bad Gateway")
    if member_fails:
        harness.api.fail("getChatMember", 502, "Bad Gateway")
    await harness.feed(scam_update(OTP, sender=sender))
    assert len(harness.api.calls("getChatMember")) == 1
    assert len(harness.api.calls("deleteMessage")) == deleted


async def test_group_incident_keeps_indicators(harness: Harness):
    """A group incident stores the message's links and handles for export and evidence."""
    text = "Verify at https://binance-verify-center.xyz/login or DM @Binance_Help_Desk"
    await harness.feed(scam_update(text))
    [incident] = await incidents(harness)
    assert "binance-verify-center.xyz" in incident.indicators["domains"]
    assert "@binance_help_desk" in incident.indicators["handles"]


class FakeExpander:
    """Stands in for LinkExpander: records what it was asked, every short link leads to
    `target`."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.asked: list[str] = []

    async def expand(self, url: str):
        from bot.linkexpand import Expansion

        self.asked.append(url)
        return Expansion(self.target, (url, self.target))


async def test_group_expands_only_shortened_links_even_without_a_scheme(harness: Harness):
    """bit.ly/x written without http is expanded; an ordinary link next to it is not."""
    expander = FakeExpander("https://blnance.com/claim")
    harness.services.expander = expander  # type: ignore[assignment]
    await harness.feed(scam_update("Photos from saturday: have a look bit.ly/abc or see "
                                   "https://example.org/"))
    assert len(expander.asked) == 1 and "bit.ly/abc" in expander.asked[0]
    [incident] = await incidents(harness)
    assert "link.lookalike" in {h.rule for h in incident.hits}


DAN = person(2090, "Dan")
QUOTE_CASES = [
    ("reply", {"reply_to": message(group(), DAN, SCAM)}),
    ("quote", {"reply_to": message(group(), DAN, "long post"), "quote": OTP}),
    ("external", {"external_reply": {
        "origin": origin_channel(channel(-100555, "Airdrop News")),
        "chat": channel(-100555, "Airdrop News"), "message_id": 7},
        "quote": SCAM}),
]


@pytest.mark.parametrize("extra", [c[1] for c in QUOTE_CASES], ids=[c[0] for c in QUOTE_CASES])
async def test_quoted_scam_is_warned_about_without_punishing_the_replier(harness: Harness,
                                                                         extra):
    """A reply that quotes or replies to a scam (here or in another chat) gets a warning in
    reply, once; the member who asked is neither deleted nor muted."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="ban")
    raw = scam_update("is this legit?", **extra)
    await harness.feed(raw)
    await harness.feed(scam_update("anyone?", **extra))
    await harness.flush()
    assert harness.api.calls("deleteMessage") == [] and harness.api.calls("banChatMember") == []
    [warning] = harness.api.calls("sendMessage")
    assert warning.params["reply_parameters"]["message_id"] == raw["message"]["message_id"]
    assert await incidents(harness) == []


async def test_reply_to_the_bots_own_warning_is_not_checked(harness: Harness):
    """Replying to the bot's warning (which names what was found) causes nothing."""
    warning = message(group(), person(BOT_ID, "Scamguard", is_bot=True),
                      "Scam warning: asks for your 12-word recovery phrase. " + SCAM)
    await harness.feed(scam_update("thanks bot", reply_to=warning, quote=SCAM))
    assert harness.api.calls("sendMessage") == [] and harness.api.calls("deleteMessage") == []


async def test_every_message_the_bot_sends_is_html_without_preview(harness: Harness):
    """PTB Defaults set once: warnings, private notices, private answers and admin replies
    all go as HTML with link previews off, without each call repeating it."""
    from tests.fakes.updates import message, message_update, private

    await harness.feed(scam_update())
    await harness.feed(scam_update(LEAK, message_id=501))
    dm = person(5301, "Minh", "minh", language_code="en")
    await harness.feed(message_update(message(private(dm), dm, "Send me your seed phrase")))
    await harness.feed(message_update(message(
        group(), ALICE, "/settings", message_id=502,
        entities=[{"type": "bot_command", "offset": 0, "length": 9}])))
    sent = harness.api.calls("sendMessage")
    assert len({c.params["chat_id"] for c in sent}) >= 3
    for call in sent:
        assert call.params["parse_mode"] == "HTML", call.params
        assert call.params["link_preview_options"] == {"is_disabled": True}, call.params
