"""Group admin commands: /settings and its `set:` keyboard, /allow, /trust, /scam, /stats.
Admins (anonymous ones included) change things; anyone else is refused and nothing changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conftest import ALICE, BOB, CAROL, DAVE, Harness
from tests.fakes import BOT_ID, BOT_USERNAME
from tests.fakes.updates import GROUP_ID, callback_update, group, message, message_update

ANONYMOUS = {"id": 1087968824, "is_bot": True, "first_name": "Group",
             "username": "GroupAnonymousBot"}
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Scamguard", "username": BOT_USERNAME}
SCAM_TEXT = ("Dear members, to receive the airdrop please send your 12 word recovery phrase "
             "to our support agent now")


def command(sender: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
    """A group command with its bot_command entity."""
    name = text.split()[0]
    return message_update(message(group(), sender, text, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}], **kw))


def press(sender: dict[str, Any], data: str) -> dict[str, Any]:
    """A press on a button of the bot's settings message."""
    return callback_update(sender, message(group(), BOT, "settings"), data)


async def snapshot(h: Harness) -> tuple[Any, Any, list[str]]:
    storage = h.services.storage
    return (await storage.get_chat_settings(GROUP_ID), await storage.list_audit(GROUP_ID),
            await storage.list_samples(GROUP_ID))


def buttons(call: Any) -> list[tuple[str, str]]:
    rows = call.params["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_settings_shows_values_and_keyboard(harness: Harness) -> None:
    """/settings by an admin lists each setting and offers a button to change it."""
    await harness.feed(command(ALICE, "/settings"))
    (sent,) = harness.api.calls("sendMessage")
    assert "Scam messages: <b>delete</b>" in sent.params["text"]
    assert "Quiet mode: <b>off</b>" in sent.params["text"]
    data = [d for _, d in buttons(sent)]
    assert data == ["set:scam_action:restrict", "set:restrict_hours:72",
                    "set:suspicious_action:none",
                    "set:sensitivity:high", "set:language:id", "set:region:CN",
                    "set:quiet:on", "set:keep_evidence:on", "set:delete_after:1",
                    "set:cas:on"]


async def test_anonymous_admin_may_use_settings(harness: Harness) -> None:
    """A message sent as the group itself (anonymous admin) counts as an admin's."""
    await harness.feed(command(ANONYMOUS, "/settings", sender_chat=group()))
    (sent,) = harness.api.calls("sendMessage")
    assert "reply_markup" in sent.params


@pytest.mark.parametrize(
    "text",
    ["/settings", "/allow example.com", "/trust", "/scam", "/stats"],
    ids=["settings", "allow", "trust", "scam", "stats"],
)
async def test_non_admin_is_refused_and_nothing_changes(harness: Harness, text: str) -> None:
    """A member who is not an admin gets a polite refusal; settings, samples and audit stay."""
    before = await snapshot(harness)
    target = message(group(), DAVE, SCAM_TEXT)
    await harness.feed(command(CAROL, text, reply_to=target))
    name = text.split()[0]
    assert harness.api.sent_texts(GROUP_ID) == [
        f"Sorry, only admins of this group can use {name}."]
    assert await snapshot(harness) == before
    assert await harness.services.storage.list_audit(GROUP_ID) == []
    assert harness.api.calls("deleteMessage") == []


async def test_pressing_a_setting_stores_and_redraws(harness: Harness) -> None:
    """An admin's press stores the value, audits it and redraws the keyboard."""
    await harness.feed(press(BOB, "set:scam_action:ban"))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.scam_action == "ban"
    (entry,) = await harness.services.storage.list_audit(GROUP_ID)
    assert entry.actor_id == BOB["id"]
    (answer,) = harness.api.calls("answerCallbackQuery")
    assert answer.params["text"] == "Saved: Scam messages = delete + ban."
    (edit,) = harness.api.calls("editMessageText")
    assert "Scam messages: <b>delete + ban</b>" in edit.params["text"]
    assert "Mute length: <b>24 h</b>" in edit.params["text"]
    assert buttons(edit)[0][1] == "set:scam_action:warn"


async def test_language_press_redraws_in_new_language(harness: Harness) -> None:
    """Choosing Vietnamese redraws the settings in Vietnamese."""
    await harness.feed(press(ALICE, "set:language:vi"))
    (edit,) = harness.api.calls("editMessageText")
    assert "Cài đặt của nhóm" in edit.params["text"]
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).language == "vi"


