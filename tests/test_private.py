"""Private chat: /start, /help, /region, /language, checks of forwarded or pasted messages,
/evidence, rate limits, and messages without text. Real PTB stack on the in-process fake."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiohttp import web

from bot.linkexpand import LinkExpander
from bot.replies import escape
from tests.conftest import Harness
from tests.fakes.updates import (
    channel,
    message,
    message_update,
    origin_channel,
    origin_hidden,
    origin_user,
    person,
    private,
    text_link,
)

SCAM_TEXT = ("Hello, I am from Binance support. To unlock your account send me your "
             "12-word recovery phrase")
CLEAN_TEXT = "Are we still meeting for lunch at noon tomorrow?"


def user(user_id: int = 5001, lang: str | None = "en", name: str = "Minh") -> dict[str, Any]:
    extra = {"language_code": lang} if lang else {}
    return person(user_id, name, f"user{user_id}", **extra)


def say(sender: dict[str, Any], text: str | None = None, **kw: Any) -> dict[str, Any]:
    """A private message from `sender` to the bot."""
    return message_update(message(private(sender), sender, text, **kw))


def command(sender: dict[str, Any], text: str) -> dict[str, Any]:
    """A private command message, with its bot_command entity."""
    name = text.split()[0]
    return say(sender, text, entities=[{"type": "bot_command", "offset": 0,
                                        "length": len(name)}])


def replies(h: Harness, chat_id: int) -> list[str]:
    return h.api.sent_texts(chat_id)


async def test_start_in_users_telegram_language(harness: Harness) -> None:
    """/start answers in the language of the user's Telegram app."""
    texts = harness.services.rules.texts
    u = user(lang="vi")
    await harness.feed(command(u, "/start"))
    (sent,) = harness.api.calls("sendMessage")
    assert sent.params["text"] == texts.text("vi", "private.start")
    assert sent.params["parse_mode"] == "HTML"
    [[button]] = sent.params["reply_markup"]["inline_keyboard"]
    assert button["text"] == texts.raw("vi", "onboard.add_to_group")


async def test_help_shows_default_region_of_language(harness: Harness) -> None:
    """/help names the region derived from the Telegram language (id -> ID)."""
    u = user(lang="id")
    await harness.feed(command(u, "/help"))
    (text,) = replies(harness, u["id"])
    assert "sekarang: ID" in text
    assert "sv (Svenska)" in text


@pytest.mark.parametrize(
    ("arg", "stored", "needle"),
    [("sg", "SG", "Region set to SG."), ("global", "ZZ", "Region set to global."),
     ("XX", None, "I do not know the region XX"),
     ("", None, "Choose a language, then your country:")],
    ids=["sg", "global", "unknown", "missing"],
)
async def test_region_command(harness: Harness, arg: str, stored: str | None,
                              needle: str) -> None:
    """/region stores a known region and refuses an unknown one without storing it."""
    u = user()
    await harness.feed(command(u, f"/region {arg}".strip()))
    assert needle in replies(harness, u["id"])[0]
    prefs = await harness.services.storage.get_user_prefs(u["id"])
    assert prefs.region == stored


async def test_region_changes_contacts_of_verdict(harness: Harness) -> None:
    """After /region TH a verdict lists the Thai hotline."""
    u = user()
    await harness.feed(command(u, "/region TH"))
    await harness.feed(say(u, SCAM_TEXT))
    assert "1441" in replies(harness, u["id"])[-1]


@pytest.mark.parametrize(
    ("arg", "stored", "answer_lang"),
    [("th", "th", "th"), ("zh-hans", "zh", "zh"), ("de", None, "en"), ("en", "en", "en"),
     ("", None, "en")],
    ids=["thai", "chinese-tag", "unknown", "english", "missing"],
)
async def test_language_command(harness: Harness, arg: str, stored: str | None,
                                answer_lang: str) -> None:
    """/language stores a supported language and answers in it; unknown ones are refused."""
    texts = harness.services.rules.texts
    u = user()
    await harness.feed(command(u, f"/language {arg}"))
    text = replies(harness, u["id"])[0]
    prefs = await harness.services.storage.get_user_prefs(u["id"])
    assert prefs.language == stored
    if stored:
        assert text == texts.text(answer_lang, "private.language_set")
    elif arg:
        assert "I do not know the language de" in text
    else:
        assert text == texts.text("en", "onboard.choose_language")


