"""The optional log chat of a group: `/logchat` in the group gives an admin a link that picks
the chat (a group, or the private chat with the bot); the choice is confirmed there. From then
on every action in the group is posted there with its reason, the redacted excerpt and the
buttons Not a scam / Unban / Ban, which only the admins of the logged group can press."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.core.model import ForwardOrigin, Person, Verdict
from bot.core.redact import excerpt as redacted_excerpt
from bot.replies import Html, Texts, escape, inert, person_name, reasons
from bot.storage import Incident
from bot.wiring.services import Services, services_of

log = logging.getLogger(__name__)

CODE_TTL = 600.0
LOG_PREFIX = "lg:"
_LOG_RE = re.compile(r"lg:(?P<op>fp|ub|bn):(?P<incident>\d{1,18})")
OPS = {"fp": "not_scam", "ub": "unban", "bn": "ban"}
ANY_ADMIN = 0
# The audit `via` of a "Not a scam" pressed on a log entry (which is edited, not reposted).
VIA_LOG_CHAT = "log_chat"


async def new_code(services: Services, chat_id: int, title: str, admin_id: int) -> str:
    """A one-time code for a deep link (letters, digits, `_` and `-` only), kept in the
    database so that whichever worker receives the confirmation knows it."""
    code = secrets.token_urlsafe(12)
    await services.storage.add_log_chat_code(
        code, chat_id, title, admin_id, datetime.now(UTC) + timedelta(seconds=CODE_TTL))
    return code


async def _reply(bot: Bot, chat_id: int, text: str,
                 markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await bot.send_message(chat_id, text, reply_markup=markup,
                               disable_notification=True)
    except TelegramError as exc:
        log.info("could not answer in chat %s: %s", chat_id, exc)


async def chat_name(bot: Bot, chat_id: int) -> str:
    """A chat's title (a person's name for a private chat), its id when Telegram cannot
    say."""
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramError:
        return str(chat_id)
    return chat.title or chat.full_name or str(chat_id)


async def set_log_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/logchat in a group (admins): the link buttons that choose the log chat;
    `/logchat off` stops logging."""
    from handlers.admin import actor_of, admin_gate

    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, settings, lang = gate
    texts = services.rules.texts
    wanted = (context.args or [""])[0].strip().lower()
    if wanted == "off":
        await services.chat_settings.update(message.chat.id, actor_of(message), log_chat=None)
        await _reply(context.bot, message.chat.id, texts.text(lang, "onboard.logchat_off"))
        return
    # An anonymous admin (posting as the group) cannot be told apart: any admin may confirm.
    actor = 0 if message.sender_chat is not None else actor_of(message) or 0
    code = await new_code(services, message.chat.id, message.chat.title or "", actor)
    username = context.bot.username
    markup = InlineKeyboardMarkup([
        [InlineKeyboardButton(str(texts.raw(lang, "onboard.logchat_to_group")),
                              url=f"https://t.me/{username}?startgroup=log_{code}")],
        [InlineKeyboardButton(str(texts.raw(lang, "onboard.logchat_to_private")),
                              url=f"https://t.me/{username}?start=log_{code}")],
    ])
    lines = []
    if settings.log_chat is not None:
        lines.append(texts.text(lang, "onboard.logchat_now",
                                target=await chat_name(context.bot, settings.log_chat)))
    lines.append(texts.text(lang, "onboard.logchat_pick"))
    await _reply(context.bot, message.chat.id, "\n\n".join(lines), markup)


