"""Admins see and undo what the bot did, end to end on the fake Bot API: the log chat
(chosen with /logchat, confirmed there; entries with Not a scam / Unban / Ban for the group's
admins only), /lists with removal buttons, and warnings that disappear."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from handlers.cleanup import JOB_PREFIX
from tests.conftest import ALICE, BOB, CAROL, Harness
from tests.fakes import BOT_ID, BOT_USERNAME
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    group,
    message,
    message_update,
    person,
    private,
)

SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")
BOT = person(BOT_ID, "Scamguard", BOT_USERNAME, is_bot=True)
LOG_GROUP = group(-100555, "Mods log")


def command(sender: dict[str, Any], text: str, chat: dict[str, Any] | None = None,
            **extra: Any) -> dict:
    name = text.split()[0]
    return message_update(message(chat or group(), sender, text,
                                  entities=[{"type": "bot_command", "offset": 0,
                                             "length": len(name)}], **extra))


async def sent_to(h: Harness, chat_id: int, count: int = 1) -> list:
    """The messages sent to `chat_id`, once there are `count` (log entries are posted in
    the background)."""
    for _ in range(200):
        found = [c for c in h.api.calls("sendMessage") if c.params["chat_id"] == chat_id]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {count} messages to {chat_id}: {h.api.sent_texts()}")


async def log_code(h: Harness, admin: dict[str, Any] = ALICE) -> tuple[str, str]:
    """/logchat in the group: the codes of its group and private buttons."""
    await h.feed(command(admin, "/logchat"))
    reply = h.api.calls("sendMessage")[-1]
    urls = [b["url"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    (to_group,) = [u for u in urls if "startgroup=log_" in u]
    (to_private,) = [u for u in urls if "?start=log_" in u]
    return (urlsplit(to_group).query.split("=", 1)[1].removeprefix("log_"),
            urlsplit(to_private).query.split("=", 1)[1].removeprefix("log_"))


async def with_private_log(h: Harness) -> None:
    _, code = await log_code(h)
    await h.feed(command(ALICE, f"/start log_{code}", chat=private(ALICE)))


async def test_log_chat_is_chosen_and_confirmed(harness: Harness):
    """The admin's link, opened in another group by the same admin, makes it the log
    chat; both chats are told; the change is audited."""
    group_code, _ = await log_code(harness)
    await harness.feed(command(ALICE, f"/start log_{group_code}", chat=LOG_GROUP))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.log_chat == LOG_GROUP["id"]
    texts = harness.services.rules.texts
    assert harness.api.sent_texts(LOG_GROUP["id"]) == [
        texts.text("en", "onboard.logchat_here", chat="Crypto Friends")]
    assert harness.api.sent_texts(GROUP_ID)[-1] == texts.text(
        "en", "onboard.logchat_set", target="Mods log")
    audit = await harness.services.storage.list_audit(GROUP_ID)
    assert audit[0].action == "settings.log_chat" and audit[0].actor_id == ALICE["id"]


async def test_log_link_is_for_the_admin_who_asked_only(harness: Harness):
    """Another user (even an admin) cannot use the link; a used link is spent."""
    _, code = await log_code(harness)
    await harness.feed(command(CAROL, f"/start log_{code}", chat=private(CAROL)))
    await harness.feed(command(BOB, f"/start log_{code}", chat=private(BOB)))
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).log_chat is None
    expired = harness.services.rules.texts.text("en", "onboard.logchat_expired")
    assert harness.api.sent_texts(CAROL["id"]) == [expired]
    await harness.feed(command(ALICE, f"/start log_{code}", chat=private(ALICE)))
    await harness.feed(command(ALICE, f"/start log_{code}", chat=private(ALICE)))
    assert harness.api.sent_texts(ALICE["id"])[-1] == expired


async def test_members_cannot_set_a_log_chat(harness: Harness):
    """/logchat by a member is refused and gives no link."""
    await harness.feed(command(CAROL, "/logchat"))
    (sent,) = harness.api.calls("sendMessage")
    assert "reply_markup" not in sent.params or not sent.params["reply_markup"]


async def test_action_is_logged_with_reason_excerpt_and_buttons(harness: Harness):
    """A deleted scam: the log entry names the group, the sender, the action, the reason
    and the redacted excerpt, with the three buttons of its incident."""
    await with_private_log(harness)
    await harness.feed(message_update(message(group(), CAROL, SCAM + " abandon " * 12)))
    entry = (await sent_to(harness, ALICE["id"], 2))[-1]
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    text = entry.params["text"]
    assert "Crypto Friends" in text and "Carol" in text and "deleted" in text
    assert "recovery phrase" in text and "abandon abandon" not in text
    data = [b["callback_data"] for b in entry.params["reply_markup"]["inline_keyboard"][0]]
    assert data == [f"lg:fp:{incident.id}", f"lg:ub:{incident.id}", f"lg:bn:{incident.id}"]


async def test_log_buttons_are_for_the_groups_admins(harness: Harness):
    """Ban by a member is refused; Ban, Unban and Not a scam by an admin act on the group,
    are recorded on the incident and audited."""
    await with_private_log(harness)
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    entry = (await sent_to(harness, ALICE["id"], 2))[-1]
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    shown = message(private(ALICE), BOT, entry.params["text"])
    await harness.feed(callback_update(CAROL, shown, f"lg:bn:{incident.id}"))
    assert harness.api.calls("banChatMember") == []
    assert harness.api.calls("answerCallbackQuery")[-1].params["show_alert"] is True
    await harness.feed(callback_update(BOB, shown, f"lg:bn:{incident.id}"))
    assert (GROUP_ID, CAROL["id"]) in harness.api.banned
    await harness.feed(callback_update(BOB, shown, f"lg:ub:{incident.id}"))
    assert (GROUP_ID, CAROL["id"]) not in harness.api.banned
    await harness.services.storage.flag_user(CAROL["id"], GROUP_ID, incident.id)
    entries = len(harness.api.sent_texts(ALICE["id"]))
    await harness.feed(callback_update(ALICE, shown, f"lg:fp:{incident.id}"))
    stored = await harness.services.storage.get_incident(incident.id)
    assert {a.action for a in stored.actions} >= {"delete", "ban", "unban"}
    stats = await harness.services.storage.stats(GROUP_ID)
    assert stats.feedback == {"false_positive": 1}
    # Not a scam takes the path of every "Not a scam": the reputation goes, one audit entry.
    assert await harness.services.storage.get_reputation(CAROL["id"]) is None
    audit = await harness.services.storage.list_audit(GROUP_ID)
    assert {"log.ban", "log.unban", "reputation.clear"} <= {e.action for e in audit}
    assert [(e.actor_id, e.detail) for e in audit if e.action == "not_scam"] == [
        (ALICE["id"], {"incident": incident.id, "via": "log_chat"})]
    assert "Bob" in harness.api.calls("editMessageText")[0].params["text"]
    assert "Alice" in harness.api.calls("editMessageText")[-1].params["text"]
    await asyncio.sleep(0.05)
    assert len(harness.api.sent_texts(ALICE["id"])) == entries  # edited, not posted again


async def test_not_a_scam_on_the_warning_is_logged(harness: Harness):
    """An admin's Not a scam on the group's warning: the log chat gets an entry for the
    incident naming the admin, with its buttons; the sender's reputation is cleared."""
    await with_private_log(harness)
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    await harness.flush()
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    await harness.services.storage.flag_user(CAROL["id"], GROUP_ID, incident.id)
    before = len(await sent_to(harness, ALICE["id"], 2))  # the confirmation, the deletion
    await harness.feed(callback_update(BOB, message(group(), BOT, "warning"),
                                       f"fp:{incident.id}"))
    entry = (await sent_to(harness, ALICE["id"], before + 1))[-1]
    text = entry.params["text"]
    assert "Crypto Friends" in text and "marked as not a scam: Bob" in text
    assert "recovery phrase" in text
    data = [b["callback_data"] for b in entry.params["reply_markup"]["inline_keyboard"][0]]
    assert data == [f"lg:fp:{incident.id}", f"lg:ub:{incident.id}", f"lg:bn:{incident.id}"]
    assert await harness.services.storage.get_reputation(CAROL["id"]) is None


