"""Group watch: every new or edited message, caption, forward and channel post forwarded into a
discussion group is checked and acted on per the group's policy. Warnings are aggregated to at
most one per chat per interval; the "Not a scam" button lets admins undo."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.core.detector import combine, label
from bot.core.impersonation import screen_person
from bot.core.model import CheckRequest, Hit, Person, Verdict
from bot.errors import ScamguardError
from bot.policy import DELETE_RIGHT, RESTRICT_RIGHT, Decision, decide
from bot.replies import Html, Texts, escape, person_name, render_group_warning
from bot.storage import ChatSettings, Incident
from bot.wiring.services import Services, services_of
from handlers.adapter import sender_of, to_check_request

log = logging.getLogger(__name__)

FP_PREFIX = "fp:"
SHORTENER_RULE = "link.shortener"
MAX_EXPANDED = 3
_URL_RE = re.compile(r"https?://[^\s<>\"']+")
BATCHER_KEY = "group_warnings"
TELEGRAM_SERVICE_USER = 777000  # posts channel messages forwarded into discussion groups
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
_RIGHTS_ERRORS = ("not enough rights", "can't be deleted", "have no rights", "chat_admin_required")


@dataclass
class Warning:
    """One message (or member) that deserves a warning in its group."""

    chat_id: int
    verdict: Verdict
    sender: Person | None
    action: str
    hours: int = 0
    reply_to: int | None = None
    incident_id: int | None = None
    missing: tuple[str, ...] = ()
    impersonator: str | None = None


@dataclass
class Outcome:
    """What the bot did about one message."""

    verdict: Verdict
    decision: Decision
    incident_id: int | None = None
    done: dict[str, bool] = field(default_factory=dict)


# ---- actions and their records --------------------------------------------------------------


async def record(services: Services, incident_id: int | None, action: str, ok: bool,
                 error: str | None = None) -> None:
    """Store the result of one action; a storage failure is logged, never raised."""
    services.metrics.observe_action(action, ok)
    if incident_id is None:
        return
    try:
        await services.storage.record_action(incident_id, action, ok, error)
    except ScamguardError as exc:
        log.error("could not record %s of incident %s: %s", action, incident_id, exc)


def is_rights_error(exc: TelegramError) -> bool:
    text = str(exc).lower()
    return any(part in text for part in _RIGHTS_ERRORS)


async def attempt(services: Services, incident_id: int | None, action: str,
                  call: Awaitable[object]) -> TelegramError | None:
    """Await one Telegram call, record its result, return the error (None when it worked)."""
    try:
        await call
    except TelegramError as exc:
        log.warning("%s failed (incident %s): %s", action, incident_id, exc)
        await record(services, incident_id, action, False, str(exc)[:300])
        return exc
    await record(services, incident_id, action, True)
    return None


def region_of(texts: Texts, settings: ChatSettings) -> str:
    return texts.region(settings.region) or texts.region_of(settings.language)


def not_scam_button(texts: Texts, lang: str, incident_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.text(lang, "group.not_scam_button"),
                               callback_data=f"{FP_PREFIX}{incident_id}")]]
    )


# ---- aggregated warnings ----------------------------------------------------------------------


@dataclass
class _ChatWarnings:
    last: float = float("-inf")
    pending: list[Warning] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class WarningBatcher:
    """Posts at most one warning per chat per `interval` seconds: the first at once, the rest
    of a burst together when the interval is over. Every warned incident records "warn"."""

    def __init__(self, application: Application, interval: float) -> None:
        self.application = application
        self.interval = interval
        self.clock = time.monotonic
        self._chats: OrderedDict[int, _ChatWarnings] = OrderedDict()
        self._wake = asyncio.Event()

    async def submit(self, warning: Warning) -> None:
        state = self._chats.setdefault(warning.chat_id, _ChatWarnings())
        self._chats.move_to_end(warning.chat_id)
        now = self.clock()
        if state.task is None and not state.pending and now - state.last >= self.interval:
            state.last = now
            await self._post(warning.chat_id, [warning])
        else:
            state.pending.append(warning)
            if state.task is None:
                delay = max(0.0, state.last + self.interval - now)
                flush = self._flush_later(warning.chat_id, delay)
                # A running application awaits its tasks on stop; otherwise keep a reference.
                if self.application.running:
                    state.task = self.application.create_task(flush)
                else:
                    state.task = asyncio.create_task(flush)
        self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        while len(self._chats) > 10_000:
            chat_id, state = next(iter(self._chats.items()))
            if state.task is not None or now - state.last < self.interval:
                break
            del self._chats[chat_id]

    async def _flush_later(self, chat_id: int, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)
        state = self._chats[chat_id]
        items, state.pending, state.task = state.pending, [], None
        state.last = self.clock()
        if items:
            await self._post(chat_id, items)

    async def flush(self) -> None:
        """Post every pending warning now (before the bot stops)."""
        tasks = [s.task for s in self._chats.values() if s.task is not None]
        self._wake.set()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._wake = asyncio.Event()

    async def _post(self, chat_id: int, items: Sequence[Warning]) -> None:
        services: Services = self.application.bot_data["services"]
        try:
            await post_warning(self.application.bot, services, chat_id, items)
        except (TelegramError, ScamguardError) as exc:
            log.error("warning for chat %s failed: %s", chat_id, exc)
            for item in items:
                await record(services, item.incident_id, "warn", False, str(exc)[:300])


def batcher_of(application: Application) -> WarningBatcher:
    batcher = application.bot_data.get(BATCHER_KEY)
    if not isinstance(batcher, WarningBatcher):
        services: Services = application.bot_data["services"]
        batcher = WarningBatcher(application, services.warn_interval)
        application.bot_data[BATCHER_KEY] = batcher
    return batcher


async def flush_warnings(application: Application) -> None:
    """Post the warnings still held back by the per-chat interval."""
    batcher = application.bot_data.get(BATCHER_KEY)
    if isinstance(batcher, WarningBatcher):
        await batcher.flush()


def warning_text(texts: Texts, settings: ChatSettings, items: Sequence[Warning]) -> Html:
    """The HTML of one warning covering `items` (aggregated when there are several)."""
    lang = texts.language(settings.language)
    region = region_of(texts, settings)
    main = max(items, key=lambda w: (w.verdict.is_scam, w.verdict.score))
    lines = [
        render_group_warning(
            main.verdict, texts=texts, lang=lang, region=region, sender=main.sender,
            action=main.action, hours=main.hours, count=len(items),
        )
    ]
    names = dict.fromkeys(w.impersonator for w in items if w.impersonator)
    for name in names:
        lines.append(texts.text(lang, "group.not_admin", name=escape(name, 64)))
    missing = dict.fromkeys(right for w in items for right in w.missing)
    for right in missing:
        lines.append(texts.text(lang, "group.missing_right", right=right))
    return Html("\n\n".join(lines))


async def post_warning(bot: Bot, services: Services, chat_id: int,
                       items: Sequence[Warning]) -> None:
    """Send one (possibly aggregated) warning and record "warn" on each incident."""
    settings = await services.storage.get_chat_settings(chat_id)
    texts = services.rules.texts
    lang = texts.language(settings.language)
    single = items[0] if len(items) == 1 else None
    markup = None
    if single is not None and single.incident_id is not None:
        markup = not_scam_button(texts, lang, single.incident_id)
    reply_to = next((w.reply_to for w in reversed(items) if w.reply_to), None)
    error: TelegramError | None = None
    try:
        await bot.send_message(
            chat_id,
            warning_text(texts, settings, items),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
            reply_markup=markup,
        )
    except TelegramError as exc:
        log.warning("warning in chat %s failed: %s", chat_id, exc)
        error = exc
    for item in items:
        await record(services, item.incident_id, "warn", error is None,
                     str(error)[:300] if error else None)


# ---- the pipeline -------------------------------------------------------------------------------


def _impersonator(services: Services, verdict: Verdict, sender: Person | None,
                  admins: Sequence[Person], settings: ChatSettings) -> str | None:
    """The sender's name when the sender (not a forward origin) imitates an admin or support."""
    if sender is None or not any(h.rule.startswith("impersonation.") for h in verdict.hits):
        return None
    brands = services.rules.detector.rules.links.brands
    hits = screen_person(sender, admins, brands, frozenset(settings.trusted_users))
    return person_name(sender) if hits else None