async def confirm_log_chat(update: Update, context: ContextTypes.DEFAULT_TYPE,
                           code: str) -> None:
    """`/start log_<code>` in the chat that is to get the log: the admin who asked (still an
    admin of the group, checked with Telegram) confirms it; the group is told."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    target = message.chat
    prefs = await services.storage.get_user_prefs(user.id)
    lang = texts.language(prefs.language or user.language_code)
    pending = await services.storage.get_log_chat_code(code)
    if (pending is None or pending.admin_id not in (ANY_ADMIN, user.id)
            or not await services.admins.is_admin(context.bot, pending.chat_id, user.id)):
        await _reply(context.bot, target.id, texts.text(lang, "onboard.logchat_expired"))
        return
    if target.id == pending.chat_id:
        await _reply(context.bot, target.id, texts.text(lang, "onboard.logchat_same"))
        return
    await services.storage.drop_log_chat_code(code)
    settings = await services.chat_settings.update(pending.chat_id, user.id, log_chat=target.id)
    group_lang = texts.language(settings.language)
    await _reply(context.bot, target.id,
                 texts.text(lang, "onboard.logchat_here", chat=pending.title))
    shown = (target.title if target.type != ChatType.PRIVATE else user.full_name) or ""
    await _reply(context.bot, pending.chat_id,
                 texts.text(group_lang, "onboard.logchat_set", target=shown))


# ---- log entries ------------------------------------------------------------------------


def log_buttons(texts: Texts, lang: str, incident_id: int) -> InlineKeyboardMarkup:
    """Not a scam / Unban / Ban for one incident."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(str(texts.raw(lang, "group.not_scam_button")),
                             callback_data=f"{LOG_PREFIX}fp:{incident_id}"),
        InlineKeyboardButton(str(texts.raw(lang, "onboard.button_unban")),
                             callback_data=f"{LOG_PREFIX}ub:{incident_id}"),
        InlineKeyboardButton(str(texts.raw(lang, "onboard.button_ban")),
                             callback_data=f"{LOG_PREFIX}bn:{incident_id}"),
    ]])


def log_text(services: Services, lang: str, chat_title: str, action: str,
             sender: Person | ForwardOrigin | None, why: Sequence[str], text: str) -> Html:
    """One log entry: the group, who, what was done, why, and the redacted excerpt."""
    texts = services.rules.texts
    shown = texts.lookup(lang, f"onboard.act_{action}") or action
    sender_html = escape(person_name(sender), 64)
    if isinstance(sender, Person) and sender.id is not None:
        sender_html = Html(f"{sender_html} [<code>{sender.id}</code>]")
    lines: list[str] = [texts.text(lang, "onboard.log_entry", chat=escape(chat_title, 64),
                        sender=sender_html, action=shown)]
    if why:
        lines.append(f"{escape(texts.raw(lang, 'onboard.log_why'))}{texts.colon(lang)}"
                     + "; ".join(escape(r) for r in why))
    cut = redacted_excerpt(text, 300)
    if cut:
        lines.append(f"{escape(texts.raw(lang, 'onboard.log_excerpt'))}{texts.colon(lang)}"
                     f"<i>{inert(cut)}</i>")
    return Html("\n".join(lines))


async def post_log(bot: Bot, services: Services, chat_id: int, chat_title: str, *,
                   action: str, sender: Person | ForwardOrigin | None,
                   verdict: Verdict | None, text: str, incident_id: int | None,
                   why: Sequence[str] = (), done_by: str | None = None) -> bool:
    """Post one action of a group to its log chat, if it has one; True when posted.
    `done_by` names who decided it (an admin, the web console), as a pressed log button
    does. A log chat that refuses (the bot was removed) is logged and the group goes on."""
    settings = await services.chat_settings.get(chat_id)
    if settings.log_chat is None:
        return False
    texts = services.rules.texts
    lang = texts.language(settings.language)
    reasons_shown = list(why) or (reasons(texts, lang, verdict) if verdict is not None else [])
    markup = log_buttons(texts, lang, incident_id) if incident_id is not None else None
    entry = log_text(services, lang, chat_title, action, sender, reasons_shown, text)
    if done_by is not None:
        done = texts.text(lang, "onboard.log_done",
                          action=texts.raw(lang, f"onboard.act_{action}"), name=done_by)
        entry = Html(f"{entry}\n{done}")
    try:
        await bot.send_message(
            settings.log_chat, entry, reply_markup=markup, disable_notification=True)
    except TelegramError as exc:
        log.warning("log chat %s of chat %s refused an entry: %s", settings.log_chat,
                    chat_id, exc)
        return False
    return True