async def test_a_log_chat_that_refuses_does_not_stop_the_group(harness: Harness):
    """The bot was removed from the log chat: the scam is still deleted and warned about."""
    await with_private_log(harness)
    harness.api.block(ALICE["id"])
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    await harness.flush()
    assert len(harness.api.calls("deleteMessage")) == 1
    # The /logchat answer, its confirmation, then the warning.
    assert len(harness.api.sent_texts(GROUP_ID)) == 3
    assert "Scam warning" in harness.api.sent_texts(GROUP_ID)[-1]


async def test_logchat_off(harness: Harness):
    """/logchat off stops logging."""
    await with_private_log(harness)
    await harness.feed(command(ALICE, "/logchat off"))
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).log_chat is None


async def test_lists_show_and_undo_entries(harness: Harness):
    """/allow, /trust and /scam entries are listed; a button removes one (admins only),
    audited, and the list is redrawn without it."""
    target = message(group(), CAROL, "Join my private VIP signals group, 300% profit")
    await harness.feed(command(ALICE, "/allow example.com"))
    await harness.feed(command(ALICE, "/allow @good_channel"))
    await harness.feed(command(ALICE, "/trust", reply_to=message(group(), BOB, "hi")))
    await harness.feed(command(ALICE, "/scam", reply_to=target))
    await harness.feed(command(ALICE, "/lists"))
    sent = harness.api.calls("sendMessage")[-1]
    text = sent.params["text"]
    assert "example.com" in text and "@good_channel" in text and str(BOB["id"]) in text
    [sample] = await harness.services.storage.list_sample_rows(GROUP_ID)
    assert f"#{sample.id}" in text
    data = [b["callback_data"] for row in sent.params["reply_markup"]["inline_keyboard"]
            for b in row]
    assert len(data) == 4
    shown = message(group(), BOT, text)
    await harness.feed(callback_update(CAROL, shown, data[0]))
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).allow_domains == (
        "example.com",)
    for pressed in data:
        await harness.feed(callback_update(ALICE, shown, pressed))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.allow_domains == () and settings.allow_handles == ()
    assert settings.trusted_users == ()
    assert await harness.services.storage.list_sample_rows(GROUP_ID) == []
    audit = {e.action for e in await harness.services.storage.list_audit(GROUP_ID)}
    assert {"settings.allow_domains", "settings.trusted_users", "sample.remove"} <= audit
    last = harness.api.calls("editMessageText")[-1].params["text"]
    assert last.endswith(harness.services.rules.texts.text("en", "onboard.lists_empty"))
    await harness.feed(callback_update(ALICE, shown, data[0]))
    assert harness.api.calls("answerCallbackQuery")[-1].params["text"] == \
        harness.services.rules.texts.raw("en", "onboard.lists_gone")


