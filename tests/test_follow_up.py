"""Follow-ups: a sender whose message was just flagged (in a group, or as the origin of the
forwards a user sends the bot) has their next message read as the next step of the same
script. The core takes it as `CheckRequest.follow_up`; the handlers set it from storage."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core import CheckRequest, Detector
from bot.core.detector import FOLLOW_UP_RULE
from bot.core.model import ForwardOrigin, RequestError
from bot.keyedlocks import KeyedLocks
from tests.conftest import ALICE, CAROL, DAVE, Harness
from tests.fakes import BOT_ID
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    group,
    message,
    message_update,
    origin_user,
    person,
    private,
)
from tests.test_learned import _learned_detector, _rules_alone, _shipped

# The next step of an investment script after the reader hesitated: nothing to pay, no link,
# no secret; alone it reads like a friend's nudge to the rules.
PUSH = "Bro I showed you my withdrawal screenshots already, just start small with 500"
NUDGE = "hey are we still on for dinner tonight? bring the kids, my mum made too much food"
WARNING = "Be careful everyone, never send your seed phrase to anyone who DMs you first"
SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")


# -- the core --------------------------------------------------------------------------------


def test_a_push_that_asks_for_nothing_is_flagged_only_as_a_follow_up() -> None:
    """With the shipped learned layer: clean alone, suspicious as a follow-up, with a hit that
    says why and the learned layer's reading of it."""
    detector = Detector(_shipped())
    alone = detector.check(CheckRequest(PUSH))
    assert alone.verdict == "clean"
    followed = detector.check(CheckRequest(PUSH, follow_up=True))
    assert followed.verdict == "suspicious"
    rules = {h.rule for h in followed.hits}
    assert FOLLOW_UP_RULE in rules and any(r.startswith("model.") for r in rules)
    [hit] = [h for h in followed.hits if h.rule == FOLLOW_UP_RULE]
    assert hit.category == "investment" and "same sender" in hit.reason


def test_a_clean_verdict_says_whether_a_follow_up_would_flag_it() -> None:
    """`open_to_follow_up`: the push would be flagged as a follow-up, the nudge would not; a
    verdict that already is a follow-up's, or already flagged, is not open to one."""
    detector = Detector(_shipped())
    assert detector.check(CheckRequest(PUSH)).open_to_follow_up
    assert not detector.check(CheckRequest(NUDGE)).open_to_follow_up
    assert not detector.check(CheckRequest(PUSH, follow_up=True)).open_to_follow_up
    assert not detector.check(CheckRequest(SCAM)).open_to_follow_up


@pytest.mark.parametrize("text", [NUDGE, WARNING, "ok", "thanks!"])
def test_a_friends_nudge_a_warning_or_a_short_reply_stays_clean_as_a_follow_up(
        text: str) -> None:
    """Who sent the last message does not make chat, advice or a two-word reply a scam."""
    verdict = Detector(_shipped()).check(CheckRequest(text, follow_up=True))
    assert verdict.verdict == "clean"
    assert FOLLOW_UP_RULE not in {h.rule for h in verdict.hits}


def test_a_follow_up_is_flagged_from_an_even_reading_on() -> None:
    """The bar is the learned layer reading the message as more likely a scam than not
    (FOLLOW_UP_BAR), below the sensitivity's own threshold (here 0.9)."""
    text = "so what do you think, are you in or not? let me know today please"
    above = _learned_detector(0.2, (0.9, 0.95))   # reads 0.55
    below = _learned_detector(-0.4, (0.9, 0.95))  # reads 0.40
    assert above.check(CheckRequest(text)).verdict == "clean"
    assert above.check(CheckRequest(text, follow_up=True)).verdict == "suspicious"
    assert below.check(CheckRequest(text, follow_up=True)).verdict == "clean"


def test_without_a_learned_layer_a_follow_up_is_judged_as_any_message() -> None:
    """The rules alone read a push that asks for nothing as nothing; a scam stays a scam."""
    rules_alone = _rules_alone()
    assert rules_alone.check(CheckRequest(PUSH, follow_up=True)).verdict == "clean"
    assert rules_alone.check(CheckRequest(SCAM, follow_up=True)).verdict == "scam"


def test_follow_up_in_the_scan_contract() -> None:
    """An optional boolean of the scan input, written back only when set."""
    request = CheckRequest.from_dict({"text": PUSH, "follow_up": True})
    assert request.follow_up and request.to_dict()["follow_up"] is True
    assert "follow_up" not in CheckRequest.from_dict({"text": PUSH}).to_dict()
    with pytest.raises(RequestError, match="follow_up"):
        CheckRequest.from_dict({"text": PUSH, "follow_up": "yes"})


