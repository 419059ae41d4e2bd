"""Group admin commands: `/settings` with an inline keyboard (callback data `set:...`),
`/allow <domain | @handle>`, `/trust` and `/scam` as replies, `/stats`. Only the group's
admins (anonymous admins included) may use them; others get a polite refusal."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.replies import GLOBAL_REGION, Html, Texts, escape, person_name, region_label
from bot.storage.models import (
    DELETE_AFTER_MINUTES,
    SCAM_ACTIONS,
    SENSITIVITIES,
    SUSPICIOUS_ACTIONS,
    ChatSettings,
    StorageValueError,
    normalize_domain,
    normalize_handle,
)
from bot.wiring.services import Services, services_of
from handlers.adapter import message_text, sender_of
from handlers.group import moderate

log = logging.getLogger(__name__)

GROUPS = filters.ChatType.GROUPS
PRIVATE = filters.ChatType.PRIVATE
SETTING_PREFIX = "set:"
AUTO = "auto"
ADMIN_COMMANDS = ("settings", "allow", "trust", "scam", "stats", "lists", "logchat")
# Settings on the keyboard, in order, with the text key of their label.
KEYBOARD = (
    ("scam_action", "admin.scam_action"),
    ("restrict_hours", "admin.restrict_hours"),
    ("suspicious_action", "admin.suspicious_action"),
    ("sensitivity", "admin.sensitivity"),
    ("language", "admin.language"),
    ("region", "admin.region"),
    ("quiet", "admin.quiet"),
    ("keep_evidence", "admin.keep_evidence"),
    ("delete_after", "onboard.delete_after"),
    ("cas", "onboard.cas"),
)
ON_OFF = ("quiet", "keep_evidence", "cas")
DELETE_AFTER = tuple(str(m) for m in DELETE_AFTER_MINUTES)
RESTRICT_HOURS = ("1", "6", "24", "72", "168")


def choices(texts: Texts, setting: str) -> tuple[str, ...]:
    """The values a keyboard button cycles through."""
    if setting == "scam_action":
        return SCAM_ACTIONS
    if setting == "suspicious_action":
        return SUSPICIOUS_ACTIONS
    if setting == "restrict_hours":
        return RESTRICT_HOURS
    if setting == "sensitivity":
        return SENSITIVITIES
    if setting == "language":
        return texts.languages
    if setting == "region":
        return (AUTO, *texts.regions, GLOBAL_REGION)
    if setting in ON_OFF:
        return ("off", "on")
    if setting == "delete_after":
        return DELETE_AFTER
    return ()


def current_value(settings: ChatSettings, setting: str) -> str:
    """A setting's value as the keyboard spells it."""
    if setting == "region":
        return settings.region or AUTO
    if setting in ON_OFF:
        return "on" if getattr(settings, setting) else "off"
    return str(getattr(settings, setting))


def value_label(texts: Texts, lang: str, settings: ChatSettings, setting: str,
                value: str) -> str:
    """A value in words of `lang` (plain text)."""
    if setting in ("scam_action", "suspicious_action"):
        return str(texts.raw(lang, f"admin.action_{value}"))
    if setting == "sensitivity":
        return str(texts.raw(lang, f"admin.sensitivity_{value}"))
    if setting == "restrict_hours":
        return f"{value} h"
    if setting == "language":
        return texts.names.get(value, value)
    if setting == "region":
        if value == AUTO:
            return f"{AUTO} ({region_label(texts.region_of(settings.language))})"
        return region_label(value)
    if setting in ON_OFF:
        return str(texts.raw(lang, f"admin.{value}"))
    if setting == "delete_after":
        if value == "0":
            return str(texts.raw(lang, "onboard.never"))
        return str(texts.raw(lang, "onboard.minutes")).format(minutes=value)
    return value



def next_value(values: Sequence[str], value: str) -> str:
    if value not in values:
        return values[0]
    return values[(values.index(value) + 1) % len(values)]


def settings_text(texts: Texts, settings: ChatSettings) -> Html:
    """The /settings message: every setting and its value."""
    lang = texts.language(settings.language)
    lines: list[str] = [texts.text(lang, "admin.settings_title")]
    for setting, key in KEYBOARD:
        label = texts.raw(lang, key)
        value = value_label(texts, lang, settings, setting, current_value(settings, setting))
        lines.append(f"{escape(label)}{texts.colon(lang)}<b>{escape(value)}</b>")
    lines.append(texts.text(lang, "admin.settings_hint"))
    return Html("\n".join(lines))


