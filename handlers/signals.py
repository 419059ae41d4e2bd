"""Signals across groups. A sender the scam policy removed in one group of this instance is
flagged on their first message in each other group (the reputation decays; an admin's "Not a
scam" clears it). New members can be looked up in Combot Anti-Spam (CAS), off by default."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from telegram import ChatPermissions, Message, Update, User
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.core.model import Hit, Severity, Verdict
from bot.errors import ScamguardError
from bot.replies import Html, escape
from bot.storage import ChatSettings
from bot.wiring.admins import person_from_user
from bot.wiring.services import Services, services_of
from handlers.cleanup import schedule_deletion
from handlers.group import TELEGRAM_SERVICE_USER, attempt, not_scam_button
from handlers.logchat import log_soon, post_log

log = logging.getLogger(__name__)

SEEN_KEY = "signals_seen"
MAX_SEEN = 100_000
# After the group watch (0) and the language guess (1).
SIGNALS_GROUP = 2
REPUTATION_HIT = Hit(rule="reputation.removed-elsewhere", category="known_scam",
                     severity=Severity.HIGH, reason="removed as a scammer in another group")
CAS_HIT = Hit(rule="cas.listed", category="known_scam", severity=Severity.CRITICAL,
              reason="listed by Combot Anti-Spam")


def seen_of(application: Application) -> OrderedDict[tuple[int, int], None]:
    seen = application.bot_data.get(SEEN_KEY)
    if not isinstance(seen, OrderedDict):
        seen = application.bot_data[SEEN_KEY] = OrderedDict()
    return seen


def first_message(application: Application, chat_id: int, user_id: int) -> bool:
    """Whether this is the first message of the user in the chat that this process sees."""
    seen = seen_of(application)
    key = (chat_id, user_id)
    if key in seen:
        return False
    seen[key] = None
    while len(seen) > MAX_SEEN:
        seen.popitem(last=False)
    return True


async def _notice(application: Application, services: Services, settings: ChatSettings,
                  chat_id: int, text: str, incident_id: int | None,
                  reply_to: int | None = None) -> None:
    texts = services.rules.texts
    lang = texts.language(settings.language)
    markup = not_scam_button(texts, lang, [incident_id]) if incident_id is not None else None
    try:
        sent = await application.bot.send_message(
            chat_id, text, reply_markup=markup, reply_to_message_id=reply_to,
            allow_sending_without_reply=True)
    except TelegramError as exc:
        log.info("could not post a notice in chat %s: %s", chat_id, exc)
        return
    schedule_deletion(application, chat_id, [sent.message_id], settings.delete_after)


def mention_html(user: User) -> Html:
    return Html(f'<a href="tg://user?id={user.id}">{escape(user.full_name, 64)}</a>')


async def check_reputation(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A member's first message here: flag them when the scam policy removed them in
    another group of this instance and their reputation has not decayed below the bar."""
    message = update.effective_message
    if message is None or message.from_user is None or message.sender_chat is not None:
        return
    user = message.from_user
    if user.is_bot or user.id == TELEGRAM_SERVICE_USER:
        return
    application = context.application
    chat_id = message.chat.id
    if not first_message(application, chat_id, user.id):
        return
    services = services_of(context)
    reputation = await services.storage.get_reputation(user.id)
    if reputation is None or reputation.chat_id == chat_id:
        return
    score = reputation.score_at(datetime.now(UTC), services.reputation_half_life)
    if score < services.reputation_threshold:
        return
    settings = await services.chat_settings.get(chat_id)
    if user.id in settings.trusted_users or await services.admins.is_admin(
            context.bot, chat_id, user.id):
        return
    # Once per chat and removal, whichever worker sees the message (this process's memory of
    # first messages only spares the database the question for every message).
    if not await services.storage.claim_reputation_flag(user.id, chat_id):
        return
    await flag_message(application, services, settings, message, user, min(score, 1.0))


async def flag_message(application: Application, services: Services, settings: ChatSettings,
                       message: Message, user: User, score: float) -> None:
    """Store the flag as an incident of this chat, say it in the group, log it."""
    chat_id = message.chat.id
    text = message.text or message.caption or ""
    incident: int | None = None
    try:
        incident, earlier = await services.storage.add_or_get_incident(
            chat_id, message.message_id, user.id, "suspicious", max(0.0, min(score, 1.0)),
            [REPUTATION_HIT], text, keep_full=settings.keep_evidence,
            edit_date=int(message.edit_date.timestamp()) if message.edit_date else 0)
    except ScamguardError as exc:
        log.error("reputation flag in chat %s not stored: %s", chat_id, exc)
        earlier = None
    if earlier is not None:
        return  # the group watch found this message and acted or warned already
    texts = services.rules.texts
    lang = texts.language(settings.language)
    await _notice(application, services, settings, chat_id,
                  texts.text(lang, "onboard.reputation_flag", name=mention_html(user)),
                  incident, reply_to=message.message_id)
    if incident is not None:
        await services.storage.record_action(incident, "warn", True)
    if settings.log_chat is not None:
        log_soon(application, post_log(
            application.bot, services, chat_id, message.chat.title or "", action="warn",
            sender=person_from_user(user), verdict=None, text=text, incident_id=incident,
            why=[str(texts.raw(lang, "onboard.act_reputation"))]))


async def screen_with_cas(application: Application, services: Services, settings: ChatSettings,
                          chat_id: int, chat_title: str, user: User) -> bool:
    """Look a joining member up in CAS when the group asks for it; a listed member is
    banned or muted per the group's scam action (warned about otherwise). True when CAS
    listed them. CAS down or slow: False, and the bot goes on."""
    if not settings.cas:
        return False
    listed = await services.cas.banned(user.id)
    if not listed:
        return False
    bot = application.bot
    verdict = Verdict("scam", 1.0, (CAS_HIT,))
    incident: int | None = None
    try:
        incident = await services.storage.add_incident(
            chat_id, None, user.id, "scam", 1.0, [CAS_HIT], user.full_name)
    except ScamguardError as exc:
        log.error("CAS incident in chat %s not stored: %s", chat_id, exc)
    action = "none"
    if settings.scam_action == "ban":
        if await attempt(services, incident, "ban", bot.ban_chat_member(chat_id, user.id)) \
                is None:
            action = "ban"
    elif settings.scam_action == "restrict":
        until = datetime.now(UTC) + timedelta(hours=settings.restrict_hours)
        call = bot.restrict_chat_member(chat_id, user.id, ChatPermissions.no_permissions(),
                                        until_date=until)
        if await attempt(services, incident, "restrict", call) is None:
            action = "restrict"
    texts = services.rules.texts
    lang = texts.language(settings.language)
    await _notice(application, services, settings, chat_id,
                  texts.text(lang, "onboard.cas_banned", name=mention_html(user)), incident)
    if incident is not None:
        await services.storage.record_action(incident, "warn", True)
    if settings.log_chat is not None:
        log_soon(application, post_log(
            bot, services, chat_id, chat_title, action=action, sender=person_from_user(user),
            verdict=verdict, text="", incident_id=incident,
            why=[str(texts.raw(lang, "onboard.act_cas"))]))
    return True


def register(application: Application) -> None:
    """The reputation check on group messages (after the group watch)."""
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
                       & ~filters.StatusUpdate.ALL, check_reputation),
        group=SIGNALS_GROUP)
