"""Group watch: every new or edited message, caption, forward and channel post forwarded into a
discussion group is checked and acted on per the group's policy. Warnings are aggregated to at
most one per chat per interval; the "Not a scam" button lets admins undo."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from telegram import (
    Bot,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.core.detector import ChatContext, combine, label
from bot.core.impersonation import screen_person
from bot.core.indicators import extract_indicators
from bot.core.model import CheckRequest, ForwardOrigin, Hit, Person, Verdict
from bot.errors import ScamguardError
from bot.keyedlocks import KeyedLocks
from bot.linkexpand import expand_shortened
from bot.policy import DELETE_RIGHT, NOTHING, RESTRICT_RIGHT, Decision, decide, is_secret_leak
from bot.replies import Html, Texts, escape, person_name, render_group_warning
from bot.storage import ChatSettings, Incident
from bot.wiring.services import Services, services_of
from handlers.adapter import quoted_author, quoted_request, sender_of, to_check_request
from handlers.cleanup import schedule_deletion
from handlers.logchat import VIA_LOG_CHAT, log_soon, post_log, post_marks
from handlers.outbox import OutboxBatcher, outbox_storage

log = logging.getLogger(__name__)

FP_PREFIX = "fp:"
_FP_RE = re.compile(r"fp:(?P<first>\d{1,18})(?:-(?P<last>\d{1,18})|(?P<gaps>(?:\+\d{1,18})*))")
MAX_CALLBACK_DATA = 64
# The most incidents one "Not a scam" press acts on (a range covers a whole raid at most).
MAX_MARKED = 200
MAX_EXPANDED = 3
BATCHER_KEY = "group_warnings"
QUOTES_KEY = "group_quotes_warned"
MAX_QUOTES_REMEMBERED = 10_000
TELEGRAM_SERVICE_USER = 777000  # posts channel messages forwarded into discussion groups
GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)
_RIGHTS_ERRORS = ("not enough rights", "can't be deleted", "have no rights", "chat_admin_required")


@dataclass
class Warning:
    """One message (or member) that deserves a warning in its group."""

    chat_id: int
    verdict: Verdict
    sender: Person | ForwardOrigin | None
    action: str
    hours: int = 0
    reply_to: int | None = None
    incident_id: int | None = None
    missing: tuple[str, ...] = ()
    impersonator: str | None = None
    leak: bool = False  # a short notice to a poster whose own secret was deleted
    joined: bool = False  # about a member who joined, not about a message


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


def not_scam_data(incident_ids: Iterable[int]) -> str:
    """Callback data naming the incidents a "Not a scam" press covers: `fp:<id>` for one,
    `fp:<first>+<gap>+<gap>...` for several, or `fp:<lowest>-<highest>` (every incident of
    the chat in that range) when the list would not fit Telegram's 64 bytes."""
    ids = sorted(set(incident_ids))
    if not ids:
        raise ValueError("no incident to name")
    data = FP_PREFIX + str(ids[0]) + "".join(f"+{b - a}" for a, b in itertools.pairwise(ids))
    if len(data) <= MAX_CALLBACK_DATA:
        return data
    return f"{FP_PREFIX}{ids[0]}-{ids[-1]}"


def parse_not_scam_data(data: str) -> tuple[list[int], bool] | None:
    """(incident ids, is a range) from `not_scam_data()` output; None when malformed."""
    match = _FP_RE.fullmatch(data)
    if match is None:
        return None
    first = int(match["first"])
    if match["last"]:
        last = int(match["last"])
        return ([first, last], True) if last >= first else None
    ids = [first]
    for gap in filter(None, (match["gaps"] or "").split("+")):
        ids.append(ids[-1] + int(gap))
    return ids, False


def not_scam_button(texts: Texts, lang: str,
                    incident_ids: Iterable[int]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.text(lang, "group.not_scam_button"),
                               callback_data=not_scam_data(incident_ids))]]
    )


# ---- aggregated warnings ----------------------------------------------------------------------