@pytest.mark.parametrize(("a", "b", "same"), [
    (ForwardOrigin("user", "Ann", "ann_x", 7), ForwardOrigin("user", "Ann B", "", 7), True),
    (ForwardOrigin("user", "Ann", "ann_x", 7), ForwardOrigin("user", "Ann", "ann_x", 8), False),
    (ForwardOrigin("channel", "News", "News_X"), ForwardOrigin("channel", "N", "news_x"), True),
    (ForwardOrigin("hidden_user", "Binance Support"),
     ForwardOrigin("hidden_user", "Binance Support"), True),
    (ForwardOrigin("hidden_user", "Binance Support"),
     ForwardOrigin("hidden_user", "Binance Suport"), False),
    (ForwardOrigin("hidden_user", ""), ForwardOrigin("hidden_user", ""), False),
    (ForwardOrigin("user", "Ann", "", 7), ForwardOrigin("chat", "Ann", "", 7), False),
])
def test_forwards_are_from_the_same_origin_by_id_then_username_then_hidden_name(
        a: ForwardOrigin, b: ForwardOrigin, same: bool) -> None:
    assert a.same_as(b) is same and b.same_as(a) is same


# -- groups ----------------------------------------------------------------------------------


def post(sender: dict, text: str) -> dict:
    return message_update(message(group(), sender, text))


async def _warn_only(harness: Harness) -> None:
    await harness.services.storage.update_chat_settings(GROUP_ID, ALICE["id"],
                                                        scam_action="warn")


async def test_a_flagged_senders_next_push_is_warned_about_in_the_group(harness: Harness):
    """Carol's scam is warned about; her push after it is warned about too (a second
    incident naming the follow-up), while Dave posting the same push is left alone."""
    await _warn_only(harness)
    await harness.feed(post(CAROL, SCAM))
    await harness.feed(post(DAVE, PUSH))
    await harness.feed(post(CAROL, PUSH))
    await harness.flush()
    incidents = await harness.services.storage.list_incidents(GROUP_ID)
    assert [i.sender_id for i in incidents] == [CAROL["id"], CAROL["id"]]
    newest = incidents[0]
    assert newest.verdict == "suspicious"
    assert FOLLOW_UP_RULE in {h.rule for h in newest.hits}
    assert {a.action: a.ok for a in newest.actions} == {"warn": True}
    warned = " ".join(c.params["text"] for c in harness.api.calls("sendMessage"))
    assert "same sender" in warned


async def test_the_senders_history_is_read_only_when_it_could_matter(harness: Harness):
    """The storage is asked about a sender only for a clean message a follow-up reading would
    flag (the push), never for chat a follow-up leaves clean or for a scam."""
    storage = harness.services.storage
    asked: list[int] = []
    real = storage.sender_flagged_since

    async def counting(chat_id: int, sender_id: int, since: datetime) -> bool:
        asked.append(sender_id)
        return await real(chat_id, sender_id, since)

    storage.sender_flagged_since = counting  # type: ignore[method-assign]
    await _warn_only(harness)
    await harness.feed(post(CAROL, NUDGE))
    await harness.feed(post(CAROL, SCAM))
    assert asked == []
    await harness.feed(post(CAROL, PUSH))
    assert asked == [CAROL["id"]]


async def test_not_a_scam_and_the_window_end_the_follow_up(harness: Harness):
    """After an admin calls Carol's flagged message "Not a scam", or once the window has
    passed (SCAMGUARD_FOLLOW_UP_HOURS), her next push is read as any message."""
    await _warn_only(harness)
    await harness.feed(post(CAROL, SCAM))
    [warning] = harness.api.calls("sendMessage")
    button = warning.params["reply_markup"]["inline_keyboard"][0][0]
    shown = message(group(), person(BOT_ID, "Scamguard", is_bot=True), "warning")
    await harness.feed(callback_update(ALICE, shown, button["callback_data"]))
    await harness.feed(post(CAROL, PUSH))
    assert len(await harness.services.storage.list_incidents(GROUP_ID)) == 1

    await harness.feed(post(DAVE, SCAM))
    harness.services.settings = replace(harness.services.settings, follow_up_hours=0.0)
    await harness.feed(post(DAVE, PUSH))
    assert [i.sender_id for i in await harness.services.storage.list_incidents(GROUP_ID)] == [
        DAVE["id"], CAROL["id"]]


