"""Onboarding: the command menus and the bot's description in every language, `/start` in
private (with the "Add to group" deep link and its payloads), `/language` and `/region` as
inline keyboards, the greeting when the bot is added to a group, and the group's language
guessed from its first messages until an admin chooses one."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.replies import GLOBAL_REGION, Html, Texts, escape, region_label, region_language
from bot.wiring.services import Services, services_of

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
GROUPS = filters.ChatType.GROUPS
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
LANGUAGE_PREFIX = "ul:"
REGION_PREFIX = "ur:"
# The rights the bot asks for in the "Add to group" link and checks when it is added.
WANTED_RIGHTS = ("can_delete_messages", "can_restrict_members")
ADD_RIGHTS = "delete_messages+restrict_members"
SETUP_PAYLOAD = "setup"
# Handler group of the language guesser: after the group watch has acted on the message.
GUESS_GROUP = 1
GREET_GROUP = 1
GREETED_KEY = "onboarding_greeted"
GREET_EVERY = 120.0

PRIVATE_COMMANDS = ("start", "help", "language", "region", "evidence", "keep")
MEMBER_COMMANDS = ("report", "help")
ADMIN_COMMANDS = ("report", "help", "settings", "allow", "trust", "scam", "stats", "lists",
                  "logchat")
MENUS: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
    (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
    (BotCommandScopeAllGroupChats(), MEMBER_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), ADMIN_COMMANDS),
)


# ---- the bot's profile: menus and descriptions ------------------------------------------------


def commands_in(texts: Texts, lang: str, names: Sequence[str]) -> list[BotCommand]:
    """The menu entries of `names` described in `lang`."""
    return [BotCommand(name, str(texts.raw(lang, f"onboard.cmd_{name}"))) for name in names]


async def set_profile(bot: Bot, texts: Texts) -> int:
    """Set the command menus (private chats, group members, group admins) and the bot's
    description and short description in every language, English also as the default for
    other languages. A refused call is logged and the rest go on; returns how many failed."""
    failed = 0
    for lang in (None, *texts.languages):
        shown = lang or "en"
        # Each call is made only when its turn comes (nothing left un-awaited on a cancel).
        calls: list[Callable[[], Awaitable[bool]]] = [
            partial(bot.set_my_commands, commands_in(texts, shown, names), scope=scope,
                    language_code=lang)
            for scope, names in MENUS
        ]
        calls.append(partial(bot.set_my_description,
                             str(texts.raw(shown, "onboard.description")), language_code=lang))
        calls.append(partial(bot.set_my_short_description,
                             str(texts.raw(shown, "onboard.short_description")),
                             language_code=lang))
        for call in calls:
            try:
                await call()
            except TelegramError as exc:
                failed += 1
                log.warning("could not set the bot's menu or description (%s): %s",
                            lang or "default", exc)
    return failed


# ---- private chat: /start, /language, /region ---------------------------------------------


async def reader_language(services: Services, user: User) -> str:
    prefs = await services.storage.get_user_prefs(user.id)
    return services.rules.texts.language(prefs.language or user.language_code)


def add_to_group_url(username: str, payload: str = SETUP_PAYLOAD) -> str:
    """The deep link that opens Telegram's "add to group" picker with the rights asked."""
    return f"https://t.me/{username}?startgroup={payload}&admin={ADD_RIGHTS}"


def add_to_group_button(texts: Texts, lang: str, username: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        str(texts.raw(lang, "onboard.add_to_group")), url=add_to_group_url(username))]])


async def _send(message: Message, text: str,
                markup: InlineKeyboardMarkup | None = None) -> None:
    try:
        await message.reply_text(text, reply_markup=markup)
    except TelegramError as exc:
        log.info("could not answer in chat %s: %s", message.chat.id, exc)


