"""Private chat: `/help`, `/region`, `/language` (typed codes; without one, the keyboards
of `handlers.onboarding`), `/keep`, a forwarded or pasted
message checked with the verdict, reasons, tips and contacts, and `/evidence` for the last
check."""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Message, Update, User
from telegram.error import Forbidden
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.core.indicators import extract_indicators
from bot.core.model import CheckRequest, ForwardOrigin, RequestError, Verdict
from bot.core.redact import KEY_REMOVED, PHRASE_REMOVED, excerpt
from bot.core.secrets import MNEMONIC, find_secrets
from bot.errors import ScamguardError
from bot.keyedlocks import KeyedLocks
from bot.linkexpand import expand_shortened
from bot.replies import (
    Texts,
    region_label,
    render_evidence,
    render_private_verdict,
)
from bot.wiring.services import Services, services_of
from handlers.adapter import to_check_request
from handlers.onboarding import send_language_keyboard, send_region_keyboard

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
RECENT_KEY = "private_recent_checks"
EVIDENCE_TTL = 3600.0
MAX_RECENT = 10_000
LIMIT_NOTICE_EVERY = 60.0
MAX_EVIDENCE_TEXT = 4096


def without_secrets(text: str) -> str:
    """The text with recovery phrases and private keys removed (everything else kept)."""
    out: list[str] = []
    pos = 0
    for secret in sorted(find_secrets(text, thorough=True), key=lambda s: s.start):
        if secret.start < pos:
            continue
        out.append(text[pos:secret.start])
        out.append(PHRASE_REMOVED if secret.kind == MNEMONIC else KEY_REMOVED)
        pos = secret.end
    out.append(text[pos:])
    return "".join(out)


def evidence_text(text: str, keep_full: bool) -> str:
    """The text `/evidence` may give back: the redacted excerpt, or with `/keep on` the full
    text; a recovery phrase or private key is never in either."""
    if keep_full:
        return without_secrets(text)[:MAX_EVIDENCE_TEXT]
    return excerpt(text)


@dataclass(frozen=True)
class Reader:
    """Who reads a private answer: the language and region to answer with."""

    lang: str
    region: str
    keep_evidence: bool = False


@dataclass(frozen=True)
class RecentCheck:
    """The last check of a user, kept in memory for `/evidence` (with full indicators)."""

    at: float
    checked_at: str
    verdict: Verdict
    indicators: dict[str, Any]
    text: str


class RecentChecks:
    """Each user's last check for an hour; oldest users forgotten first."""

    def __init__(self, ttl: float = EVIDENCE_TTL, max_users: int = MAX_RECENT) -> None:
        self.ttl = ttl
        self.max_users = max_users
        self._checks: OrderedDict[int, RecentCheck] = OrderedDict()
        self._limit_told: dict[int, float] = {}

    def put(self, user_id: int, check: RecentCheck) -> None:
        self._checks[user_id] = check
        self._checks.move_to_end(user_id)
        while len(self._checks) > self.max_users:
            self._checks.popitem(last=False)

    def get(self, user_id: int) -> RecentCheck | None:
        check = self._checks.get(user_id)
        if check is None or time.monotonic() - check.at > self.ttl:
            return None
        return check

    def should_tell_limit(self, user_id: int) -> bool:
        """Whether to tell a rate-limited user (at most once a minute)."""
        now = time.monotonic()
        if now - self._limit_told.get(user_id, -LIMIT_NOTICE_EVERY) < LIMIT_NOTICE_EVERY:
            return False
        if len(self._limit_told) > self.max_users:
            self._limit_told.clear()
        self._limit_told[user_id] = now
        return True


def recent_of(application: Application) -> RecentChecks:
    recent = application.bot_data.get(RECENT_KEY)
    if not isinstance(recent, RecentChecks):
        recent = application.bot_data[RECENT_KEY] = RecentChecks()
    return recent


async def reader_of(services: Services, user: User) -> Reader:
    """The user's chosen language and region, else those of their Telegram language."""
    texts = services.rules.texts
    prefs = await services.storage.get_user_prefs(user.id)
    lang = texts.language(prefs.language or user.language_code)
    region = texts.region(prefs.region) or texts.region_of(user.language_code)
    return Reader(lang, region, prefs.keep_evidence)