def settings_keyboard(texts: Texts, settings: ChatSettings) -> InlineKeyboardMarkup:
    """One button per setting; pressing it sets the next value (`set:<name>:<value>`)."""
    lang = texts.language(settings.language)
    rows = []
    for setting, key in KEYBOARD:
        value = current_value(settings, setting)
        shown = value_label(texts, lang, settings, setting, value)
        target = next_value(choices(texts, setting), value)
        rows.append([InlineKeyboardButton(
            f"{texts.raw(lang, key)}{texts.colon(lang)}{shown} ➜",
            callback_data=f"{SETTING_PREFIX}{setting}:{target}",
        )])
    return InlineKeyboardMarkup(rows)


def parse_setting(texts: Texts, data: str) -> tuple[str, str | bool | None] | None:
    """`set:<name>:<value>` -> (setting, stored value), or None when not a known choice."""
    if not data.startswith(SETTING_PREFIX):
        return None
    setting, _, value = data[len(SETTING_PREFIX):].partition(":")
    if value not in choices(texts, setting):
        return None
    if setting == "region":
        return setting, None if value == AUTO else value
    if setting in ON_OFF:
        return setting, value == "on"
    return setting, value


def actor_of(message: Message) -> int | None:
    """Who acts: the user, or for an anonymous admin the chat it posts as."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else None


def command_name(message: Message) -> str:
    first = (message.text or "").split(maxsplit=1)[0] if message.text else ""
    return first.split("@", 1)[0] or "/"


async def _reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await message.reply_text(text, reply_markup=markup, disable_notification=True)


async def admin_gate(update: Update, context: ContextTypes.DEFAULT_TYPE
                     ) -> tuple[Message, Services, ChatSettings, str] | None:
    """The message, services, chat settings and language when an admin sent the command;
    otherwise check the message like any other member's and, unless that acted on it,
    refuse politely (silently when the sender is over the rate limit)."""
    message = update.effective_message
    if message is None:
        return None
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(message.chat.id)
    lang = texts.language(settings.language)
    if await services.admins.is_admin_message(context.bot, message):
        return message, services, settings, lang
    # A command word does not exempt a member's message from the group's checks.
    outcome = await moderate(context.application, message)
    if outcome.decision.acts:
        return None
    user_key = actor_of(message) or message.chat.id
    if services.limiter.allow("command", user_key):
        await _reply(message, texts.text(lang, "admin.refused", command=command_name(message)))
    return None


async def show_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings: the chat's settings with a keyboard to change them."""
    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, settings, _ = gate
    texts = services.rules.texts
    await _reply(message, settings_text(texts, settings), settings_keyboard(texts, settings))


async def change_setting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A `set:` button: re-check that the presser is an admin, store, redraw the keyboard."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(chat.id)
    lang = texts.language(settings.language)
    if not await services.admins.is_admin(context.bot, chat.id, query.from_user.id):
        await query.answer(str(texts.raw(lang, "group.admins_only")), show_alert=True)
        return
    parsed = parse_setting(texts, query.data or "")
    if parsed is None:
        await query.answer()
        return
    setting, value = parsed
    changes: dict[str, object] = {setting: value}
    if setting == "language":
        # An admin's choice ends the guessing from the group's messages.
        changes["language_auto"] = False
        services.languages.forget(chat.id)
    try:
        settings = await services.chat_settings.update(chat.id, query.from_user.id, **changes)
    except StorageValueError as exc:
        await query.answer(str(exc)[:200], show_alert=True)
        return
    lang = texts.language(settings.language)
    label = str(texts.raw(lang, dict(KEYBOARD)[setting]))
    shown = value_label(texts, lang, settings, setting, current_value(settings, setting))
    await query.answer(str(texts.raw(lang, "admin.changed")).format(setting=label, value=shown))
    try:
        await query.edit_message_text(
            settings_text(texts, settings),
            reply_markup=settings_keyboard(texts, settings))
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def add_to_list(
    services: Services, chat_id: int, actor_id: int | None, name: str, value: object
) -> None:
    """Append to a list setting inside the repository's write transaction (two admins at once
    both keep their change), then drop the chat's cached settings."""
    services.chat_settings.invalidate(chat_id)
    try:
        await services.storage.add_to_list(chat_id, actor_id, name, value)
    finally:
        services.chat_settings.invalidate(chat_id)


