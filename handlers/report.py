"""`/report` as a reply, by any member: the replied-to message is checked and acted on if it
is a scam; otherwise the admins are told quietly. Rate-limited per user."""

from __future__ import annotations

import logging

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.replies import escape
from bot.wiring.services import services_of
from handlers.group import moderate

log = logging.getLogger(__name__)

MAX_ADMINS_TOLD = 10
ADMIN_NOTE = "A member of {chat} reported a message for review: {link}"


def message_link(chat_id: int, username: str | None, message_id: int) -> str:
    """The t.me link of a group message."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    return f"https://t.me/c/{str(chat_id).removeprefix('-100')}/{message_id}"


async def report_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check the message the /report command replies to."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(message.chat.id)
    lang = texts.language(settings.language)
    target = message.reply_to_message
    if target is None:
        await message.reply_text(texts.text(lang, "admin.reply_needed", command="/report"),
                                 parse_mode=ParseMode.HTML)
        return
    if not services.limiter.allow("report", user.id):
        await message.reply_text(texts.text(lang, "private.rate_limited"),
                                 parse_mode=ParseMode.HTML, disable_notification=True)
        return
    await services.storage.audit(user.id, message.chat.id, "report",
                                 {"message_id": target.message_id})
    outcome = await moderate(context.application, target)
    if outcome.decision.acts:
        return
    await message.reply_text(
        texts.text(lang, "group.report_clean"), parse_mode=ParseMode.HTML,
        disable_notification=True,
    )
    link = message_link(message.chat.id, message.chat.username, target.message_id)
    note = texts.lookup(lang, "group.report_admins") or ADMIN_NOTE
    text = note.format(chat=escape(message.chat.title or ""), link=escape(link))
    admins = await services.admins.get_admins(context.bot, message.chat.id)
    for admin in admins[:MAX_ADMINS_TOLD]:
        if admin.id is None:
            continue
        try:
            await context.bot.send_message(
                admin.id, text, parse_mode=ParseMode.HTML, disable_notification=True,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except TelegramError as exc:
            log.info("could not tell admin %s about a report: %s", admin.id, exc)


def register(application: Application) -> None:
    application.add_handler(
        CommandHandler("report", report_message, filters=filters.ChatType.GROUPS)
    )