async def test_keep_evidence_is_the_users_choice(harness: Harness) -> None:
    """By default a check is stored redacted; after /keep on the full text is kept, and
    /keep alone tells the current choice."""
    texts = harness.services.rules.texts
    storage = harness.services.storage
    u = user()
    await harness.feed(say(u, SCAM_TEXT))
    assert (await storage.last_private_check(u["id"])).full_text is None
    await harness.feed(command(u, "/keep on"))
    await harness.feed(say(u, SCAM_TEXT))
    assert (await storage.last_private_check(u["id"])).full_text == SCAM_TEXT
    await harness.feed(command(u, "/keep"))
    await harness.feed(command(u, "/keep off"))
    assert (await storage.get_user_prefs(u["id"])).keep_evidence is False
    answers = [t for t in replies(harness, u["id"]) if not t.startswith("⛔")]
    assert answers == [texts.text("en", "private.keep_on")] * 2 + [
        texts.text("en", "private.keep_off")]


async def test_chosen_language_overrides_telegram_language(harness: Harness) -> None:
    """A verdict uses the /language choice, not the app language."""
    texts = harness.services.rules.texts
    u = user(lang="en")
    await harness.feed(command(u, "/language sv"))
    await harness.feed(say(u, SCAM_TEXT))
    answer = replies(harness, u["id"])[-1]
    assert texts.raw("sv", "rule.key-request.seed-phrase") in answer
    assert "114 14" not in answer  # the region stays the Telegram default (global)


async def test_pasted_scam_gets_verdict_reasons_tips_contacts(harness: Harness) -> None:
    """A pasted scam text gets the scam verdict, the reason, a tip and regional contacts."""
    texts = harness.services.rules.texts
    u = user(lang="vi")
    await harness.feed(say(u, SCAM_TEXT))
    (sent,) = harness.api.calls("sendMessage")
    text = sent.params["text"]
    assert text.startswith(texts.raw("vi", "verdict.scam"))
    assert texts.raw("vi", "rule.key-request.seed-phrase") in text
    assert texts.raw("vi", "tip.key_request") in text
    assert "156 / 5656" in text and "@NoToScam" in text
    assert sent.params["link_preview_options"] == {"is_disabled": True}
    stored = await harness.services.storage.last_private_check(u["id"])
    assert stored is not None and stored.verdict == "scam"


async def test_clean_text_is_honest(harness: Harness) -> None:
    """A harmless text gets the honest clean answer with the core advice."""
    texts = harness.services.rules.texts
    u = user()
    await harness.feed(say(u, CLEAN_TEXT))
    (text,) = replies(harness, u["id"])
    assert texts.raw("en", "verdict.clean") in text
    assert escape(texts.raw("en", "advice")[0]) in text


@pytest.mark.parametrize(
    ("origin", "needle"),
    [
        (origin_hidden("Binance <Support> & Co"), "Binance &lt;Support&gt; &amp; Co (hidden"),
        (origin_channel(channel(-1009, "Crypto \u202eNews", "cnews")),
         "the channel Crypto News (<code>@cnews</code>)"),
        (origin_user(person(77, "Ann", "ann_x")), "Ann (<code>@ann_x</code>)"),
    ],
    ids=["hidden-user", "channel", "user"],
)
async def test_forward_origin_is_shown(harness: Harness, origin: dict[str, Any],
                                       needle: str) -> None:
    """A forwarded message names where it came from, escaped, its handle not tappable."""
    u = user()
    await harness.feed(say(u, SCAM_TEXT, forward_origin=origin))
    assert needle in replies(harness, u["id"])[0]


async def test_forward_origin_is_part_of_the_check(harness: Harness) -> None:
    """The origin of a forward goes into the check and the evidence, the forwarder does not."""
    u = user(name="Minh")
    await harness.feed(say(u, SCAM_TEXT, forward_origin=origin_hidden("Binance Support")))
    await harness.feed(command(u, "/evidence"))
    evidence = replies(harness, u["id"])[-1]
    assert "Binance Support" in evidence
    assert "Minh" not in evidence


async def test_impersonating_origin_alone_is_suspicious(harness: Harness) -> None:
    """The same harmless-looking text is clean when pasted and suspicious when forwarded
    from an account named like a brand's support."""
    texts = harness.services.rules.texts
    u = user(lang="sv")
    text = "Hello, see you at the meeting tomorrow"
    await harness.feed(say(u, text))
    await harness.feed(say(u, text, forward_origin=origin_hidden("Binance Support")))
    pasted, forwarded = replies(harness, u["id"])
    assert pasted.startswith(texts.raw("sv", "verdict.clean"))
    assert forwarded.startswith(texts.raw("sv", "verdict.suspicious"))
    assert texts.raw("sv", "rule.impersonation.brand-support") in forwarded