async def start_private(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start in private: what the bot does with the "Add to group" button; a payload
    (`language`, `region`, `help`, `log_<code>`) opens that step directly."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    lang = await reader_language(services, user)
    payload = (context.args or [""])[0].strip()
    if payload.startswith("log_"):
        from handlers.logchat import confirm_log_chat

        await confirm_log_chat(update, context, payload[4:])
        return
    if payload in ("language", "lang"):
        await send_language_keyboard(message, texts, lang)
        return
    if payload == "region":
        await send_region_keyboard(message, texts, lang)
        return
    if payload == "help":
        from handlers.private import show_help

        await show_help(update, context)
        return
    await _send(message, texts.text(lang, "private.start"),
                add_to_group_button(texts, lang, context.bot.username))


def language_keyboard(texts: Texts) -> InlineKeyboardMarkup:
    """One button per language, in its own name, two per row."""
    buttons = [InlineKeyboardButton(texts.names.get(code, code),
                                    callback_data=f"{LANGUAGE_PREFIX}{code}")
               for code in texts.languages]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def regions_by_language(texts: Texts) -> dict[str, list[str]]:
    """The regions with contacts, grouped by the language of their readers."""
    groups: dict[str, list[str]] = {}
    for region in texts.regions:
        lang = region_language(region)
        groups.setdefault(lang if lang in texts.catalogs else "en", []).append(region)
    return groups


def region_language_keyboard(texts: Texts, lang: str) -> InlineKeyboardMarkup:
    """First step: the languages that have regions, and Global."""
    groups = regions_by_language(texts)
    buttons = [InlineKeyboardButton(texts.names.get(code, code),
                                    callback_data=f"{REGION_PREFIX}g:{code}")
               for code in sorted(groups)]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(str(texts.raw(lang, "onboard.region_global")),
                                      callback_data=f"{REGION_PREFIX}s:{GLOBAL_REGION}")])
    return InlineKeyboardMarkup(rows)


def region_keyboard(texts: Texts, lang: str, group: str) -> InlineKeyboardMarkup:
    """Second step: the regions of one language, and Back."""
    regions = regions_by_language(texts).get(group, [])
    buttons = [InlineKeyboardButton(region_label(region),
                                    callback_data=f"{REGION_PREFIX}s:{region}")
               for region in regions]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(str(texts.raw(lang, "onboard.back")),
                                      callback_data=f"{REGION_PREFIX}g:")])
    return InlineKeyboardMarkup(rows)


async def send_language_keyboard(message: Message, texts: Texts, lang: str) -> None:
    await _send(message, texts.text(lang, "onboard.choose_language"), language_keyboard(texts))


async def send_region_keyboard(message: Message, texts: Texts, lang: str) -> None:
    await _send(message, texts.text(lang, "onboard.choose_region_language"),
                region_language_keyboard(texts, lang))


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.info("could not redraw a keyboard: %s", exc)


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A language button: store the user's language and answer in it."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    wanted = query.data[len(LANGUAGE_PREFIX):]
    await query.answer()
    if wanted not in texts.catalogs:
        return
    await services.storage.set_user_prefs(query.from_user.id, language=wanted)
    await _edit(update, texts.text(wanted, "private.language_set"), None)