@pytest.mark.parametrize(
    ("data", "field", "value"),
    [("set:region:SE", "region", "SE"), ("set:region:auto", "region", None),
     ("set:quiet:on", "quiet", True), ("set:sensitivity:low", "sensitivity", "low"),
     ("set:suspicious_action:none", "suspicious_action", "none"),
     ("set:keep_evidence:on", "keep_evidence", True),
     ("set:restrict_hours:6", "restrict_hours", 6)],
    ids=["region", "region-auto", "quiet", "sensitivity", "suspicious", "keep-evidence",
         "restrict-hours"],
)
async def test_each_setting_can_be_pressed(harness: Harness, data: str, field: str,
                                           value: Any) -> None:
    """Every keyboard setting stores the pressed value."""
    if value is None:
        await harness.services.storage.update_chat_settings(GROUP_ID, 1, region="VN")
    await harness.feed(press(ALICE, data))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert getattr(settings, field) == value


async def test_non_admin_press_is_refused(harness: Harness) -> None:
    """A press by a non-admin is answered with an alert and changes nothing."""
    before = await snapshot(harness)
    await harness.feed(press(CAROL, "set:scam_action:warn"))
    (answer,) = harness.api.calls("answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert answer.params["text"] == "Only admins of this group can do that."
    assert await snapshot(harness) == before
    assert harness.api.calls("editMessageText") == []


@pytest.mark.parametrize("data", ["set:scam_action:nuke", "set:chat_id:5", "set:"],
                         ids=["bad-value", "bad-setting", "empty"])
async def test_forged_press_changes_nothing(harness: Harness, data: str) -> None:
    """Callback data that is not one of the offered choices changes nothing."""
    before = await snapshot(harness)
    await harness.feed(press(ALICE, data))
    assert await snapshot(harness) == before
    assert len(harness.api.calls("answerCallbackQuery")) == 1


@pytest.mark.parametrize(
    ("arg", "field", "stored", "answer"),
    [
        ("https://Example.COM/path", "allow_domains", ("example.com",),
         "Allowed here: example.com."),
        ("@Our_Support", "allow_handles", ("our_support",), "Allowed here: @our_support."),
        ("t.me/project_news", "allow_handles", ("project_news",),
         "Allowed here: @project_news."),
        ("not a domain", "allow_domains", (), "Use /allow example.com or /allow @username."),
        ("", "allow_domains", (), "Use /allow example.com or /allow @username."),
    ],
    ids=["domain-url", "handle", "tme-link", "garbage", "missing"],
)
async def test_allow(harness: Harness, arg: str, field: str, stored: tuple[str, ...],
                     answer: str) -> None:
    """/allow adds a domain or a handle to the group's allow list, or explains its use."""
    await harness.feed(command(ALICE, f"/allow {arg}".strip()))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert getattr(settings, field) == stored
    assert harness.api.sent_texts(GROUP_ID) == [answer]


async def test_trust_as_reply(harness: Harness) -> None:
    """/trust in reply to a member's message trusts that member."""
    target = message(group(), {**DAVE, "first_name": "<Dave & co>"}, "hello")
    await harness.feed(command(BOB, "/trust", reply_to=target))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.trusted_users == (DAVE["id"],)
    (text,) = harness.api.sent_texts(GROUP_ID)
    assert text.startswith("&lt;Dave &amp; co&gt; (@dave_x) is trusted")


async def test_concurrent_allow_and_trust_keep_every_change(harness: Harness) -> None:
    """Admins using /allow and /trust at the same moment all keep their change, and the
    cached settings the next message sees include them."""
    await harness.services.chat_settings.get(GROUP_ID)  # warm the cache
    await asyncio.gather(
        *(harness.feed(command(admin, f"/allow site{n}.example"))
          for n, admin in enumerate((ALICE, BOB, ALICE, BOB))),
        *(harness.feed(command(admin, "/allow @helper" + str(n)))
          for n, admin in enumerate((BOB, ALICE))),
        harness.feed(command(ALICE, "/trust", reply_to=message(group(), DAVE, "hi"))),
        harness.feed(command(BOB, "/trust", reply_to=message(group(), CAROL, "hi"))),
    )
    stored = await harness.services.storage.get_chat_settings(GROUP_ID)
    cached = await harness.services.chat_settings.get(GROUP_ID)
    for settings in (stored, cached):
        assert sorted(settings.allow_domains) == [f"site{n}.example" for n in range(4)]
        assert sorted(settings.allow_handles) == ["helper0", "helper1"]
        assert sorted(settings.trusted_users) == sorted((DAVE["id"], CAROL["id"]))


@pytest.mark.parametrize(
    ("reply_to", "answer"),
    [(None, "Reply to a message with /trust."),
     (message(group(), ANONYMOUS, "x", sender_chat=group()),
      "I cannot tell who sent that message, so I cannot trust them.")],
    ids=["no-reply", "channel-sender"],
)
async def test_trust_needs_a_member(harness: Harness, reply_to: Any, answer: str) -> None:
    """/trust without a reply, or on a message sent as a chat, explains and stores nothing."""
    await harness.feed(command(ALICE, "/trust", reply_to=reply_to))
    assert harness.api.sent_texts(GROUP_ID) == [answer]
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).trusted_users == ()