@dataclass
class _ChatWarnings:
    last: float = float("-inf")
    pending: list[Warning] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    due: bool = False  # a post of this chat is being sent, or is about to be


class WarningBatcher:
    """Posts at most one warning per chat per `interval` seconds from a background task per
    chat: the first at once, the rest of a burst together when the interval is over. The
    handler that submits never waits for Telegram or the flood limiter. Every warned incident
    records "warn" (ok, or failed with Telegram's error)."""

    def __init__(self, application: Application, interval: float) -> None:
        self.application = application
        self.interval = interval
        self.clock = time.monotonic
        self._chats: OrderedDict[int, _ChatWarnings] = OrderedDict()
        self._wake = asyncio.Event()
        self._posting = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> int:
        """Warnings queued and not yet posted, over every chat."""
        return sum(len(state.pending) for state in self._chats.values())

    async def submit(self, warning: Warning) -> None:
        """Queue a warning; it is posted by the chat's background task."""
        state = self._chats.setdefault(warning.chat_id, _ChatWarnings())
        self._chats.move_to_end(warning.chat_id)
        state.pending.append(warning)
        if state.task is None or state.task.done():
            now = self.clock()
            self._set_due(state, now - state.last >= self.interval or self._wake.is_set())
            run = self._run(warning.chat_id, state)
            # A running application awaits its tasks on stop; otherwise keep a reference.
            if self.application.running:
                state.task = self.application.create_task(run)
            else:
                state.task = asyncio.create_task(run)
            self._forget_idle(now)

    def _set_due(self, state: _ChatWarnings, due: bool) -> None:
        if due == state.due:
            return
        state.due = due
        self._posting += 1 if due else -1
        if self._posting:
            self._idle.clear()
        else:
            self._idle.set()

    def _forget_idle(self, now: float) -> None:
        while len(self._chats) > 10_000:
            chat_id, state = next(iter(self._chats.items()))
            if state.task is not None or now - state.last < self.interval:
                break
            del self._chats[chat_id]

    async def _run(self, chat_id: int, state: _ChatWarnings) -> None:
        """Post the chat's pending warnings, one post per interval, until none is left."""
        try:
            while state.pending:
                delay = state.last + self.interval - self.clock()
                if delay > 0 and not self._wake.is_set():
                    self._set_due(state, False)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                self._set_due(state, True)
                items, state.pending = state.pending, []
                state.last = self.clock()
                await self._post(chat_id, items)
        finally:
            state.task = None
            self._set_due(state, False)

    async def settle(self) -> None:
        """Wait until the warnings due now are posted (those held by the interval wait)."""
        await self._idle.wait()

    async def flush(self) -> None:
        """Post every pending warning now and wait for them (before the bot stops)."""
        self._wake.set()
        try:
            while tasks := [s.task for s in self._chats.values()
                            if s.task is not None and not s.task.done()]:
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._wake = asyncio.Event()

    async def _post(self, chat_id: int, items: Sequence[Warning]) -> None:
        services: Services = self.application.bot_data["services"]
        try:
            await post_warning_to_vanish(self.application, services, chat_id, items)
        except Exception as exc:  # a background task: every warning is recorded, none lost
            log.exception("warning for chat %s failed", chat_id)
            for item in items:
                await record(services, item.incident_id, "warn", False, str(exc)[:300])


def pending_warnings(application: Application) -> int:
    """Warnings waiting to be posted by this process (0 before the first one)."""
    batcher = application.bot_data.get(BATCHER_KEY)
    return batcher.pending if isinstance(batcher, WarningBatcher) else 0


def batcher_of(application: Application) -> WarningBatcher | OutboxBatcher:
    """Where warnings go: this process's batcher, or with a shared PostgreSQL database the
    outbox that the one elected sender of all workers drains (handlers.outbox)."""
    batcher = application.bot_data.get(BATCHER_KEY)
    if not isinstance(batcher, WarningBatcher | OutboxBatcher):
        services: Services = application.bot_data["services"]
        storage = outbox_storage(application)
        batcher = (OutboxBatcher(application, storage) if storage is not None
                   else WarningBatcher(application, services.warn_interval))
        application.bot_data[BATCHER_KEY] = batcher
    return batcher


