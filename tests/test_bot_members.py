"""Member events: join screening for fake support accounts and admin-cache refresh."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, BOB, CAROL, Harness
from tests.fakes.updates import GROUP_ID, chat_member_update, group, person


@pytest.mark.parametrize(
    ("joiner", "action", "expected_call"),
    [
        (person(3001, "Alice Admin", "alice_adm1n"), "restrict", "restrictChatMember"),
        (person(3002, "Binance Support", "bnb_help_desk"), "ban", "banChatMember"),
    ],
    ids=["admin-lookalike-restricted", "brand-support-banned"],
)
async def test_impersonator_joining_is_announced_and_punished(
    harness: Harness, joiner, action, expected_call
):
    """A joining fake support account is named "not an admin" and restricted or banned."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action=action)
    await harness.feed(chat_member_update(group(), joiner))
    [call] = harness.api.calls(expected_call)
    assert call.params["user_id"] == joiner["id"]
    [sent] = harness.api.calls("sendMessage")
    assert "not an admin" in sent.params["text"]
    assert "joined this group" in sent.params["text"]
    assert "message from" not in sent.params["text"]
    assert sent.params["link_preview_options"] == {"is_disabled": True}
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert incident.sender_id == joiner["id"] and incident.message_id is None


async def test_ordinary_member_joining_is_left_alone(harness: Harness):
    """A member with an ordinary name joins silently."""
    await harness.feed(chat_member_update(group(), CAROL))
    assert harness.api.calls("sendMessage") == []
    assert harness.api.calls("restrictChatMember") == []


async def test_trusted_user_is_not_screened(harness: Harness):
    """A user the admins trust is not screened even with a support-like name."""
    joiner = person(3001, "Alice Admin", "alice_adm1n")
    await harness.services.storage.update_chat_settings(GROUP_ID, None, trusted_users=[3001])
    await harness.feed(chat_member_update(group(), joiner))
    assert harness.api.calls("sendMessage") == []


async def test_admin_change_refreshes_the_admin_cache(harness: Harness):
    """After an admin is promoted, the next check asks Telegram for the admins again."""
    bot = harness.app.bot
    assert [p.id for p in await harness.services.admins.get_admins(bot, GROUP_ID)] == [
        ALICE["id"], BOB["id"]]
    harness.api.set_admins(GROUP_ID, [ALICE, BOB, CAROL], owner=ALICE["id"])
    assert len(await harness.services.admins.get_admins(bot, GROUP_ID)) == 2  # cached
    await harness.feed(chat_member_update(group(), CAROL, "member", "administrator",
                                          actor=ALICE))
    admins = await harness.services.admins.get_admins(bot, GROUP_ID)
    assert CAROL["id"] in {p.id for p in admins}
    assert len(harness.api.calls("getChatAdministrators")) == 2


async def test_is_admin_handles_anonymous_admins(harness: Harness):
    """is_admin uses getChatMember; a message posted as the group itself is an admin's."""
    from telegram import Message

    from tests.fakes.updates import message

    bot = harness.app.bot
    assert await harness.services.admins.is_admin(bot, GROUP_ID, BOB["id"]) is True
    assert await harness.services.admins.is_admin(bot, GROUP_ID, CAROL["id"]) is False
    anonymous = Message.de_json(
        message(group(), person(1087968824, "Group", "GroupAnonymousBot", is_bot=True), "hi",
                sender_chat=group()), bot)
    assert await harness.services.admins.is_admin_message(bot, anonymous) is True


async def test_a_burst_in_a_new_chat_asks_for_admins_once(harness: Harness):
    """Concurrent first messages of a chat share one getChatAdministrators call."""
    import asyncio

    from tests.fakes.updates import message, message_update

    harness.api.delay("getChatAdministrators", 0.1)
    raws = [message_update(message(group(), CAROL, f"hello {i}")) for i in range(5)]
    await asyncio.gather(*(harness.feed(raw) for raw in raws))
    assert len(harness.api.calls("getChatAdministrators")) == 1


async def test_admin_lookup_failure_still_acts_on_scams(harness: Harness):
    """When getChatAdministrators fails the scam is still deleted (rights are tried)."""
    from tests.fakes.updates import message, message_update

    harness.api.fail("getChatAdministrators", 502, "Bad Gateway")
    await harness.feed(message_update(message(group(), CAROL,
                                              "Send me the 6-digit code you just received")))
    assert len(harness.api.calls("deleteMessage")) == 1


async def test_impersonator_joining_without_restrict_right_names_the_right(harness: Harness):
    """Without the right to restrict, the join warning says which right is missing."""
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action="ban")
    harness.api.set_bot_rights(GROUP_ID, can_restrict_members=False)
    await harness.feed(chat_member_update(group(), person(3001, "Alice Admin", "alice_adm1n")))
    assert harness.api.calls("banChatMember") == []
    [sent] = harness.api.calls("sendMessage")
    assert "\"Ban users\"" in sent.params["text"]
    assert "not an admin" in sent.params["text"]


MAI = person(7100, "Mai", "mai_admin")
MAI_IMPOSTOR = person(7101, "Mai Admin | Help", "mai_adm1n")
STAFF_OFFER = "I'm staff here, DM me if your withdrawal is stuck"


@pytest.mark.parametrize(
    ("action", "expected_call"),
    [("delete", None), ("restrict", "restrictChatMember"), ("ban", "banChatMember")],
)
async def test_admin_impostor_offering_help_is_announced_on_join(
    harness: Harness, action, expected_call
):
    """"Mai Admin | Help" (@mai_adm1n) joining a group whose admin is Mai (@mai_admin) is
    announced as not an admin, and restricted or banned when that is the group's policy."""
    from tests.fakes.updates import GROUP_ID as CHAT

    harness.api.set_admins(CHAT, [MAI], owner=MAI["id"])
    await harness.services.storage.update_chat_settings(CHAT, None, scam_action=action)
    await harness.feed(chat_member_update(group(), MAI_IMPOSTOR))
    [sent] = harness.api.calls("sendMessage")
    assert "not an admin" in sent.params["text"] and "@mai_admin" in sent.params["text"]
    if expected_call:
        [call] = harness.api.calls(expected_call)
        assert call.params["user_id"] == MAI_IMPOSTOR["id"]


@pytest.mark.parametrize(
    ("action", "expected_call"),
    [("delete", "deleteMessage"), ("ban", "banChatMember")],
)
async def test_admin_impostor_offering_help_is_acted_on_at_first_message(
    harness: Harness, action, expected_call
):
    """The impostor's first message ("I'm staff here, DM me...") is a scam: deleted (or the
    sender banned) per the group's policy, and the group told the sender is not an admin."""
    from tests.fakes.updates import message, message_update

    harness.api.set_admins(GROUP_ID, [MAI], owner=MAI["id"])
    await harness.services.storage.update_chat_settings(GROUP_ID, None, scam_action=action)
    await harness.feed(message_update(message(group(), MAI_IMPOSTOR, STAFF_OFFER)))
    assert len(harness.api.calls(expected_call)) == 1
    [sent] = harness.api.calls("sendMessage")
    assert "not an admin" in sent.params["text"]
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert incident.verdict == "scam" and incident.sender_id == MAI_IMPOSTOR["id"]
    assert {a.action for a in incident.actions} >= {"delete", "warn"}
