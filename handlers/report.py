"""Member commands in groups. `/report` as a reply, by any member: the command message itself
is checked like any other, then the replied-to message is checked and acted on if it is a scam;
otherwise the admins are told quietly. `/help` and `/start` answer with a short help. Both are
rate-limited per user, and refusals are said at most once a minute per user."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.replies import escape
from bot.wiring.services import Services, services_of
from handlers.cleanup import schedule_deletion
from handlers.group import moderate

log = logging.getLogger(__name__)

MAX_ADMINS_TOLD = 10
ADMIN_NOTE = "A member of {chat} reported a message for review: {link}"
NOTICES_KEY = "group_command_notices"
NOTICE_EVERY = 60.0
GROUP_HELP = (
    "<b>Scam protection in this group</b>\n"
    "I check every message here and warn about or delete scams.\n"
    "• Anyone: reply /report to a message you think is a scam.\n"
    "• Admins: /settings (what I do about scams), /allow example.com or /allow @name, "
    "/trust and /scam as a reply, /stats.\n"
    "• In a private chat with me: forward any message to check it, then /evidence."
)


class NoticeGate:
    """Remembers when a notice was last given per key: at most one per `every` seconds."""

    def __init__(self, every: float = NOTICE_EVERY, max_keys: int = 10_000) -> None:
        self.every = every
        self.max_keys = max_keys
        self.clock = time.monotonic
        self._told: dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        """Whether to give the notice now (and remember that it was given)."""
        now = self.clock()
        last = self._told.get(key)
        if last is not None and now - last < self.every:
            return False
        if len(self._told) >= self.max_keys:
            self._told = {k: t for k, t in self._told.items() if now - t < self.every}
        self._told[key] = now
        return True


def notices_of(application: Application) -> NoticeGate:
    gate = application.bot_data.get(NOTICES_KEY)
    if not isinstance(gate, NoticeGate):
        gate = application.bot_data[NOTICES_KEY] = NoticeGate()
    return gate


def actor_key(message: Message) -> int:
    """Who sent a command: the user, or the chat an anonymous admin or channel posts as."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else message.chat.id


async def _quiet_reply(message: Message, text: str) -> int | None:
    try:
        sent = await message.reply_text(text, disable_notification=True)
    except TelegramError as exc:
        log.info("could not answer in chat %s: %s", message.chat.id, exc)
        return None
    return sent.message_id


async def _notice_once(context: ContextTypes.DEFAULT_TYPE, message: Message,
                       text: str) -> None:
    """A refusal or usage note: at most one of either a minute per user; silent otherwise."""
    if notices_of(context.application).allow(("report", message.chat.id, actor_key(message))):
        await _quiet_reply(message, text)


def message_link(chat_id: int, username: str | None, message_id: int) -> str:
    """The t.me link of a group message."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{message_id}"


async def report_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check the /report command message itself, then the message it replies to."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    # The command word does not exempt the text after it from the group's checks.
    if (await moderate(context.application, message, quotes=False)).decision.acts:
        return
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(message.chat.id)
    lang = texts.language(settings.language)
    if not services.limiter.allow("report", actor_key(message)):
        await _notice_once(context, message, texts.text(lang, "private.rate_limited"))
        return
    target = message.reply_to_message
    if target is None:
        await _notice_once(context, message,
                           texts.text(lang, "admin.reply_needed", command="/report"))
        return
    if target.from_user is not None and target.from_user.id == context.bot.id:
        return  # the bot's own warning or answer: nothing to check
    await services.storage.audit(user.id, message.chat.id, "report",
                                 {"message_id": target.message_id})
    outcome = await moderate(context.application, target)
    answer = None
    if not outcome.decision.acts:
        answer = await _quiet_reply(message, texts.text(lang, "group.report_clean"))
        await tell_admins(context, services, message, target.message_id, lang)
    # The group's delete_after makes the /report exchange disappear like the warnings.
    schedule_deletion(context.application, message.chat.id,
                      [message.message_id, answer or 0], settings.delete_after)


async def tell_admins(context: ContextTypes.DEFAULT_TYPE, services: Services, message: Message,
                      target_id: int, lang: str) -> None:
    """Send each admin (at most MAX_ADMINS_TOLD) a private note with the reported message."""
    texts = services.rules.texts
    link = message_link(message.chat.id, message.chat.username, target_id)
    note = texts.lookup(lang, "group.report_admins") or ADMIN_NOTE
    text = note.format(chat=escape(message.chat.title or ""), link=escape(link))
    admins = await services.admins.get_admins(context.bot, message.chat.id)
    for admin in admins[:MAX_ADMINS_TOLD]:
        if admin.id is None:
            continue
        try:
            await context.bot.send_message(
                admin.id, text, disable_notification=True,
            )
        except TelegramError as exc:
            log.info("could not tell admin %s about a report: %s", admin.id, exc)


async def show_group_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help or /start in a group: a short help for members and admins, at most once a
    minute per group (the command message itself is checked like any other)."""
    message = update.effective_message
    if message is None:
        return
    if (await moderate(context.application, message, quotes=False)).decision.acts:
        return
    services = services_of(context)
    if not services.limiter.allow("command", actor_key(message)):
        return
    if not notices_of(context.application).allow(("help", message.chat.id)):
        return
    texts = services.rules.texts
    settings = await services.chat_settings.get(message.chat.id)
    lang = texts.language(settings.language)
    await _quiet_reply(message, texts.lookup(lang, "group.help") or GROUP_HELP)


def register(application: Application) -> None:
    """`/report`, `/help` and `/start` in groups."""
    application.add_handler(
        CommandHandler("report", report_message, filters=filters.ChatType.GROUPS)
    )
    application.add_handler(
        CommandHandler(["help", "start"], show_group_help, filters=filters.ChatType.GROUPS)
    )