async def flush_warnings(application: Application) -> None:
    """Post every pending warning, those held back by the per-chat interval included."""
    batcher = application.bot_data.get(BATCHER_KEY)
    if isinstance(batcher, WarningBatcher | OutboxBatcher):
        await batcher.flush()


async def settle_warnings(application: Application) -> None:
    """Wait for the warnings being posted now (not those held back by the interval)."""
    batcher = application.bot_data.get(BATCHER_KEY)
    if isinstance(batcher, WarningBatcher | OutboxBatcher):
        await batcher.settle()


def mention(person: Person | ForwardOrigin | None) -> Html:
    """The person's name, linked to their account when they are a user (a notification)."""
    name = escape(person_name(person), 64)
    if isinstance(person, Person) and person.id is not None and person.id > 0:
        return Html(f'<a href="tg://user?id={person.id}">{name}</a>')
    return name


def leak_notice(texts: Texts, lang: str, poster: Person | ForwardOrigin | None) -> Html:
    """The group notice for a poster whose recovery phrase or key was deleted: names them,
    says it was deleted, tells them to move their funds; never repeats the secret."""
    return Html(f"⚠️ {mention(poster)}{texts.colon(lang)}"
                f"{texts.text(lang, 'group.action_delete')} {texts.text(lang, 'tip.secret_leak')}")


def warning_text(texts: Texts, settings: ChatSettings, items: Sequence[Warning]) -> Html:
    """The HTML of one warning covering `items` (aggregated when there are several)."""
    lang = texts.language(settings.language)
    region = region_of(texts, settings)
    lines: list[str] = []
    warned = [w for w in items if not w.leak]
    if warned:
        main = max(warned, key=lambda w: (w.verdict.is_scam, w.verdict.score))
        lines.append(render_group_warning(
            main.verdict, texts=texts, lang=lang, region=region, sender=main.sender,
            action=main.action, hours=main.hours, count=len(warned), joined=main.joined,
        ))
    posters = {person_name(w.sender): w.sender for w in items if w.leak}
    lines.extend(leak_notice(texts, lang, poster) for poster in posters.values())
    names = dict.fromkeys(w.impersonator for w in items if w.impersonator)
    for name in names:
        lines.append(texts.text(lang, "group.not_admin", name=escape(name, 64)))
    missing = dict.fromkeys(right for w in items for right in w.missing)
    for right in missing:
        shown = texts.lookup(lang, f"right.{right}") or right
        lines.append(texts.text(lang, "group.missing_right", right=shown))
    return Html("\n\n".join(lines))