@pytest.mark.parametrize(
    "kw",
    [{"sticker": True}, {"photo": True}, {"text": "   "}],
    ids=["sticker", "photo-without-caption", "blank-text"],
)
async def test_nothing_to_check(harness: Harness, kw: dict[str, Any]) -> None:
    """Stickers, pictures without caption and blank texts get a hint, not a crash."""
    texts = harness.services.rules.texts
    u = user()
    text = kw.pop("text", None)
    await harness.feed(say(u, text, **kw))
    assert replies(harness, u["id"]) == [texts.text("en", "private.nothing_to_check")]
    assert await harness.services.storage.last_private_check(u["id"]) is None


async def test_caption_is_checked(harness: Harness) -> None:
    """A picture with a scam caption is checked like a text."""
    u = user()
    await harness.feed(say(u, photo=True, caption=SCAM_TEXT))
    assert replies(harness, u["id"])[0].startswith("⛔")


async def test_huge_text_is_answered(harness: Harness) -> None:
    """A text far beyond Telegram's limit is checked and answered within one message."""
    u = user()
    await harness.feed(say(u, ("lorem ipsum " * 20_000) + SCAM_TEXT))
    (text,) = replies(harness, u["id"])
    assert text.startswith("⛔") and len(text) < 4096


async def test_hidden_link_goes_to_evidence(harness: Harness) -> None:
    """A text_link's hidden target is listed in the evidence."""
    u = user()
    text = "Claim your airdrop here before it ends"
    entity = text_link(text, "here", "https://claim-airdrop.xyz/connect")
    await harness.feed(say(u, text, entities=[entity]))
    await harness.feed(command(u, "/evidence"))
    assert "https://claim-airdrop.xyz/connect" in replies(harness, u["id"])[-1]


async def test_evidence_before_any_check(harness: Harness) -> None:
    """/evidence without a previous check says to check a message first."""
    texts = harness.services.rules.texts
    u = user()
    await harness.feed(command(u, "/evidence"))
    assert replies(harness, u["id"]) == [texts.text("en", "private.evidence_none")]
    assert harness.api.calls("sendDocument") == []


async def test_evidence_text_and_json_file(harness: Harness) -> None:
    """/evidence sends the summary with the agency, and a JSON file with the indicators."""
    u = user(lang="ms")
    text = SCAM_TEXT + " or message @fake_binance_help at https://binance-verify.top"
    origin = {**origin_hidden("Binance Help"), "date": 1_700_000_000}
    await harness.feed(say(u, text, forward_origin=origin))
    await harness.feed(command(u, "/evidence"))
    summary = replies(harness, u["id"])[-1]
    assert "Ringkasan bukti" in summary
    assert "Pusat Respons Scam Kebangsaan (NSRC)" in summary
    (doc,) = harness.api.calls("sendDocument")
    data = json.loads(doc.files["document"].decode("utf-8"))
    assert data["verdict"] == "scam"
    assert data["report_to"]["region"] == "MY"
    assert "Binance Help" in json.dumps(data["indicators"])
    assert any("binance-verify.top" in url for url in data["indicators"]["urls"])
    assert "@fake_binance_help" in data["indicators"]["handles"]
    assert data["indicators"]["times"][0] == "2023-11-14T22:13:20+00:00"
    assert len(data["indicators"]["times"]) == 2
    assert "2023-11-14T22:13:20+00:00" in summary
    assert {h["rule"] for h in data["hits"]} >= {"key-request.seed-phrase"}


async def test_evidence_after_restart_comes_from_storage(harness: Harness) -> None:
    """With the in-memory check gone, /evidence uses the stored (redacted) last check."""
    from handlers.private import RECENT_KEY, RecentChecks

    u = user()
    await harness.feed(say(u, SCAM_TEXT))
    harness.app.bot_data[RECENT_KEY] = RecentChecks()
    await harness.feed(command(u, "/evidence"))
    assert "Evidence summary" in replies(harness, u["id"])[-1]
    assert len(harness.api.calls("sendDocument")) == 1


