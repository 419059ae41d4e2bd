"""The detector as a whole: checks combined, framing, odd input, and the request contract."""

from __future__ import annotations

import pytest

from bot.core import CheckRequest, Detector, RequestError, load_ruleset
from bot.core.detector import MAX_TEXT, clip
from rules import RULES_DIR

DETECTOR = Detector(load_ruleset(RULES_DIR))
SAMPLE = ("Hello, I am from the official support team. We noticed your ticket about the failed "
          "withdrawal. Please contact our live agent @CryptoHelpDesk_Live to resolve it within 24 "
          "hours, otherwise your funds will stay frozen.")


def rules_of(text: str) -> set[str]:
    return {h.rule for h in DETECTOR.check(CheckRequest(text)).hits}


def test_edited_known_scam_is_caught() -> None:
    """A copy of a known scam with another handle is a near-duplicate."""
    assert "similar.known-scam" in rules_of(SAMPLE.replace("CryptoHelpDesk_Live", "bnb_care"))


@pytest.mark.parametrize(
    "frame",
    ["Someone sent me this, is this a scam? \"{}\"", "Beware of messages like this: {}"],
    ids=["question", "advice"],
)
def test_quoted_known_scam_in_a_discussion_is_not_a_near_duplicate(frame: str) -> None:
    """A known scam quoted in a question or a warning is discussed, not sent."""
    assert "similar.known-scam" not in rules_of(frame.format(SAMPLE))


def test_framing_keeps_dangerous_links_flagged() -> None:
    """Framing does not hide a blocklisted or look-alike link: it is dangerous to click."""
    hits = rules_of("Is this a scam? They told me to log in at binance-verify-account.com")
    assert any(r.startswith("link.") for r in hits)


@pytest.mark.parametrize(
    "text",
    ["", " ", "\u202e\u202d\u2066" * 1000, "🔥" * 50_000, "\x00\x01\x02\x1b[2J", "a" * 120_000,
     "\U0010ffff" * 10, "ｓｅｎｄ　ｍｅ　ｙｏｕｒ　ｓｅｅｄ　ｐｈｒａｓｅ"],
    ids=["empty", "space", "bidi", "emoji-flood", "controls", "huge", "private-use",
         "fullwidth"],
)
def test_any_unicode_gets_a_verdict(text: str) -> None:
    """Any text, however odd or large, gets a verdict with a score in [0, 1]."""
    verdict = DETECTOR.check(CheckRequest(text))
    assert verdict.verdict in ("clean", "suspicious", "scam")
    assert 0.0 <= verdict.score <= 1.0


def test_fullwidth_request_is_caught() -> None:
    """Fullwidth letters are folded before matching."""
    text = "ｓｅｎｄ ｍｅ ｙｏｕｒ ｓｅｅｄ ｐｈｒａｓｅ"
    assert DETECTOR.check(CheckRequest(text)).verdict == "scam"


def test_long_text_keeps_head_and_tail() -> None:
    """Beyond MAX_TEXT, the head and the tail of a message are checked."""
    text = "x" * (MAX_TEXT * 2) + " send me your seed phrase now"
    assert len(clip(text)) <= MAX_TEXT + 1
    assert DETECTOR.check(CheckRequest(text)).verdict == "scam"


def test_text_over_telegram_limit_is_cut_and_the_cut_recorded() -> None:
    """A text over 4,096 characters (Telegram's limit) is matched on its head and tail only,
    and the verdict says how much of how long a text was matched; a text of exactly 4,096
    characters is matched whole and carries no cut."""
    assert MAX_TEXT == 4096
    long_text = "gm " * 5000
    verdict = DETECTOR.check(CheckRequest(long_text))
    assert verdict.cut == (4096, len(long_text))
    assert verdict.to_dict()["cut"] == {"matched": 4096, "length": len(long_text)}
    assert len(clip(long_text)) <= MAX_TEXT + 1
    whole = ("x" * (MAX_TEXT - 30)) + " send me your seed phrase"
    assert len(whole) <= MAX_TEXT
    verdict = DETECTOR.check(CheckRequest(whole))
    assert verdict.cut is None and "cut" not in verdict.to_dict()
    assert verdict.verdict == "scam"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "missing 'text'"),
        ({"text": 5}, "'text' must be a string"),
        ({"text": "x", "urls": "http://a"}, "'urls' must be a list of strings"),
        ({"text": "x", "sender": "bob"}, "sender must be an object"),
        ({"text": "x", "sender": {"id": "12"}}, "sender.id must be an integer"),
        ({"text": "x", "chat": {"admins": {"a": 1}}}, "chat.admins must be a list"),
        ({"text": "x", "forward_from": {"type": "bot"}}, "forward_from.type must be one of"),
        ([], "input must be an object"),
    ],
    ids=["no-text", "text-type", "urls-type", "sender-type", "sender-id", "admins-type",
         "forward-type", "not-object"],
)
def test_bad_requests_are_clear_errors(data: object, error: str) -> None:
    """A scan-input object that breaks the contract is a RequestError that says what."""
    with pytest.raises(RequestError, match=error):
        CheckRequest.from_dict(data)


def test_request_round_trips() -> None:
    """A request read from JSON writes back the same object."""
    data = {"text": "t", "urls": ["https://a.example"], "lang": "vi",
            "sender": {"name": "N", "username": "u", "id": 3},
            "forward_from": {"name": "C", "type": "channel"},
            "chat": {"type": "group", "title": "G", "admins": [{"name": "A", "id": 1}]}}
    assert CheckRequest.from_dict(data).to_dict() == data


def test_lone_surrogates_get_a_verdict() -> None:
    """A lone surrogate (from a JSON escape or undecodable bytes) is replaced, not a crash."""
    for text in ("\ud800", "send your seed phrase \udce9 now", "\udcff" * 5000):
        verdict = DETECTOR.check(CheckRequest(text))
        assert verdict.verdict in ("clean", "suspicious", "scam")
    assert DETECTOR.check(CheckRequest("send me your seed phrase \ud83d")).verdict == "scam"


def test_a_notice_that_sends_you_to_the_brands_own_site_is_no_fake_support() -> None:
    """`@official_link`: every link of the message opens the brand's official domain. The
    account-problem rule does not fire then; the same notice with a look-alike link does."""
    rules = load_ruleset(RULES_DIR)
    detector = Detector(rules)
    notice = ("Kraken: a new device logged in to your account. If this wasn't you, change your "
              "password and contact support via {}")
    genuine = detector.prepare(CheckRequest(notice.format("kraken.com")))
    fake = detector.prepare(CheckRequest(notice.format("kraken-secure-login.com")))
    assert genuine.official_links and not fake.official_links
    fired = {r.id for r in rules.patterns.fired(genuine)}
    assert "fake-support.account-problem" not in fired
    assert "fake-support.account-problem" in {r.id for r in rules.patterns.fired(fake)}
    # no link at all is not an official link
    assert not detector.prepare(CheckRequest("your account is locked, call us")).official_links