async def post_warning(bot: Bot, services: Services, chat_id: int,
                       items: Sequence[Warning]) -> int | None:
    """Send one (possibly aggregated) warning and record "warn" on each incident; the id of
    the warning, None when Telegram refused it."""
    settings = await services.chat_settings.get(chat_id)
    texts = services.rules.texts
    lang = texts.language(settings.language)
    # A deleted secret of the poster's own needs no "Not a scam" button.
    incident_ids = [w.incident_id for w in items if w.incident_id is not None and not w.leak]
    markup = not_scam_button(texts, lang, incident_ids) if incident_ids else None
    reply_to = next((w.reply_to for w in reversed(items) if w.reply_to), None)
    error: TelegramError | None = None
    sent: Message | None = None
    try:
        sent = await bot.send_message(
            chat_id,
            warning_text(texts, settings, items),
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
    return sent.message_id if sent is not None else None


async def post_warning_to_vanish(application: Application, services: Services, chat_id: int,
                                 items: Sequence[Warning]) -> int | None:
    """`post_warning`, then the warning disappears after the group's `delete_after` minutes
    (whichever worker posts it: this process's batcher or the outbox sender)."""
    sent = await post_warning(application.bot, services, chat_id, items)
    if sent is not None:
        settings = await services.chat_settings.get(chat_id)
        schedule_deletion(application, chat_id, [sent], settings.delete_after)
    return sent


# ---- the pipeline -------------------------------------------------------------------------------


def _impersonator(services: Services, verdict: Verdict, sender: Person | None,
                  admins: Sequence[Person], settings: ChatSettings) -> str | None:
    """The sender's name when the sender (not a forward origin) imitates an admin or support."""
    if sender is None or not any(h.rule.startswith("impersonation.") for h in verdict.hits):
        return None
    brands = services.rules.detector.rules.links.brands
    hits = screen_person(sender, admins, brands, frozenset(settings.trusted_users))
    return person_name(sender) if hits else None


async def expand_and_recheck(services: Services, request: CheckRequest, verdict: Verdict,
                             context: ChatContext) -> tuple[CheckRequest, Verdict]:
    """The request with where its shortened links lead, checked again (unchanged when link
    expansion is off, the verdict is already scam, or there is no shortened link)."""
    if services.expander is None or verdict.is_scam:
        return request, verdict
    links = services.rules.detector.rules.links
    expanded = await expand_shortened(request, services.expander, links, MAX_EXPANDED)
    if expanded is request:
        return request, verdict
    return expanded, services.rules.detector.check(expanded, context)


@dataclass
class Checked:
    """One checked group message: what was checked, the verdict and the chat it is in."""

    request: CheckRequest
    verdict: Verdict
    settings: ChatSettings
    context: ChatContext
    admins: Sequence[Person]
    sender_is_admin: bool


async def check_message(
    bot: Bot,
    services: Services,
    message: Message,
    *,
    settings: ChatSettings | None = None,
) -> Checked:
    """Check one group message (its own text, links and buttons; not what it quotes)."""
    chat_id = message.chat.id
    if settings is None:
        settings = await services.chat_settings.get(chat_id)
    admins = await services.admins.get_admins(bot, chat_id)
    admin_ids = await services.admins.admin_ids(bot, chat_id)
    user = message.from_user
    if message.sender_chat is not None:
        sender_is_admin = message.sender_chat.id == chat_id
    else:
        sender_is_admin = user is not None and user.id in admin_ids
    context = await services.contexts.context_for(settings)
    request = to_check_request(message, admins=admins, lang=settings.language)
    started = time.perf_counter()
    verdict = services.rules.detector.check(request, context)
    services.metrics.observe_check("group", time.perf_counter() - started, verdict)
    # the sender's history is looked up only for a message it would change
    sender_id = message.sender_chat.id if message.sender_chat else user.id if user else None
    if (verdict.open_to_follow_up and not sender_is_admin
            and await follows_flagged(services, chat_id, sender_id)):
        request = replace(request, follow_up=True)
        verdict = services.rules.detector.check(request, context)
    request, verdict = await expand_and_recheck(services, request, verdict, context)
    return Checked(request, verdict, settings, context, admins, sender_is_admin)


async def follows_flagged(services: Services, chat_id: int, sender_id: int | None) -> bool:
    """Whether this sender's message was flagged in this chat within the follow-up window
    (SCAMGUARD_FOLLOW_UP_HOURS) and no admin called it "Not a scam": their next message is
    then read as the next step of the same script (CheckRequest.follow_up). A storage error
    reads as no."""
    hours = services.settings.follow_up_hours
    if hours <= 0 or sender_id is None:
        return False
    since = datetime.now(UTC) - timedelta(hours=hours)
    try:
        return await services.storage.sender_flagged_since(chat_id, sender_id, since)
    except ScamguardError as exc:
        log.error("could not read the earlier incidents of a sender in chat %s: %s",
                  chat_id, exc)
        return False


async def foreign_channel(bot: Bot, services: Services, message: Message,
                          verdict: Verdict) -> int | None:
    """The id of the channel a flagged message was posted on behalf of, unless that is the
    group itself (an anonymous admin), a channel post forwarded into its discussion group, or
    the group's linked channel: only a foreign channel may be banned."""
    sender = message.sender_chat
    if (sender is None or verdict.verdict == "clean" or sender.type != ChatType.CHANNEL
            or sender.id == message.chat.id or message.is_automatic_forward):
        return None
    if await services.admins.is_own_channel(bot, message.chat.id, sender.id):
        return None
    return sender.id


async def stored_incident(services: Services, chat_id: int, message_id: int,
                          edit: int) -> Incident | None:
    """The incident already stored for this message as of this edit, if any."""
    try:
        return await services.storage.find_incident(chat_id, message_id, edit)
    except ScamguardError as exc:
        log.error("could not look up incidents in chat %s: %s", chat_id, exc)
        return None


async def admin_unknown_spares(bot: Bot, services: Services, message: Message) -> bool:
    """While the chat's admin list is unknown (getChatAdministrators fails), ask Telegram
    about the sender alone (getChatMember): True when they are an admin. When that fails too
    the sender counts as a member: a scam is not left standing through an outage."""
    user = message.from_user
    chat_id = message.chat.id
    if message.sender_chat is not None or user is None:
        return False
    if await services.admins.admins_known(bot, chat_id):
        return False
    status = await services.admins.admin_status(bot, chat_id, user.id)
    if status is None:
        log.warning("cannot tell whether %s is an admin of chat %s: acting as for a member",
                    user.id, chat_id)
    return status is True


async def moderate(application: Application, message: Message, *,
                   quotes: bool = True) -> Outcome:
    """Check a group message and act per the chat's policy: store the incident first, then
    act, then record each action's result. Telegram errors never escape.

    A trusted member (/trust) is only protected from their own posted secret. When the
    message itself is not acted on, is not a command and `quotes` is set, what it quotes or
    replies to is checked on its own and at most warned about (see `warn_about_quote`)."""
    sender = message.sender_chat or message.from_user
    if sender is None:
        return await _moderate(application, message, quotes)
    # one sender's messages in a chat one after another: a push posted right after the
    # opener is judged once the opener's incident is stored (a follow-up)
    async with _SENDER_LOCKS((message.chat.id, sender.id)):
        return await _moderate(application, message, quotes)


_SENDER_LOCKS = KeyedLocks()


async def _moderate(application: Application, message: Message, quotes: bool) -> Outcome:
    bot = application.bot
    services: Services = application.bot_data["services"]
    checked = await check_message(bot, services, message)
    verdict, settings = checked.verdict, checked.settings
    chat_id = message.chat.id
    user = message.from_user
    can_punish = (
        message.sender_chat is None and user is not None and not user.is_bot
        and user.id != TELEGRAM_SERVICE_USER
    )
    trusted = (message.sender_chat is None and user is not None
               and user.id in settings.trusted_users)
    rights = await services.admins.bot_rights(bot, chat_id)
    channel = await foreign_channel(bot, services, message, verdict)
    decision = decide(verdict, settings, rights, sender_is_admin=checked.sender_is_admin,
                      sender_is_trusted=trusted, can_punish=can_punish,
                      channel_sender=channel is not None)
    if decision.acts and await admin_unknown_spares(bot, services, message):
        decision = NOTHING
    outcome = Outcome(verdict, decision)
    if not decision.acts:
        if quotes and not checked.sender_is_admin and not is_command(message):
            await warn_about_quote(application, services, message, checked)
        return outcome
    edit = int(message.edit_date.timestamp()) if message.edit_date else 0
    key = (chat_id, message.message_id, edit)
    if key in _IN_FLIGHT:
        # The same update is being handled right now (delivered twice at once).
        return outcome
    _IN_FLIGHT.add(key)
    try:
        return await _act(application, services, message, settings, checked, outcome,
                          channel, can_punish, edit)
    finally:
        _IN_FLIGHT.discard(key)


# (chat, message, edit) of the updates being acted on in this process.
_IN_FLIGHT: set[tuple[int, int, int]] = set()


async def _act(application: Application, services: Services, message: Message,
               settings: ChatSettings, checked: Checked, outcome: Outcome,
               channel: int | None, can_punish: bool, edit: int) -> Outcome:
    """Store the incident (once per message and edit), then act and record each result."""
    bot = application.bot
    chat_id = message.chat.id
    user = message.from_user
    verdict, decision, admins = outcome.verdict, outcome.decision, checked.admins
    request_text = message.text or message.caption or ""
    # The sender is the channel a message was posted on behalf of, else the user.
    sender_id = message.sender_chat.id if message.sender_chat else user.id if user else None
    try:
        outcome.incident_id, earlier = await services.storage.add_or_get_incident(
            chat_id, message.message_id, sender_id, verdict.verdict,
            verdict.score, verdict.hits, request_text,
            indicators=extract_indicators(checked.request),
            keep_full=settings.keep_evidence, edit_date=edit,
        )
        if earlier is not None and earlier.actions:
            # The update came again (a webhook retry, or a restart before Telegram saw the
            # confirmed offset) and was acted on the first time.
            return outcome
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
    if channel is not None and decision.ban:
        error = await attempt(services, incident, "ban",
                              bot.ban_chat_sender_chat(chat_id, channel))
        outcome.done["ban"] = error is None
        if error is not None and is_rights_error(error):
            services.admins.invalidate(chat_id)
            missing.append(RESTRICT_RIGHT)
    elif user is not None and can_punish and (decision.restrict_hours or decision.ban):
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
        told = await _tell_poster(bot, services, incident, user.id, message, settings)
        if isinstance(told, Forbidden):
            # The poster never started the bot: tell them in the group, within its limits.
            await batcher_of(application).submit(
                Warning(chat_id, verdict, sender_of(message), "delete",
                        incident_id=incident, leak=True))
    impersonator = _impersonator(services, verdict, sender_of(message), admins, settings)
    if decision.warn or missing or (decision.delete and not deleted):
        action = _shown_action(decision, outcome)
        await batcher_of(application).submit(
            Warning(chat_id, verdict, sender_of(message), action, decision.restrict_hours,
                    None if deleted else message.message_id, incident,
                    tuple(dict.fromkeys(missing)), impersonator)
        )
    if settings.log_chat is not None:
        log_soon(application, post_log(
            bot, services, chat_id, message.chat.title or "",
            action=_shown_action(decision, outcome), sender=sender_of(message),
            verdict=verdict, text=request_text, incident_id=incident))
    # Removed: banned or muted (a deleted message alone does not mark its sender).
    removed = bool(outcome.done.get("ban") or outcome.done.get("restrict"))
    if (removed and verdict.is_scam and can_punish and user is not None
            and not is_secret_leak(verdict)):
        await flag_sender(services, user.id, chat_id, incident)
    return outcome


async def flag_sender(services: Services, user_id: int, chat_id: int,
                      incident_id: int | None) -> None:
    """Remember across this instance's groups that the scam policy removed this sender."""
    try:
        await services.storage.flag_user(user_id, chat_id, incident_id,
                                         half_life_days=services.reputation_half_life)
    except ScamguardError as exc:
        log.error("could not flag sender %s: %s", user_id, exc)


def _shown_action(decision: Decision, outcome: Outcome) -> str:
    if outcome.done.get("ban"):
        return "ban"
    if outcome.done.get("restrict"):
        return "restrict"
    if outcome.done.get("delete"):
        return "delete"
    return "warn" if decision.kind in ("scam", "suspicious") else "none"


async def _tell_poster(bot: Bot, services: Services, incident: int | None, user_id: int,
                       message: Message, settings: ChatSettings) -> TelegramError | None:
    """Tell the poster privately that their secret was deleted (Forbidden when they never
    started the bot); the secret itself is never repeated. The error, None when told."""
    texts = services.rules.texts
    prefs = await services.storage.get_user_prefs(user_id)
    lang = texts.language(prefs.language or (message.from_user.language_code
                                             if message.from_user else None)
                          or settings.language)
    text = texts.text(lang, "group.secret_leak_private", chat=message.chat.title or "")
    return await attempt(services, incident, "notify_poster",
                         bot.send_message(user_id, text))


def is_command(message: Message) -> bool:
    """The message starts with a bot command (its reply is the command's target, not a
    question about the replied-to message)."""
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0
               for e in message.entities)