async def test_rate_limit_per_user(harness: Harness) -> None:
    """Past 20 checks a minute the user is told once, then ignored; others are unaffected."""
    texts = harness.services.rules.texts
    u, other = user(5001), user(5002)
    for _ in range(23):
        await harness.feed(say(u, CLEAN_TEXT))
    await harness.feed(say(other, CLEAN_TEXT))
    mine = replies(harness, u["id"])
    assert len(mine) == 21
    assert mine[-1] == texts.text("en", "private.rate_limited")
    assert len(replies(harness, other["id"])) == 1


async def test_blocked_user_does_not_break_the_bot(harness: Harness) -> None:
    """A user who blocked the bot meanwhile: the check is kept, the answer dropped quietly,
    and /evidence sends no file after its summary failed."""
    u = user()
    harness.api.block(u["id"])
    await harness.feed(say(u, SCAM_TEXT))
    await harness.feed(command(u, "/evidence"))
    assert await harness.services.storage.last_private_check(u["id"]) is not None
    assert len(harness.api.calls("sendMessage")) == 2
    assert harness.api.calls("sendDocument") == []


@pytest.fixture
async def redirector() -> AsyncIterator[str]:
    """A loopback server whose /go redirects to a look-alike host (resolved to loopback)."""
    async def go(request: web.Request) -> web.StreamResponse:
        port = request.url.port
        raise web.HTTPFound(f"http://binance-verify.xyz:{port}/final")

    async def final(request: web.Request) -> web.StreamResponse:
        return web.Response(text="end")

    app = web.Application()
    app.router.add_get("/go", go)
    app.router.add_get("/final", final)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield str(port)
    finally:
        await runner.cleanup()


async def loopback_only(name: str) -> Sequence[str]:
    """Test resolver: the two test hosts are on loopback, nothing else resolves."""
    if name in ("bit.ly", "binance-verify.xyz"):
        return ["127.0.0.1"]
    raise OSError(f"{name} unknown")


async def test_shortened_link_is_expanded_and_judged(harness: Harness, redirector: str) -> None:
    """A shortened link is followed (loopback only here) and its look-alike target judged."""
    harness.services.expander = LinkExpander(
        address_allowed=lambda ip: ip == ipaddress.ip_address("127.0.0.1"),
        resolve=loopback_only, allowed_ports=None)
    u = user()
    await harness.feed(say(u, f"Have a look at http://bit.ly:{redirector}/go"))
    await harness.feed(command(u, "/evidence"))
    verdict, evidence = replies(harness, u["id"])
    assert "binance-verify.xyz" in verdict  # only the redirect target names it
    assert f"http://binance-verify.xyz:{redirector}/final" in evidence


SEED_WORDS = ("abandon ability able about above absent absorb abstract absurd abuse access "
              "accident")
PHONE_TEXT = "is this safe to keep? call +84 912 345 678 " + SEED_WORDS


@pytest.mark.parametrize(
    ("keep", "restart", "phone_kept"),
    [(False, False, False), (True, False, True), (False, True, False), (True, True, True)],
    ids=["keep-off", "keep-on", "keep-off-from-storage", "keep-on-from-storage"],
)
async def test_evidence_never_gives_back_a_pasted_secret(
    harness: Harness, keep: bool, restart: bool, phone_kept: bool
) -> None:
    """/evidence keeps the redacted excerpt unless /keep on (then the full text), and never
    contains the recovery phrase, from memory or from storage."""
    from handlers.private import RECENT_KEY, RecentChecks

    u = user()
    if keep:
        await harness.feed(command(u, "/keep on"))
    await harness.feed(say(u, PHONE_TEXT))
    if restart:
        harness.app.bot_data[RECENT_KEY] = RecentChecks()
    await harness.feed(command(u, "/evidence"))
    (doc,) = harness.api.calls("sendDocument")
    raw = doc.files["document"].decode("utf-8")
    data = json.loads(raw)
    assert "abandon ability" not in raw and "absurd abuse" not in raw
    assert "[recovery phrase removed]" in data["text"]
    assert ("912 345 678" in data["text"]) is phone_kept
    assert all("abandon" not in text for text in replies(harness, u["id"]))


async def test_evidence_keeps_phone_numbers_in_e164_of_the_users_region(
    harness: Harness,
) -> None:
    """A local number in a checked message is listed in the evidence in E.164, read in the
    region the user chose (/region VN)."""
    u = user(lang="vi")
    await harness.feed(command(u, "/region VN"))
    await harness.feed(say(u, "Chúc mừng bạn trúng thưởng, gọi Zalo 0912.345.678 để nhận quà"))
    await harness.feed(command(u, "/evidence"))
    evidence = replies(harness, u["id"])[-1]
    assert "+84912345678" in evidence
