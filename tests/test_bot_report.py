"""`/report` as a reply by any member."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, BOB, CAROL, DAVE, Harness
from tests.fakes import BOT_ID, BOT_USERNAME
from tests.fakes.updates import GROUP_ID, group, message, message_update, person

OTP = "Send me the 6-digit code you just received"


def report(target: dict, reporter: dict = DAVE) -> dict:
    text = "/report"
    return message_update(message(
        group(), reporter, text, reply_to=target,
        entities=[{"type": "bot_command", "offset": 0, "length": len(text)}]))


async def test_report_of_a_scam_acts_on_it(harness: Harness):
    """A reported scam is deleted and warned about like a watched one."""
    target = message(group(), CAROL, OTP)
    await harness.feed(report(target))
    [deleted] = harness.api.calls("deleteMessage")
    assert deleted.params["message_id"] == target["message_id"]
    assert len(await harness.services.storage.list_incidents(GROUP_ID)) == 1


async def test_report_of_a_clean_message_tells_the_admins_quietly(harness: Harness):
    """A clean reported message: a silent reply in the group and a note to each admin."""
    await harness.feed(report(message(group(), CAROL, "see you all at 5pm")))
    sent = harness.api.calls("sendMessage")
    in_group = [c for c in sent if c.params["chat_id"] == GROUP_ID]
    assert len(in_group) == 1 and in_group[0].params["disable_notification"] is True
    told = {c.params["chat_id"] for c in sent if c.params["chat_id"] > 0}
    assert told == {ALICE["id"], BOB["id"]}
    assert harness.api.calls("deleteMessage") == []


async def test_admin_who_blocked_the_bot_does_not_break_the_report(harness: Harness):
    """An admin who never started the bot (403) is skipped; the others are told."""
    harness.api.block(ALICE["id"], "bot can't initiate conversation with a user")
    await harness.feed(report(message(group(), CAROL, "see you all at 5pm")))
    told = {c.params["chat_id"] for c in harness.api.calls("sendMessage")
            if c.params["chat_id"] > 0}
    assert told == {ALICE["id"], BOB["id"]}


async def test_report_without_reply_explains_usage(harness: Harness):
    """/report alone answers how to use it and checks nothing."""
    text = "/report"
    await harness.feed(message_update(message(
        group(), DAVE, text, entities=[{"type": "bot_command", "offset": 0, "length": 7}])))
    [sent] = harness.api.calls("sendMessage")
    assert "/report" in sent.params["text"]


async def test_report_is_rate_limited_per_user(harness: Harness):
    """The fourth report within a minute by the same user is refused."""
    for _ in range(4):
        await harness.feed(report(message(group(), CAROL, "see you all at 5pm")))
    audits = await harness.services.storage.list_audit(GROUP_ID)
    assert len([a for a in audits if a.action == "report"]) == 3
    last = harness.api.calls("sendMessage")[-1]
    assert last.params["chat_id"] == GROUP_ID and "too fast" in last.params["text"]


SCAM = ("Dear members, to receive the airdrop please send your 12 word recovery phrase "
        "to our support agent now")


def command(sender: dict, text: str, **kw) -> dict:
    name = text.split()[0]
    return message_update(message(
        group(), sender, text, entities=[{"type": "bot_command", "offset": 0,
                                          "length": len(name)}], **kw))


@pytest.mark.parametrize(
    "reply_to",
    [None, message(group(), CAROL, "see you all at 5pm")],
    ids=["bare", "as-reply"],
)
async def test_report_command_text_is_checked_itself(harness: Harness, reply_to):
    """A scam written after /report is deleted like any member's scam."""
    raw = command(DAVE, "/report " + SCAM, reply_to=reply_to)
    await harness.feed(raw)
    [deleted] = harness.api.calls("deleteMessage")
    assert deleted.params["message_id"] == raw["message"]["message_id"]
    [incident] = await harness.services.storage.list_incidents(GROUP_ID)
    assert incident.sender_id == DAVE["id"]


@pytest.mark.parametrize(
    ("target", "answers"),
    [(None, 1), (message(group(), CAROL, "see you all at 5pm"), 4)],
    ids=["bare", "over-limit"],
)
async def test_report_refusals_are_said_once_a_minute(harness: Harness, target, answers):
    """Ten bare /report get one note; ten reports get three answers and one limit note."""
    for _ in range(10):
        await harness.feed(command(DAVE, "/report", reply_to=target))
    assert len(harness.api.sent_texts(GROUP_ID)) == answers
    audits = await harness.services.storage.list_audit(GROUP_ID)
    assert len([a for a in audits if a.action == "report"]) == (0 if target is None else 3)


async def test_report_of_the_bots_own_message_does_nothing(harness: Harness):
    """Reporting the bot's warning neither deletes it nor bothers the admins."""
    bot_message = message(group(), person(BOT_ID, "Scamguard", is_bot=True), SCAM)
    await harness.feed(command(DAVE, "/report", reply_to=bot_message))
    assert harness.api.calls("deleteMessage") == [] and harness.api.calls("sendMessage") == []


@pytest.mark.parametrize("name", ["/help", "/start", f"/help@{BOT_USERNAME}"],
                         ids=["help", "start", "help-with-username"])
async def test_help_in_a_group_answers_once_a_minute(harness: Harness, name):
    """/help and /start in a group answer with the member and admin commands, once a minute."""
    for sender in (DAVE, CAROL):
        await harness.feed(command(sender, name))
    [sent] = harness.api.calls("sendMessage")
    assert sent.params["chat_id"] == GROUP_ID
    assert "/report" in sent.params["text"] and "/settings" in sent.params["text"]


async def test_help_with_a_scam_after_it_is_deleted(harness: Harness):
    """A scam written after /help is checked and deleted, and no help is posted."""
    await harness.feed(command(DAVE, "/help " + SCAM))
    assert len(harness.api.calls("deleteMessage")) == 1
    assert all("/report" not in t for t in harness.api.sent_texts(GROUP_ID))