def _quote_key(message: Message, request: CheckRequest) -> tuple[int, object]:
    """What identifies the quoted content: the replied-to message, else the quote itself."""
    chat_id = message.chat.id
    if message.reply_to_message is not None:
        return chat_id, message.reply_to_message.message_id
    external = message.external_reply
    if external is not None and external.chat is not None and external.message_id:
        return chat_id, (external.chat.id, external.message_id)
    return chat_id, (request.text, request.urls)


def _quotes_warned(application: Application) -> OrderedDict[tuple[int, object], float]:
    warned = application.bot_data.get(QUOTES_KEY)
    if not isinstance(warned, OrderedDict):
        warned = application.bot_data[QUOTES_KEY] = OrderedDict()
    return warned


async def warn_about_quote(application: Application, services: Services, message: Message,
                           checked: Checked) -> None:
    """Check what a message quotes or replies to (the quote, the replied-to message, a reply
    to another chat's message) as its own request. A scam there gets a warning in reply;
    nothing is deleted and the member who replied is never punished, since they did not
    write it. Quotes of the bot's own messages or of an admin, and content already stored as
    an incident, are skipped; each quoted message is warned about once."""
    replied = message.reply_to_message
    if replied is None and message.quote is None and message.external_reply is None:
        return
    bot = application.bot
    chat_id = message.chat.id
    if replied is not None and (
        (replied.from_user is not None and replied.from_user.id == bot.id)
        or (replied.sender_chat is not None and replied.sender_chat.id == chat_id)
    ):
        return
    author = quoted_author(message)
    settings = checked.settings
    if isinstance(author, Person) and author.id is not None and (
        author.id in {a.id for a in checked.admins} or author.id in settings.trusted_users
    ):
        return
    request = quoted_request(message, admins=checked.admins, lang=settings.language)
    if request is None:
        return
    verdict = services.rules.detector.check(request, checked.context)
    if verdict.verdict == "clean" or is_secret_leak(verdict):
        return
    if not verdict.is_scam and (settings.suspicious_action != "warn" or settings.quiet):
        return
    key = _quote_key(message, request)
    warned = _quotes_warned(application)
    if key in warned:
        return
    if replied is not None and await stored_incident(services, chat_id, replied.message_id,
                                                     0) is not None:
        return  # the replied-to message was acted on when it was posted
    warned[key] = time.monotonic()
    while len(warned) > MAX_QUOTES_REMEMBERED:
        warned.popitem(last=False)
    await batcher_of(application).submit(
        Warning(chat_id, verdict, author, "warn", reply_to=message.message_id))