async def _answer(message: Message, text: str) -> bool:
    """Reply in the private chat; False when the user has blocked the bot meanwhile."""
    try:
        await message.reply_text(text)
    except Forbidden as exc:
        log.info("user %s cannot be answered: %s", message.chat.id, exc.message)
        return False
    return True



def _choices(texts: Texts) -> dict[str, str]:
    return {
        "languages": ", ".join(f"{code} ({texts.names.get(code, code)})"
                               for code in texts.languages),
        "regions": ", ".join([*texts.regions, "global"]),
    }


async def show_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands, the current language and region, and the choices."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    reader = await reader_of(services, user)
    await _answer(message, texts.text(
        reader.lang, "private.help", region=region_label(reader.region),
        language=reader.lang, **_choices(texts)))


async def set_region(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/region XX: the region whose reporting contacts the user gets."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    reader = await reader_of(services, user)
    wanted = (context.args or [""])[0].strip()
    if not wanted:
        await send_region_keyboard(message, texts, reader.lang)
        return
    region = texts.region(wanted)
    if region is None:
        await _answer(message, texts.text(reader.lang, "private.region_unknown",
                                          region=wanted, **_choices(texts)))
        return
    await services.storage.set_user_prefs(user.id, region=region)
    await _answer(message, texts.text(reader.lang, "private.region_set",
                                      region=region_label(region)))


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language xx: the language of the bot's answers to this user."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    reader = await reader_of(services, user)
    wanted = (context.args or [""])[0].strip().lower()
    if not wanted:
        await send_language_keyboard(message, texts, reader.lang)
        return
    lang = texts.language(wanted)
    if lang == "en" and not wanted.startswith("en"):
        await _answer(message, texts.text(reader.lang, "private.language_unknown",
                                          language=wanted, **_choices(texts)))
        return
    await services.storage.set_user_prefs(user.id, language=lang)
    await _answer(message, texts.text(lang, "private.language_set"))


async def set_keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/keep on|off: keep the full text of the user's checks for /evidence, or only the
    redacted excerpt (the default)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    reader = await reader_of(services, user)
    wanted = (context.args or [""])[0].strip().lower()
    if wanted not in ("on", "off"):
        key = "private.keep_on" if reader.keep_evidence else "private.keep_off"
        await _answer(message, texts.text(reader.lang, key))
        return
    await services.storage.set_user_prefs(user.id, keep_evidence=wanted == "on")
    await _answer(message, texts.text(reader.lang, f"private.keep_{wanted}"))


def indicators_of(request: CheckRequest, message: Message,
                  region: str | None = None) -> dict[str, Any]:
    """The evidence indicators of a checked message (local phone numbers read in the user's
    region), with the times it was sent."""
    found = extract_indicators(request, region).to_dict()
    times = []
    if message.forward_origin is not None:
        times.append(message.forward_origin.date)
    times.append(message.date)
    found["times"] = [t.astimezone(UTC).isoformat() for t in dict.fromkeys(times)]
    return found


async def follows_flagged_forward(services: Services, user_id: int,
                                  origin: ForwardOrigin | None) -> bool:
    """Whether the user's last check was a flagged forward from the same origin, within the
    follow-up window (SCAMGUARD_FOLLOW_UP_HOURS): a user forwarding a conversation, or the
    scammer's next message after the first was flagged. A storage error reads as no."""
    hours = services.settings.follow_up_hours
    if hours <= 0 or origin is None:
        return False
    try:
        last = await services.storage.last_private_check(user_id)
    except ScamguardError as exc:
        log.error("could not read the last check of a user: %s", exc)
        return False
    if last is None or last.verdict == "clean":
        return False
    if datetime.now(UTC) - last.created_at > timedelta(hours=hours):
        return False
    before = last.indicators.get("forward_from")
    if not isinstance(before, dict):
        return False
    try:
        earlier = ForwardOrigin.from_dict(before)
    except RequestError:
        return False
    return earlier.same_as(origin)


async def check_private_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A forwarded or pasted message: answer with the verdict, reasons, tips and contacts.
    One user's checks go one after another (several forwards sent at once arrive together):
    a forward is read against the one before it (a follow-up)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    async with _USER_LOCKS(user.id):
        await _check_private_message(message, user, context)


_USER_LOCKS = KeyedLocks()


async def _check_private_message(message: Message, user: User,
                                 context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    texts = services.rules.texts
    recent = recent_of(context.application)
    if not services.limiter.allow("check", user.id):
        if recent.should_tell_limit(user.id):
            reader = await reader_of(services, user)
            await _answer(message, texts.text(reader.lang, "private.rate_limited"))
        return
    reader = await reader_of(services, user)
    # The user forwarding the message is not its author: the origin is what is checked.
    request = replace(to_check_request(message, lang=reader.lang), sender=None)
    if not request.text.strip() and not request.urls and request.forward_from is None:
        await _answer(message, texts.text(reader.lang, "private.nothing_to_check"))
        return
    started = time.perf_counter()
    verdict = services.rules.detector.check(request)
    services.metrics.observe_check("private", time.perf_counter() - started, verdict)
    # the last check is looked up only for a message it would change
    if verdict.open_to_follow_up and await follows_flagged_forward(
            services, user.id, request.forward_from):
        request = replace(request, follow_up=True)
        verdict = services.rules.detector.check(request)
    if services.expander is not None and not verdict.is_scam:
        links = services.rules.detector.rules.links
        expanded = await expand_shortened(request, services.expander, links)
        if expanded is not request:
            request = expanded
            verdict = services.rules.detector.check(request)
    indicators = indicators_of(request, message, reader.region)
    await services.storage.add_private_check(
        user.id, verdict.verdict, verdict.score, verdict.hits, indicators, request.text,
        keep_full=reader.keep_evidence,
    )
    checked_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    recent.put(user.id, RecentCheck(time.monotonic(), checked_at, verdict, indicators,
                                    evidence_text(request.text, reader.keep_evidence)))
    await _answer(message, render_private_verdict(
        verdict, texts=texts, lang=reader.lang, region=reader.region,
        origin=request.forward_from))


def evidence_json(check: RecentCheck, texts: Texts, region: str) -> dict[str, Any]:
    """The evidence file's content: verdict, hits, indicators, text, agency to send it to."""
    agency = texts.report_agency(region)
    return {
        "checked_at": check.checked_at,
        "verdict": check.verdict.verdict,
        "score": round(check.verdict.score, 4),
        "hits": [h.to_dict() for h in check.verdict.hits],
        "indicators": check.indicators,
        "text": check.text,
        "report_to": agency.to_dict() if agency is not None else None,
    }


async def send_evidence(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/evidence: the indicators of the last check as text and as a JSON file."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    reader = await reader_of(services, user)
    if not services.limiter.allow("command", user.id):
        return
    check = recent_of(context.application).get(user.id)
    if check is None:
        stored = await services.storage.last_private_check(user.id)
        if stored is None:
            await _answer(message, texts.text(reader.lang, "private.evidence_none"))
            return
        check = RecentCheck(
            0.0, stored.created_at.replace(microsecond=0).isoformat(),
            Verdict(stored.verdict, stored.score, stored.hits), dict(stored.indicators),
            without_secrets(stored.full_text) if stored.full_text else stored.excerpt,
        )
    if not await _answer(message, render_evidence(
            check.indicators, texts=texts, lang=reader.lang, region=reader.region,
            verdict=check.verdict.verdict, checked_at=check.checked_at)):
        return
    data = json.dumps(evidence_json(check, texts, reader.region), ensure_ascii=False, indent=2)
    stamp = check.checked_at[:19].replace(":", "").replace("-", "")
    await message.reply_document(
        document=data.encode("utf-8"), filename=f"evidence-{stamp}.json",
        caption=texts.text(reader.lang, "evidence.file_caption"),
    )


def register(application: Application) -> None:
    """Private-chat commands, then the checker for every other private message."""
    recent_of(application)
    application.add_handler(CommandHandler("help", show_help, PRIVATE))
    application.add_handler(CommandHandler("region", set_region, PRIVATE))
    application.add_handler(CommandHandler("language", set_language, PRIVATE))
    application.add_handler(CommandHandler("evidence", send_evidence, PRIVATE))
    application.add_handler(CommandHandler("keep", set_keep, PRIVATE))
    application.add_handler(MessageHandler(
        PRIVATE & filters.UpdateType.MESSAGE & ~filters.COMMAND, check_private_message))