async def allow_item(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/allow <domain | @handle>: links to the domain or mentions of the handle are fine here."""
    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, _settings, lang = gate
    texts = services.rules.texts
    wanted = (context.args or [""])[0].strip()
    try:
        if wanted.startswith("@") or "t.me/" in wanted.lower():
            item = "@" + normalize_handle(wanted)
            name, value = "allow_handles", item[1:]
        else:
            item = normalize_domain(wanted)
            name, value = "allow_domains", item
    except StorageValueError:
        await _reply(message, texts.text(lang, "admin.allow_usage"))
        return
    await add_to_list(services, message.chat.id, actor_of(message), name, value)
    await _reply(message, texts.text(lang, "admin.allow_done", item=item))


async def trust_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/trust as a reply: the replied-to member's messages are not checked in this group."""
    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, _settings, lang = gate
    texts = services.rules.texts
    target = message.reply_to_message
    if target is None:
        await _reply(message, texts.text(lang, "admin.reply_needed", command="/trust"))
        return
    user = target.from_user
    if user is None or user.is_bot or target.sender_chat is not None:
        await _reply(message, texts.text(lang, "admin.trust_no_user"))
        return
    await add_to_list(services, message.chat.id, actor_of(message), "trusted_users", user.id)
    name = person_name(sender_of(target))
    await _reply(message, texts.text(lang, "admin.trust_done", name=escape(name, 64)))


async def mark_scam(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scam as a reply: keep the message as a known scam of this group (near-copies are
    flagged from now on) and delete it unless the group only warns."""
    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, settings, lang = gate
    texts = services.rules.texts
    target = message.reply_to_message
    if target is None:
        await _reply(message, texts.text(lang, "admin.reply_needed", command="/scam"))
        return
    text = message_text(target).strip()
    if not text:
        await _reply(message, texts.text(lang, "admin.scam_empty"))
        return
    actor = actor_of(message) or 0
    await services.storage.add_sample(message.chat.id, text, actor)
    services.contexts.invalidate(message.chat.id)
    if settings.scam_action != "warn":
        try:
            await target.delete()
        except TelegramError as exc:
            log.info("could not delete a message marked as scam in %s: %s",
                     message.chat.id, exc)
    await _reply(message, texts.text(lang, "admin.scam_done"))


async def show_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: what the bot found and did in this group."""
    gate = await admin_gate(update, context)
    if gate is None:
        return
    message, services, _, lang = gate
    texts = services.rules.texts
    stats = await services.storage.stats(message.chat.id)
    lines: list[str] = [texts.text(lang, "admin.stats_title")]
    if not stats.incidents:
        lines.append(texts.text(lang, "admin.stats_none"))
        await _reply(message, "\n".join(lines))
        return

    def line(key: str, value: object) -> str:
        return texts.text(lang, "admin.stats_line", label=texts.raw(lang, key), value=value)

    lines.append(line("admin.stats_incidents", stats.incidents))
    for verdict in ("scam", "suspicious"):
        lines.append("  " + line(f"admin.stats_{verdict}", stats.by_verdict.get(verdict, 0)))
    if stats.by_category:
        lines.append(escape(texts.raw(lang, "admin.stats_by_kind")) + ":")
        lines += [f"  • {escape(cat)}: {count}" for cat, count in stats.by_category.items()]
    if stats.by_action:
        lines.append(escape(texts.raw(lang, "admin.stats_actions")) + ":")
        lines += [f"  • {escape(action)}: {c.ok} / {c.failed}"
                  for action, c in stats.by_action.items()]
    lines.append(line("admin.stats_not_scam", stats.feedback.get("false_positive", 0)))
    await _reply(message, "\n".join(lines))


async def explain_group_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin command in a private chat: say it works in groups."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    prefs = await services.storage.get_user_prefs(user.id)
    lang = texts.language(prefs.language or user.language_code)
    await _reply(message, texts.text(lang, "admin.group_only", command=command_name(message)))


def register(application: Application) -> None:
    """Admin commands in groups, their keyboard callback, and a hint in private chats."""
    application.add_handler(CommandHandler("settings", show_settings, GROUPS))
    application.add_handler(CommandHandler("allow", allow_item, GROUPS))
    application.add_handler(CommandHandler("trust", trust_user, GROUPS))
    application.add_handler(CommandHandler("scam", mark_scam, GROUPS))
    application.add_handler(CommandHandler("stats", show_stats, GROUPS))
    application.add_handler(CommandHandler(list(ADMIN_COMMANDS), explain_group_only, PRIVATE))
    application.add_handler(CallbackQueryHandler(change_setting, pattern=f"^{SETTING_PREFIX}"))