# ---- handlers -------------------------------------------------------------------------------


async def check_group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Check a new or edited group message and act on it."""
    message = update.effective_message
    if message is None or message.chat.type not in GROUP_TYPES:
        return
    if message.from_user is not None and message.from_user.id == context.bot.id:
        return
    await moderate(context.application, message)


async def marked_incidents(services: Services, chat_id: int, data: str) -> list[Incident]:
    """The chat's incidents a "Not a scam" button names (see `not_scam_data`)."""
    parsed = parse_not_scam_data(data)
    if parsed is None:
        return []
    ids, is_range = parsed
    if is_range:
        first, last = ids
        found = await services.storage.list_incidents(chat_id, limit=MAX_MARKED,
                                                      before_id=last + 1)
        return [i for i in found if i.id >= first]
    incidents = [await services.storage.get_incident(i) for i in ids[:MAX_MARKED]]
    return [i for i in incidents if i is not None and i.chat_id == chat_id]


async def lift_punishment(bot: Bot, services: Services, chat_id: int,
                          incident: Incident) -> None:
    """Undo the ban or restriction an incident caused (a channel's ban included)."""
    done = {a.action for a in incident.actions if a.ok}
    sender = incident.sender_id
    if sender is None:
        return
    if "ban" in done and sender < 0:
        await attempt(services, incident.id, "unban",
                      bot.unban_chat_sender_chat(chat_id, sender))
    elif "ban" in done:
        await attempt(services, incident.id, "unban",
                      bot.unban_chat_member(chat_id, sender, only_if_banned=True))
    elif "restrict" in done:
        await attempt(services, incident.id, "unrestrict",
                      bot.restrict_chat_member(chat_id, sender,
                                               ChatPermissions.all_permissions()))