async def expand_links(services: Services, request: CheckRequest, verdict: Verdict) -> list[str]:
    """Where the message's shortened links lead (when it has any), for a second check."""
    if services.expander is None or not any(h.rule.startswith(SHORTENER_RULE)
                                            for h in verdict.hits):
        return []
    urls = list(dict.fromkeys([*request.urls, *_URL_RE.findall(request.text)]))[:MAX_EXPANDED]
    results = await asyncio.gather(*(services.expander.expand(url) for url in urls))
    return [r.final_url for r in results if r.ok and r.final_url not in urls]


async def check_message(
    bot: Bot,
    services: Services,
    message: Message,
    *,
    settings: ChatSettings | None = None,
) -> tuple[Verdict, ChatSettings, Sequence[Person], bool]:
    """Check one group message: (verdict, chat settings, admins, sender is an admin)."""
    chat_id = message.chat.id
    if settings is None:
        settings = await services.storage.get_chat_settings(chat_id)
    admins = await services.admins.get_admins(bot, chat_id)
    admin_ids = await services.admins.admin_ids(bot, chat_id)
    if message.sender_chat is not None:
        sender_is_admin = message.sender_chat.id == chat_id
    else:
        user = message.from_user
        sender_is_admin = user is not None and user.id in admin_ids
    context = await services.contexts.context_for(settings)
    request = to_check_request(message, admins=admins, lang=settings.language)
    started = time.perf_counter()
    verdict = services.rules.detector.check(request, context)
    services.metrics.observe_check("group", time.perf_counter() - started, verdict)
    if services.expander is not None and not verdict.is_scam:
        expanded = await expand_links(services, request, verdict)
        if expanded:
            request = to_check_request(message, admins=admins, lang=settings.language,
                                       extra_urls=expanded)
            verdict = services.rules.detector.check(request, context)
    return verdict, settings, admins, sender_is_admin


