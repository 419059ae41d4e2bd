"""`/report` as a reply by any member."""

from __future__ import annotations

from tests.conftest import ALICE, BOB, CAROL, DAVE, Harness
from tests.fakes.updates import GROUP_ID, group, message, message_update

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