async def record_not_scam(application: Application, services: Services, chat_id: int,
                          incidents: Sequence[Incident], actor_id: int, *,
                          via: str | None = None, actor_name: str | None = None,
                          chat_title: str | None = None) -> None:
    """What "Not a scam" does wherever it is pressed (the group's warning, a log entry, the
    web console): a false positive recorded on each incident, the restrictions or bans they
    caused lifted, the senders' reputation across groups cleared, one audit entry by
    `actor_id` (`via` names where it was done when not on the warning), and, unless it was
    pressed on a log entry, one entry per incident in the group's log chat naming
    `actor_name`."""
    for incident in incidents:
        await services.storage.add_feedback(incident.id, actor_id, "false_positive")
        await lift_punishment(application.bot, services, chat_id, incident)
        if incident.sender_id is not None and incident.sender_id > 0:
            await services.storage.clear_reputation(incident.sender_id, actor_id, chat_id)
    ids = [i.id for i in incidents]
    detail: dict[str, object] = {"incident": ids[0]} if len(ids) == 1 else {"incidents": ids}
    if via is not None:
        detail["via"] = via
    await services.storage.audit(actor_id, chat_id, "not_scam", detail)
    if via != VIA_LOG_CHAT:
        log_soon(application, post_marks(
            application.bot, services, chat_id, incidents, action="not_scam",
            done_by=actor_name or via or str(actor_id), chat_title=chat_title))