async def choose_region(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A region button: `g:<lang>` shows that language's regions (`g:` goes back), `s:<XX>`
    stores the user's region."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    lang = await reader_language(services, query.from_user)
    step, _, value = query.data[len(REGION_PREFIX):].partition(":")
    await query.answer()
    if step == "g" and not value:
        await _edit(update, texts.text(lang, "onboard.choose_region_language"),
                    region_language_keyboard(texts, lang))
    elif step == "g" and value in regions_by_language(texts):
        await _edit(update, texts.text(lang, "onboard.choose_region"),
                    region_keyboard(texts, lang, value))
    elif step == "s" and texts.region(value) == value:
        await services.storage.set_user_prefs(query.from_user.id, region=value)
        await _edit(update, texts.text(lang, "private.region_set",
                                       region=region_label(value)), None)


# ---- groups: the greeting and the language guess -----------------------------------------------


def missing_rights(member: ChatMember) -> tuple[str, ...]:
    """The rights of WANTED_RIGHTS the bot lacks as this member of a group."""
    if isinstance(member, ChatMemberOwner):
        return ()
    if isinstance(member, ChatMemberAdministrator):
        return tuple(r for r in WANTED_RIGHTS if not getattr(member, r, False))
    return WANTED_RIGHTS


def rights_text(texts: Texts, lang: str, missing: Sequence[str]) -> Html:
    if not missing:
        return texts.text(lang, "onboard.rights_ok")
    shown = ", ".join(texts.lookup(lang, f"right.{r}") or str(texts.raw("en", f"right.{r}"))
                      for r in missing)
    return texts.text(lang, "onboard.rights_missing", rights=shown)


def greeting_text(texts: Texts, lang: str, chat_title: str, missing: Sequence[str]) -> Html:
    """What the bot says when added: what it does, the rights it lacks, how to set it up."""
    return Html("\n\n".join([
        texts.text(lang, "onboard.greeting", chat=escape(chat_title, 64)),
        rights_text(texts, lang, missing),
        texts.text(lang, "onboard.configure"),
    ]))


def greeted(application: Application, chat_id: int) -> bool:
    """Whether the chat was greeted in the last GREET_EVERY seconds; remembers this one."""
    seen = application.bot_data.setdefault(GREETED_KEY, {})
    now = time.monotonic()
    last = seen.get(chat_id)
    if len(seen) > 10_000:
        seen.clear()
    seen[chat_id] = now
    return last is not None and now - last < GREET_EVERY


async def greet_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was added to a group: greet it in the group's language (the adder's Telegram
    language until a guess or an admin says otherwise). Promoted later: say which rights it
    still lacks."""
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return
    old, new = change.old_chat_member, change.new_chat_member
    absent = (ChatMember.LEFT, ChatMember.BANNED)
    added = old.status in absent and new.status not in absent
    promoted = (old.status == ChatMember.MEMBER
                and new.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER))
    if not (added or promoted):
        return
    services = services_of(context)
    texts = services.rules.texts
    chat_id = change.chat.id
    settings = await services.chat_settings.get(chat_id)
    lang = texts.language(settings.language)
    adder = change.from_user
    if added and settings.language_auto and adder is not None and adder.language_code:
        guess = texts.language(adder.language_code)
        if guess != settings.language:
            settings = await services.chat_settings.update(chat_id, None, language=guess)
            lang = guess
    missing = missing_rights(new)
    text = (greeting_text(texts, lang, change.chat.title or "", missing) if added
            else rights_text(texts, lang, missing))
    if added:
        greeted(context.application, chat_id)
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError as exc:
        log.info("could not greet chat %s: %s", chat_id, exc)


async def start_in_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start with a payload in a group: `setup` (the "Add to group" link) greets once more
    with the rights; `log_<code>` makes this group another group's log chat."""
    message = update.effective_message
    if message is None:
        return
    payload = (context.args or [""])[0].strip()
    if payload.startswith("log_"):
        from handlers.logchat import confirm_log_chat

        await confirm_log_chat(update, context, payload[4:])
        return
    if greeted(context.application, message.chat.id):
        return  # the "Add to group" link sends /start setup right after the bot joined
    services = services_of(context)
    texts = services.rules.texts
    settings = await services.chat_settings.get(message.chat.id)
    lang = texts.language(settings.language)
    services.admins.invalidate(message.chat.id)
    rights = await services.admins.bot_rights(context.bot, message.chat.id)
    missing = [right for right, held in zip(
        WANTED_RIGHTS, (rights.can_delete, rights.can_restrict), strict=True) if not held]
    await _send(message, greeting_text(texts, lang, message.chat.title or "", missing))


async def guess_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Take a group message into the guess of the group's language; store the guess once
    sure, unless an admin chose the language."""
    message = update.effective_message
    if message is None or message.from_user is None or message.from_user.is_bot:
        return
    services = services_of(context)
    chat_id = message.chat.id
    if services.languages.done(chat_id):
        return
    settings = await services.chat_settings.get(chat_id)
    if not settings.language_auto:
        services.languages.forget(chat_id)
        return
    text = message.text or message.caption or ""
    guess = await services.languages.observe(chat_id, text)
    if guess is not None and guess != settings.language:
        log.info("chat %s speaks %s, it seems", chat_id, guess)
        await services.chat_settings.update(chat_id, None, language=guess)


def register(application: Application) -> None:
    """/start (private and with a payload in groups), the language and region keyboards,
    the greeting and the language guess."""
    application.add_handler(CommandHandler("start", start_private, PRIVATE))
    application.add_handler(CommandHandler("start", start_in_group, GROUPS, has_args=True))
    application.add_handler(CallbackQueryHandler(choose_language,
                                                 pattern=f"^{LANGUAGE_PREFIX}"))
    application.add_handler(CallbackQueryHandler(choose_region, pattern=f"^{REGION_PREFIX}"))
    application.add_handler(
        ChatMemberHandler(greet_group, ChatMemberHandler.MY_CHAT_MEMBER), group=GREET_GROUP)
    application.add_handler(
        MessageHandler(GROUPS & filters.UpdateType.MESSAGE & (filters.TEXT | filters.CAPTION)
                       & ~filters.COMMAND, guess_language),
        group=GUESS_GROUP)