async def stored_incident(services: Services, chat_id: int, message_id: int,
                          edit: int) -> Incident | None:
    """The incident already stored for this message as of this edit, if any."""
    try:
        return await services.storage.find_incident(chat_id, message_id, edit)
    except ScamguardError as exc:
        log.error("could not look up incidents in chat %s: %s", chat_id, exc)
        return None


async def moderate(application: Application, message: Message) -> Outcome:
    """Check a group message and act per the chat's policy: store the incident first, then
    act, then record each action's result. Telegram errors never escape."""
    bot = application.bot
    services: Services = application.bot_data["services"]
    verdict, settings, admins, sender_is_admin = await check_message(bot, services, message)
    chat_id = message.chat.id
    user = message.from_user
    can_punish = (
        message.sender_chat is None and user is not None and not user.is_bot
        and user.id != TELEGRAM_SERVICE_USER
    )
    rights = await services.admins.bot_rights(bot, chat_id)
    decision = decide(verdict, settings, rights, sender_is_admin=sender_is_admin,
                      can_punish=can_punish)
    outcome = Outcome(verdict, decision)
    if not decision.acts:
        return outcome
    edit = int(message.edit_date.timestamp()) if message.edit_date else 0
    earlier = await stored_incident(services, chat_id, message.message_id, edit)
    if earlier is not None:
        # The update came again (a webhook retry, or a restart before Telegram saw the
        # confirmed offset): act only if nothing was done the first time.
        outcome.incident_id = earlier.id
        if earlier.actions:
            return outcome
    request_text = message.text or message.caption or ""
    try:
        if earlier is None:
            outcome.incident_id = await services.storage.add_incident(
                chat_id, message.message_id, user.id if user else None, verdict.verdict,
                verdict.score, verdict.hits, request_text, keep_full=settings.keep_evidence,
                edit_date=edit,
            )
    except ScamguardError as exc:
        log.error("incident in chat %s not stored: %s", chat_id, exc)
    incident = outcome.incident_id
    missing = list(decision.missing)
    deleted = False
    if decision.delete:
        error = await attempt(services, incident, "delete", message.delete())
        deleted = error is None or "not found" in str(error).lower()
        if error is not None and is_rights_error(error):
            services.admins.invalidate(chat_id)
            missing.append(DELETE_RIGHT)
        outcome.done["delete"] = deleted
    if user is not None and (decision.restrict_hours or decision.ban):
        if decision.ban:
            call = bot.ban_chat_member(chat_id, user.id)
            action = "ban"
        else:
            call = bot.restrict_chat_member(
                chat_id, user.id, ChatPermissions.no_permissions(),
                until_date=datetime.now(UTC) + timedelta(hours=decision.restrict_hours),
            )
            action = "restrict"
        error = await attempt(services, incident, action, call)
        outcome.done[action] = error is None
        if error is not None and is_rights_error(error):
            services.admins.invalidate(chat_id)
            missing.append(RESTRICT_RIGHT)
    if decision.tell_poster and deleted and user is not None:
        await _tell_poster(bot, services, incident, user.id, message, settings)
    impersonator = _impersonator(services, verdict, sender_of(message), admins, settings)
    if decision.warn or missing or (decision.delete and not deleted):
        action = _shown_action(decision, outcome)
        await batcher_of(application).submit(
            Warning(chat_id, verdict, sender_of(message), action, decision.restrict_hours,
                    None if deleted else message.message_id, incident,
                    tuple(dict.fromkeys(missing)), impersonator)
        )
    return outcome


