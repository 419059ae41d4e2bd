"""The adapter: a raw Telegram message, parsed by PTB, becomes the core's CheckRequest."""

from __future__ import annotations

import pytest
from telegram import Bot, Message

from bot.core.model import Anchor, ForwardOrigin, Person
from handlers.adapter import quoted_request, to_check_request
from tests.fakes import TOKEN
from tests.fakes.updates import (
    channel,
    group,
    message,
    origin_channel,
    origin_chat,
    origin_hidden,
    origin_user,
    person,
    text_link,
    url_button,
)

BOT = Bot(TOKEN)
CAROL = person(2001, "Carol", "carol", language_code="vi")
DAVE = person(2002, "Dave", "dave")


def parse(raw: dict) -> Message:
    return Message.de_json(raw, BOT)


def test_text_link_and_button_urls_are_hidden_links_with_anchors():
    """text_link targets and button URLs become urls and anchors; visible urls stay text."""
    text = "Visit 🎁 binance.com or https://example.org"
    raw = message(group(), CAROL, text,
                  entities=[text_link(text, "binance.com", "https://blnance.com/x"),
                            {"type": "url", "offset": 24, "length": 19}],
                  reply_markup=url_button("Claim", "https://bit.ly/y"))
    request = to_check_request(parse(raw))
    assert request.urls == ("https://blnance.com/x", "https://bit.ly/y")
    assert request.anchors == (Anchor("binance.com", "https://blnance.com/x"),
                               Anchor("Claim", "https://bit.ly/y"))
    assert request.text == text


def test_caption_entities_are_read():
    """A photo caption is the text, and its text_link is a hidden link."""
    caption = "Free airdrop here"
    raw = message(group(), CAROL, caption=caption, photo=True,
                  caption_entities=[text_link(caption, "here", "https://drain.example/")])
    request = to_check_request(parse(raw))
    assert request.text == caption and request.urls == ("https://drain.example/",)


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (origin_user(person(5, "Binance Support", "bnb_help")),
         ForwardOrigin("user", "Binance Support", "bnb_help", 5)),
        (origin_hidden("Crypto Helper"), ForwardOrigin("hidden_user", "Crypto Helper")),
        (origin_chat(group(-100500, "Pump Group")),
         ForwardOrigin("chat", "Pump Group", "", -100500)),
        (origin_channel(channel(-100600, "Airdrops", "airdrops_now")),
         ForwardOrigin("channel", "Airdrops", "airdrops_now", -100600)),
    ],
    ids=["user", "hidden-user", "chat", "channel"],
)
def test_forward_origins(origin, expected):
    """Every kind of forward_origin maps to the contract's forward_from."""
    request = to_check_request(parse(message(group(), CAROL, "hi", forward_origin=origin)))
    assert request.forward_from == expected


def test_sender_chat_and_admins_and_language():
    """The sender, the chat with its admins and the sender's language are carried over."""
    admins = (Person("Alice", "alice_admin", 1001),)
    request = to_check_request(parse(message(group(), CAROL, "hi")), admins=admins)
    assert request.sender == Person("Carol", "carol", 2001)
    assert request.chat is not None and request.chat.admins == admins
    assert request.chat.type == "supergroup" and request.lang == "vi"
    posted_as_channel = message(group(), None, "hi",
                                sender_chat=channel(-100600, "Airdrops", "airdrops_now"))
    assert to_check_request(parse(posted_as_channel)).sender == Person(
        "Airdrops", "airdrops_now", -100600)


def test_reply_and_quote_are_included_only_when_asked():
    """Quoted and replied-to text and links join the check only with include_reply."""
    replied = message(group(), CAROL, "Connect wallet",
                      reply_markup=url_button("Go", "https://drain.example/"))
    raw = message(group(), CAROL, "is this real?", reply_to=replied, quote="Connect")
    plain = to_check_request(parse(raw))
    assert plain.text == "is this real?" and plain.urls == ()
    full = to_check_request(parse(raw), include_reply=True)
    assert full.text == "is this real?\n\nConnect\n\nConnect wallet"
    assert full.urls == ("https://drain.example/",)


def test_media_without_caption_is_empty_text():
    """A sticker or a photo without caption gives an empty text, not an error."""
    request = to_check_request(parse(message(group(), CAROL, sticker=True)))
    assert request.text == "" and request.urls == ()


NEWS = channel(-100555, "Airdrop News", "airdrop_news")
EXTERNAL = {"origin": origin_channel(NEWS), "chat": NEWS, "message_id": 7,
            "link_preview_options": {"url": "https://claim-drop.example/x"}}


@pytest.mark.parametrize(
    ("raw", "text", "urls", "sender", "origin"),
    [
        (message(group(), CAROL, "hello"), None, (), None, None),
        (message(group(), CAROL, "is this real?", reply_to=message(group(), DAVE, "Send OTP"),
                 quote="OTP"),
         "OTP\n\nSend OTP", (), Person("Dave", "dave", 2002), None),
        (message(group(), CAROL, "is this real?", quote="Connect your wallet",
                 external_reply=EXTERNAL),
         "Connect your wallet", ("https://claim-drop.example/x",), None,
         ForwardOrigin("channel", "Airdrop News", "airdrop_news", -100555)),
    ],
    ids=["no-reply", "same-chat-reply-and-quote", "reply-to-another-chat"],
)
def test_quoted_request_holds_only_what_is_quoted(raw, text, urls, sender, origin):
    """The quoted request has the quote, the replied-to text and an external reply's link and
    origin, and none of the replying member's own words."""
    request = quoted_request(parse(raw))
    if text is None:
        assert request is None
        return
    assert request is not None
    assert request.text == text and "is this real" not in request.text
    assert request.urls == urls
    assert request.sender == sender and request.forward_from == origin


def test_external_reply_link_joins_include_reply():
    """A reply to another chat's message adds that message's link preview with include_reply."""
    raw = message(group(), CAROL, "is this real?", external_reply=EXTERNAL)
    assert to_check_request(parse(raw)).urls == ()
    assert to_check_request(parse(raw), include_reply=True).urls == (
        "https://claim-drop.example/x",)