async def record_scam(services: Services, incident: Incident, actor_id: int,
                      via: str | None = None) -> None:
    """Confirm an incident as a scam: "confirmed" feedback (a scam label for training) and
    an audit entry."""
    await services.storage.add_feedback(incident.id, actor_id, "confirmed")
    detail: dict[str, object] = {"incident": incident.id}
    if via is not None:
        detail["via"] = via
    await services.storage.audit(actor_id, incident.chat_id, "scam", detail)


async def mark_not_scam(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Not a scam" button: admins only; `record_not_scam` on every incident the warning
    covers (one, or all of an aggregated warning)."""
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return
    services = services_of(context)
    texts = services.rules.texts
    chat_id = query.message.chat.id
    settings = await services.chat_settings.get(chat_id)
    lang = texts.language(settings.language)
    if not await services.admins.is_admin(context.bot, chat_id, query.from_user.id):
        await query.answer(texts.text(lang, "group.admins_only"), show_alert=True)
        return
    incidents = await marked_incidents(services, chat_id, query.data)
    if not incidents:
        await query.answer()
        return
    # Answer first: Telegram shows a spinner until then, and lifting a raid takes a while.
    await query.answer()
    await record_not_scam(context.application, services, chat_id, incidents,
                          query.from_user.id, actor_name=query.from_user.full_name,
                          chat_title=query.message.chat.title)
    name = query.from_user.full_name
    try:
        await query.edit_message_text(
            texts.text(lang, "group.not_scam_done", name=name),
        )
    except (BadRequest, Forbidden) as exc:
        log.warning("could not edit the warning in chat %s: %s", chat_id, exc)


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
    application.add_handler(CallbackQueryHandler(mark_not_scam, pattern=_FP_RE))