async def test_warnings_disappear_after_the_set_minutes(harness: Harness):
    """With delete_after 5 the warning is deleted by a JobQueue job five minutes later."""
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"],
                                                        delete_after=5, scam_action="warn")
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    (warning,) = harness.api.calls("sendMessage")
    jobs = [j for j in harness.app.job_queue.jobs() if j.name.startswith(JOB_PREFIX)]
    (job,) = jobs
    assert 290 < (job.next_t - datetime.now(UTC)).total_seconds() <= 300
    await job.run(harness.app)
    (deleted,) = harness.api.calls("deleteMessages")
    assert deleted.params["chat_id"] == GROUP_ID
    assert deleted.params["message_ids"] == [warning_id(harness, warning)]


def warning_id(h: Harness, call) -> int:
    """The message id the fake gave to a sent message (handed out in order from 10000 to
    every message it creates)."""
    made = [c for c in h.api.calls() if c.method in (
        "sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument")]
    return 10_000 + made.index(call)


async def test_warnings_stay_by_default(harness: Harness):
    """Without the setting no deletion is scheduled."""
    await harness.feed(message_update(message(group(), CAROL, SCAM)))
    assert [j for j in harness.app.job_queue.jobs() if j.name.startswith(JOB_PREFIX)] == []


async def test_report_exchange_disappears(harness: Harness):
    """A /report answered "no known scam" is deleted with its answer after the minutes."""
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"], delete_after=1)
    target = message(group(), BOB, "See you at the meetup on Friday")
    report = command(CAROL, "/report", reply_to=target)
    await harness.feed(report)
    (job,) = [j for j in harness.app.job_queue.jobs() if j.name.startswith(JOB_PREFIX)]
    await job.run(harness.app)
    (deleted,) = harness.api.calls("deleteMessages")
    assert report["message"]["message_id"] in deleted.params["message_ids"]
    assert len(deleted.params["message_ids"]) == 2