async def test_an_admins_messages_are_never_follow_ups(harness: Harness):
    """An admin's flagged message (a quoted scam, a test) does not make their next one a
    follow-up: admins are not acted on, and their chat is not read as a script."""
    await _warn_only(harness)
    await harness.services.storage.add_incident(GROUP_ID, 1, ALICE["id"], "scam", 0.99, (),
                                                SCAM)
    await harness.feed(post(ALICE, PUSH))
    assert harness.api.calls("sendMessage") == []
    assert len(await harness.services.storage.list_incidents(GROUP_ID)) == 1


# -- forwards to the bot ---------------------------------------------------------------------


MINH = person(5101, "Minh", "minh_x", language_code="en")
SCAMMER = person(777, "Kevin Tan", "kevin_tan_88")
FRIEND = person(778, "Lan", "lan_friend")


def forward(origin: dict, text: str) -> dict:
    return message_update(message(private(MINH), MINH, text, forward_origin=origin_user(origin)))


async def test_forwards_from_a_flagged_origin_read_as_follow_ups(harness: Harness):
    """A user forwards the scammer's opener (scam), then the scammer's push: the push is
    answered as suspicious, saying it follows the flagged message; the same push forwarded
    from somebody else, or after the window, is clean."""
    texts = harness.services.rules.texts
    await harness.feed(forward(SCAMMER, SCAM))
    await harness.feed(forward(SCAMMER, PUSH))
    opener, push = (c.params["text"] for c in harness.api.calls("sendMessage"))
    assert opener.startswith(texts.raw("en", "verdict.scam"))
    assert push.startswith(texts.raw("en", "verdict.suspicious"))
    assert "same sender" in push

    await harness.feed(forward(FRIEND, PUSH))
    assert harness.api.calls("sendMessage")[-1].params["text"].startswith(
        texts.raw("en", "verdict.clean"))

    await harness.feed(forward(SCAMMER, SCAM))
    harness.services.settings = replace(harness.services.settings, follow_up_hours=0.0)
    await harness.feed(forward(SCAMMER, PUSH))
    assert harness.api.calls("sendMessage")[-1].params["text"].startswith(
        texts.raw("en", "verdict.clean"))


async def test_a_forward_long_after_the_flagged_one_is_no_follow_up(harness: Harness):
    """The window counts from the stored check: a push forwarded a day and a half after the
    flagged opener, with the default 24 hours, is read as any message."""
    storage = harness.services.storage
    assert harness.services.settings.follow_up_hours == 24.0
    real_clock = storage._clock
    storage._clock = lambda: datetime.now(UTC) - timedelta(hours=36)
    try:
        await harness.feed(forward(SCAMMER, SCAM))
    finally:
        storage._clock = real_clock
    await harness.feed(forward(SCAMMER, PUSH))
    texts = harness.services.rules.texts
    opener, push = (c.params["text"] for c in harness.api.calls("sendMessage"))
    assert opener.startswith(texts.raw("en", "verdict.scam"))
    assert push.startswith(texts.raw("en", "verdict.clean"))


async def test_a_burst_from_one_sender_is_handled_in_order(harness: Harness):
    """Updates are handled concurrently; one sender's messages in a chat still go one after
    another, so a push posted right after the opener sees the opener's incident."""
    await _warn_only(harness)
    await asyncio.gather(harness.feed(post(CAROL, SCAM), settle=False),
                         harness.feed(post(CAROL, PUSH), settle=False))
    await harness.flush()
    incidents = await harness.services.storage.list_incidents(GROUP_ID)
    assert [i.verdict for i in incidents] == ["suspicious", "scam"]


async def test_forwards_sent_at_once_are_checked_in_order(harness: Harness):
    """A user forwarding several messages at once: the push is checked after the opener
    (one user's private checks go one after another)."""
    texts = harness.services.rules.texts
    await asyncio.gather(harness.feed(forward(SCAMMER, SCAM)),
                         harness.feed(forward(SCAMMER, PUSH)))
    opener, push = (c.params["text"] for c in harness.api.calls("sendMessage"))
    assert opener.startswith(texts.raw("en", "verdict.scam"))
    assert push.startswith(texts.raw("en", "verdict.suspicious"))


async def test_keyed_locks_serialise_one_key_and_are_dropped_when_unused() -> None:
    """Jobs of one key run one after another in the order they came; another key is not held
    up; no lock outlives its last user."""
    locks = KeyedLocks()
    order: list[str] = []

    async def job(key: int, name: str, delay: float) -> None:
        async with locks(key):
            order.append(f"{name}+")
            await asyncio.sleep(delay)
            order.append(f"{name}-")

    await asyncio.gather(job(1, "a", 0.02), job(1, "b", 0.0), job(2, "c", 0.0))
    assert order.index("a-") < order.index("b+")
    assert order.index("c-") < order.index("a-")
    gc.collect()
    assert len(locks) == 0
