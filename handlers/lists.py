"""`/lists` (group admins): what `/allow`, `/trust` and `/scam` put in this group's lists,
each entry with a button that removes it. Removals are re-checked (the presser must be an
admin) and audited."""

from __future__ import annotations

import hashlib
import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.core.redact import excerpt
from bot.replies import Html, Texts, escape
from bot.storage import ChatSettings, Sample
from bot.wiring.services import Services, services_of

log = logging.getLogger(__name__)

LISTS_PREFIX = "ls:"
_LISTS_RE = re.compile(r"ls:(?P<kind>[dhts]):(?P<key>[0-9a-f]{8}|\d{1,18})")
KINDS = {"d": "allow_domains", "h": "allow_handles", "t": "trusted_users"}
TITLES = {"d": "onboard.lists_domains", "h": "onboard.lists_handles",
          "t": "onboard.lists_trusted", "s": "onboard.lists_samples"}
# Entries shown (with a button) per list; removing some shows the next ones.
MAX_SHOWN = 12


def item_key(value: object) -> str:
    """A short, stable key of a list entry that fits in callback data."""
    return hashlib.sha256(str(value).encode()).hexdigest()[:8]


def shown(kind: str, value: object) -> str:
    if kind == "h":
        return f"@{value}"
    return str(value)


def lists_view(texts: Texts, lang: str, settings: ChatSettings,
               samples: list[Sample]) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The text of /lists and its removal buttons."""
    lines: list[str] = [texts.text(lang, "onboard.lists_title")]
    buttons: list[list[InlineKeyboardButton]] = []
    entries: dict[str, list[tuple[str, str]]] = {
        kind: [(shown(kind, v), item_key(v)) for v in getattr(settings, name)]
        for kind, name in KINDS.items()
    }
    entries["s"] = [(f"#{s.id} {excerpt(s.text, 40)}", str(s.id)) for s in samples]
    for kind, items in entries.items():
        if not items:
            continue
        lines.append(f"\n<b>{escape(texts.raw(lang, TITLES[kind]))}</b>")
        # A bounded view (Telegram's 4096 characters): the first entries of each list.
        for label, key in items[:MAX_SHOWN]:
            lines.append(f"• {escape(label, 60)}")
            buttons.append([InlineKeyboardButton(f"✖ {label}"[:60],
                                                 callback_data=f"{LISTS_PREFIX}{kind}:{key}")])
        if len(items) > MAX_SHOWN:
            lines.append(f"• … +{len(items) - MAX_SHOWN}")
    if len(lines) == 1:
        lines.append(texts.text(lang, "onboard.lists_empty"))
        return Html("\n".join(lines)), None
    lines.append("\n" + texts.text(lang, "onboard.lists_hint"))
    return Html("\n".join(lines)), InlineKeyboardMarkup(buttons)


async def show_lists(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lists: the group's allowed sites and accounts, trusted members and scam samples."""
    from handlers.admin import admin_gate

    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, settings, lang = gate
    samples = await services.storage.list_sample_rows(message.chat.id)
    text, markup = lists_view(services.rules.texts, lang, settings, samples)
    try:
        await message.reply_text(text, reply_markup=markup,
                                 disable_notification=True)
    except TelegramError as exc:
        log.info("could not show the lists of chat %s: %s", message.chat.id, exc)


async def _remove(services: Services, chat_id: int, actor: int, kind: str,
                  key: str) -> str | None:
    """Remove the entry the button names; what was removed, None when it is gone."""
    if kind == "s":
        sample = await services.storage.remove_sample(chat_id, int(key), actor)
        if sample is None:  # gone, or not this chat's
            return None
        services.contexts.invalidate(chat_id)
        return f"#{sample.id}"
    settings = await services.chat_settings.get(chat_id)
    name = KINDS[kind]
    found = [v for v in getattr(settings, name) if item_key(v) == key]
    if not found:
        return None
    services.chat_settings.invalidate(chat_id)
    try:
        await services.storage.remove_from_list(chat_id, actor, name, found[0])
    finally:
        services.chat_settings.invalidate(chat_id)
    return shown(kind, found[0])


async def remove_entry(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A removal button of /lists: admins only; removes, audits, redraws the list."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(chat.id)
    lang = texts.language(settings.language)
    if not await services.admins.is_admin(context.bot, chat.id, query.from_user.id):
        await query.answer(str(texts.raw(lang, "group.admins_only")), show_alert=True)
        return
    match = _LISTS_RE.fullmatch(query.data)
    if match is None:
        await query.answer()
        return
    kind, key = match["kind"], match["key"]
    removed = await _remove(services, chat.id, query.from_user.id, kind, key)
    if removed is None:
        await query.answer(str(texts.raw(lang, "onboard.lists_gone")))
    else:
        await query.answer(str(texts.raw(lang, "onboard.lists_removed")).format(item=removed))
    settings = await services.chat_settings.get(chat.id)
    samples = await services.storage.list_sample_rows(chat.id)
    text, markup = lists_view(texts, lang, settings, samples)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("could not redraw the lists of chat %s: %s", chat.id, exc)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("lists", show_lists, filters.ChatType.GROUPS))
    application.add_handler(CallbackQueryHandler(remove_entry, pattern=f"^{LISTS_PREFIX}"))