async def test_scam_as_reply_keeps_sample_and_deletes(harness: Harness) -> None:
    """/scam keeps the replied-to text as a known scam of the group and deletes it."""
    target = message(group(), DAVE, SCAM_TEXT, message_id=4242)
    await harness.feed(command(ALICE, "/scam", reply_to=target))
    assert await harness.services.storage.list_samples(GROUP_ID) == [SCAM_TEXT]
    assert (GROUP_ID, 4242) in harness.api.deleted
    assert harness.api.sent_texts(GROUP_ID)[-1].startswith("Marked as scam.")
    audit = await harness.services.storage.list_audit(GROUP_ID)
    assert [a.action for a in audit] == ["sample.add"]


async def test_scam_in_warn_only_group_does_not_delete(harness: Harness) -> None:
    """In a group that only warns, /scam keeps the sample but leaves the message."""
    await harness.services.storage.update_chat_settings(GROUP_ID, 1, scam_action="warn")
    target = message(group(), DAVE, SCAM_TEXT, message_id=4243)
    await harness.feed(command(ALICE, "/scam", reply_to=target))
    assert await harness.services.storage.list_samples(GROUP_ID) == [SCAM_TEXT]
    assert harness.api.calls("deleteMessage") == []


async def test_scam_sample_flags_later_copies(harness: Harness) -> None:
    """After /scam, the same text posted again by someone else is flagged as a known scam
    (a lure the detector does not flag by itself: the admin knows what follows it)."""
    text = ("Members of this group are invited to the new lounge tonight, seats are limited, "
            "reply here to reserve")
    await harness.feed(message_update(message(group(), CAROL, text, message_id=5150)))
    assert await harness.services.storage.list_incidents(GROUP_ID) == []
    await harness.feed(command(ALICE, "/scam", reply_to=message(group(), DAVE, text)))
    await harness.feed(message_update(message(group(), CAROL, text, message_id=5151)))
    (incident,) = await harness.services.storage.list_incidents(GROUP_ID)
    assert incident.message_id == 5151
    # the learned layer may add its own reading beside the rule
    assert [h.rule for h in incident.hits if not h.rule.startswith("model.")] == [
        "similar.known-scam"]


async def test_scam_on_sticker_explains(harness: Harness) -> None:
    """/scam on a message without text stores nothing."""
    target = message(group(), DAVE, None, sticker=True)
    await harness.feed(command(ALICE, "/scam", reply_to=target))
    assert await harness.services.storage.list_samples(GROUP_ID) == []
    assert harness.api.sent_texts(GROUP_ID) == ["That message has no text I could learn from."]


async def test_stats_empty_then_counted(harness: Harness) -> None:
    """/stats says nothing was flagged, then counts an incident and its actions."""
    await harness.feed(command(ALICE, "/stats"))
    assert "Nothing flagged in this group yet." in harness.api.sent_texts(GROUP_ID)[0]
    storage = harness.services.storage
    incident = await storage.add_incident(GROUP_ID, 7, DAVE["id"], "scam", 0.99, (), "x")
    await storage.record_action(incident, "delete", True)
    await storage.record_action(incident, "restrict", False, "not enough rights")
    await harness.feed(command(ALICE, "/stats"))
    text = harness.api.sent_texts(GROUP_ID)[-1]
    assert "Messages flagged: 1" in text
    assert "scam: 1" in text
    assert "• delete: 1 / 0" in text and "• restrict: 0 / 1" in text


@pytest.mark.parametrize("name", ["/settings", "/allow", "/stats"],
                         ids=["settings", "allow", "stats"])
async def test_admin_commands_in_private_explain(harness: Harness, name: str) -> None:
    """In a private chat the admin commands say they work in groups."""
    from tests.fakes.updates import private

    user = {**CAROL, "language_code": "en"}
    await harness.feed(message_update(message(private(user), user, name, entities=[
        {"type": "bot_command", "offset": 0, "length": len(name)}])))
    assert harness.api.sent_texts(CAROL["id"]) == [
        f"{name} works in groups. Add me to your group and use it there."]


async def test_non_admin_command_with_scam_text_is_moderated(harness: Harness) -> None:
    """A scam hidden behind an admin command word is checked and acted on like any message."""
    text = "/allow Send me your 12 word recovery phrase to verify your wallet now"
    await harness.feed(command(CAROL, text, message_id=777))
    assert (GROUP_ID, 777) in harness.api.deleted
    assert (await harness.services.storage.get_chat_settings(GROUP_ID)).allow_domains == ()
    assert not any(t.startswith("Sorry") for t in harness.api.sent_texts(GROUP_ID))