async def test_disappear_setting_on_the_keyboard(harness: Harness):
    """/settings cycles delete_after through never, 1, 5, 15 and 60 minutes."""
    shown = message(group(), BOT, "s")
    for expected in (1, 5, 15, 60, 0):
        await harness.feed(callback_update(
            ALICE, shown, f"set:delete_after:{expected}"))
        settings = await harness.services.storage.get_chat_settings(GROUP_ID)
        assert settings.delete_after == expected


async def test_long_lists_stay_within_one_message(harness: Harness):
    """Forty allowed sites of 60 letters: the view shows the first twelve with buttons and
    how many more there are, within Telegram's 4096 characters."""
    domains = [f"{'a' * 50}{i:02d}.example.com" for i in range(40)]
    await harness.services.storage.add_to_list(GROUP_ID, ALICE["id"], "allow_domains",
                                               *domains)
    await harness.feed(command(ALICE, "/lists"))
    sent = harness.api.calls("sendMessage")[-1]
    assert len(sent.params["text"]) < 4096
    assert "… +28" in sent.params["text"]
    assert len(sent.params["reply_markup"]["inline_keyboard"]) == 12


async def test_logchat_names_the_current_log_chat(harness: Harness):
    """/logchat again says where the log goes, by the chat's name."""
    group_code, _ = await log_code(harness)
    harness.api.chats[LOG_GROUP["id"]] = LOG_GROUP
    await harness.feed(command(ALICE, f"/start log_{group_code}", chat=LOG_GROUP))
    await log_code(harness)
    assert harness.services.rules.texts.text(
        "en", "onboard.logchat_now", target="Mods log") in harness.api.sent_texts()[-1]


async def test_impersonator_join_is_logged_with_what_was_done(harness: Harness):
    """A member joining as "Alice Admin" under the ban policy: banned, and the log says so."""
    from tests.fakes.updates import chat_member_update

    await with_private_log(harness)
    await harness.services.chat_settings.update(GROUP_ID, ALICE["id"], scam_action="ban")
    impostor = person(3001, "Alice Admin", "alice_adm1n")
    await harness.feed(chat_member_update(group(), impostor))
    entry = (await sent_to(harness, ALICE["id"], 2))[-1]
    assert "Alice Admin" in entry.params["text"] and "banned" in entry.params["text"]
    assert (GROUP_ID, impostor["id"]) in harness.api.banned


async def test_anonymous_admin_link_can_be_confirmed_by_any_admin(harness: Harness):
    """/logchat from an anonymous admin (posting as the group): any admin of the group may
    open the link, a member still may not."""
    await harness.feed(command(None, "/logchat", sender_chat=group()))
    reply = harness.api.calls("sendMessage")[-1]
    urls = [b["url"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    code = next(u for u in urls if "?start=log_" in u).split("log_", 1)[1]
    await harness.feed(command(CAROL, f"/start log_{code}", chat=private(CAROL)))
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).log_chat is None
    await harness.feed(command(BOB, f"/start log_{code}", chat=private(BOB)))
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).log_chat == BOB["id"]