async def post_marks(bot: Bot, services: Services, chat_id: int,
                     incidents: Sequence[Incident], *, action: str, done_by: str,
                     chat_title: str | None = None) -> None:
    """Log a decision someone made on incidents of a group outside its log chat (one entry
    per incident, with its buttons, its reasons and excerpt), if the group has a log chat."""
    settings = await services.chat_settings.get(chat_id)
    if settings.log_chat is None:
        return
    title = chat_title if chat_title is not None else await chat_name(bot, chat_id)
    for incident in incidents:
        sender = Person(id=incident.sender_id) if incident.sender_id is not None else None
        await post_log(bot, services, chat_id, title, action=action, sender=sender,
                       verdict=Verdict(incident.verdict, incident.score, incident.hits),
                       text=incident.excerpt, incident_id=incident.id, done_by=done_by)


_BACKGROUND: set[asyncio.Task[Any]] = set()


def log_soon(application: Application, coroutine: Coroutine[Any, Any, Any]) -> None:
    """Post a log entry in the background (a raid must not wait for the log chat's limit)."""
    if application.running:
        application.create_task(coroutine)
        return
    task = asyncio.get_running_loop().create_task(coroutine)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


# ---- the buttons ------------------------------------------------------------------------


async def _undo(application: Application, services: Services, op: str, incident: Incident,
                actor: int) -> bool:
    """Do what a log button asks on the incident's group; True when Telegram agreed.
    "Not a scam" is the same as everywhere else (`record_not_scam`, audited there)."""
    from handlers.group import attempt, record_not_scam

    bot = application.bot
    chat_id, sender = incident.chat_id, incident.sender_id
    if op == "fp":
        await record_not_scam(application, services, chat_id, [incident], actor,
                              via=VIA_LOG_CHAT)
        return True
    if sender is None:
        return False
    if op == "ub":
        call = (bot.unban_chat_sender_chat(chat_id, sender) if sender < 0
                else bot.unban_chat_member(chat_id, sender, only_if_banned=True))
        error = await attempt(services, incident.id, "unban", call)
        if error is None and sender > 0:
            # Lift a mute as well: "unban" means the member may speak again.
            await attempt(services, incident.id, "unrestrict", bot.restrict_chat_member(
                chat_id, sender, ChatPermissions.all_permissions()))
        return error is None
    call = (bot.ban_chat_sender_chat(chat_id, sender) if sender < 0
            else bot.ban_chat_member(chat_id, sender))
    return await attempt(services, incident.id, "ban", call) is None


async def press_log_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Not a scam / Unban / Ban on a log entry: only admins of the logged group (checked
    with Telegram), audited; the entry says who did what."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    match = _LOG_RE.fullmatch(query.data)
    services = services_of(context)
    texts = services.rules.texts
    if match is None:
        await query.answer()
        return
    incident = await services.storage.get_incident(int(match["incident"]))
    if incident is None:
        await query.answer()
        return
    settings = await services.chat_settings.get(incident.chat_id)
    lang = texts.language(settings.language)
    presser = query.from_user
    if not await services.admins.is_admin(context.bot, incident.chat_id, presser.id):
        await query.answer(str(texts.raw(lang, "group.admins_only")), show_alert=True)
        return
    op = match["op"]
    await query.answer()
    ok = await _undo(context.application, services, op, incident, presser.id)
    if op != "fp":
        await services.storage.audit(presser.id, incident.chat_id, f"log.{OPS[op]}",
                                     {"incident": incident.id, "ok": ok})
    if not ok or query.message is None:
        return
    done = texts.text(lang, "onboard.log_done",
                      action=texts.raw(lang, f"onboard.act_{OPS[op]}"), name=presser.full_name)
    old = getattr(query.message, "text_html", None) or ""
    try:
        await query.edit_message_text(
            Html(f"{old}\n{done}") if old else done,
            reply_markup=query.message.reply_markup if hasattr(query.message, "reply_markup")
            else None)
    except (BadRequest, TelegramError) as exc:
        log.info("could not edit a log entry: %s", exc)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("logchat", set_log_chat, filters.ChatType.GROUPS))
    application.add_handler(CallbackQueryHandler(press_log_button, pattern=f"^{LOG_PREFIX}"))