def _shown_action(decision: Decision, outcome: Outcome) -> str:
    if outcome.done.get("ban"):
        return "ban"
    if outcome.done.get("restrict"):
        return "restrict"
    if outcome.done.get("delete"):
        return "delete"
    return "warn" if decision.kind in ("scam", "suspicious") else "none"


async def _tell_poster(bot: Bot, services: Services, incident: int | None, user_id: int,
                       message: Message, settings: ChatSettings) -> None:
    """Tell the poster privately that their secret was deleted (403 when they never
    started the bot); the secret itself is never repeated."""
    texts = services.rules.texts
    prefs = await services.storage.get_user_prefs(user_id)
    lang = texts.language(prefs.language or (message.from_user.language_code
                                             if message.from_user else None)
                          or settings.language)
    text = texts.text(lang, "group.secret_leak_private", chat=message.chat.title or "")
    await attempt(services, incident, "notify_poster",
                  bot.send_message(user_id, text, parse_mode=ParseMode.HTML))


# ---- handlers -------------------------------------------------------------------------------


async def check_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check a new or edited group message and act on it."""
    message = update.effective_message
    if message is None or message.chat.type not in GROUP_TYPES:
        return
    if message.from_user is not None and message.from_user.id == context.bot.id:
        return
    await moderate(context.application, message)


async def mark_not_scam(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Not a scam" button: admins only; records the false positive and lifts a
    restriction or ban the incident caused."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    chat_id = query.message.chat.id
    settings = await services.storage.get_chat_settings(chat_id)
    lang = texts.language(settings.language)
    if not await services.admins.is_admin(context.bot, chat_id, query.from_user.id):
        await query.answer(texts.text(lang, "group.admins_only"), show_alert=True)
        return
    try:
        incident_id = int(query.data.removeprefix(FP_PREFIX))
    except ValueError:
        await query.answer()
        return
    incident = await services.storage.get_incident(incident_id)
    if incident is None or incident.chat_id != chat_id:
        await query.answer()
        return
    await services.storage.add_feedback(incident_id, query.from_user.id, "false_positive")
    done = {a.action for a in incident.actions if a.ok}
    if incident.sender_id is not None and "ban" in done:
        await attempt(services, incident_id, "unban",
                      context.bot.unban_chat_member(chat_id, incident.sender_id,
                                                    only_if_banned=True))
    elif incident.sender_id is not None and "restrict" in done:
        await attempt(services, incident_id, "unrestrict",
                      context.bot.restrict_chat_member(
                          chat_id, incident.sender_id, ChatPermissions.all_permissions()))
    await services.storage.audit(query.from_user.id, chat_id, "not_scam",
                                 {"incident": incident_id})
    name = query.from_user.full_name
    try:
        await query.edit_message_text(
            texts.text(lang, "group.not_scam_done", name=name), parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
    except (BadRequest, Forbidden) as exc:
        log.warning("could not edit the warning in chat %s: %s", chat_id, exc)
    await query.answer()


def screen_hits_verdict(hits: Sequence[Hit], sensitivity: str) -> Verdict:
    """A verdict from join-screening hits, scored like the detector does."""
    score = combine(hits)
    return Verdict(label(score, sensitivity), score, tuple(hits))


def register(application: Application) -> None:
    """Watch group messages (new and edited) and the "Not a scam" button."""
    batcher_of(application)
    watched = filters.ChatType.GROUPS & ~filters.StatusUpdate.ALL
    application.add_handler(
        MessageHandler(watched & filters.UpdateType.MESSAGES, check_group_message)
    )
    application.add_handler(CallbackQueryHandler(mark_not_scam, pattern=rf"^{FP_PREFIX}\d+$"))
