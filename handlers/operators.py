"""Operators of the bot (`SCAMGUARD_OPERATORS`): `/reload`, `/globalstats`, and the job that
watches the rules folder, reloads it when it changes, and tells the operators once per
distinct error when a file is broken (the last good rules stay active)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.core.ruleset import rules_digest
from bot.replies import escape
from bot.rulesholder import ReloadResult, RulesHolder
from bot.storage.common import GLOBAL_SAMPLES
from bot.wiring.services import SERVICES_KEY, Services, services_of

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE
WATCHER_KEY = "rules_watcher"
WATCH_JOB = "rules-watcher"
MAX_ERRORS_SHOWN = 20
NOT_OPERATOR = "This command is for the operators of this bot."


class RulesWatcher:
    """Notices changes of the rules folder and reloads once a change has settled (the same
    fingerprint on two polls in a row, so a file caught mid-save is not loaded)."""

    def __init__(self, holder: RulesHolder) -> None:
        self.holder = holder
        self.seen = self._digest()
        self.pending: str | None = None
        self.reported: set[tuple[str, ...]] = set()

    def _digest(self) -> str:
        try:
            return rules_digest(self.holder.directory)
        except OSError as exc:
            return f"unreadable: {exc}"

    def poll(self) -> ReloadResult | None:
        """Reload when the folder changed and settled; None when there was nothing to do."""
        digest = self._digest()
        if digest == self.seen:
            self.pending = None
            return None
        if digest != self.pending:
            self.pending = digest
            return None
        self.pending = None
        return self.reload(digest)

    def reload(self, digest: str | None = None) -> ReloadResult:
        """Reload now (also used by /reload) and remember the folder's state."""
        self.seen = digest or self._digest()
        result = self.holder.reload()
        if result.ok:
            self.reported.clear()
        return result

    def news(self, result: ReloadResult) -> tuple[str, ...] | None:
        """The errors of a failed reload if operators were not told about them yet."""
        if result.ok or result.errors in self.reported:
            return None
        self.reported.add(result.errors)
        return result.errors


def watcher_of(application: Application) -> RulesWatcher:
    watcher = application.bot_data.get(WATCHER_KEY)
    if not isinstance(watcher, RulesWatcher):
        services: Services = application.bot_data[SERVICES_KEY]
        watcher = application.bot_data[WATCHER_KEY] = RulesWatcher(services.rules)
    return watcher


def errors_text(title: str, errors: Iterable[str]) -> str:
    """A title and the `path:line: reason` errors as HTML, within one Telegram message."""
    errors = list(errors)
    lines = [title]
    for error in errors[:MAX_ERRORS_SHOWN]:
        lines.append(f"<code>{escape(error, 300)}</code>")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"… and {len(errors) - MAX_ERRORS_SHOWN} more")
    return "\n".join(lines)


def reload_text(result: ReloadResult, digest: str) -> str:
    if not result.ok:
        return errors_text("⚠️ <b>Reload failed</b>; the previous rules stay active:",
                           result.errors)
    if result.changed:
        return f"✅ Rules reloaded (<code>{escape(digest)}</code>)."
    return f"Rules unchanged (<code>{escape(digest)}</code>)."


async def tell_operators(bot: Bot, operators: Iterable[int], text: str) -> int:
    """Send `text` to every operator who can be reached; the number reached."""
    reached = 0
    for operator in sorted(operators):
        try:
            await bot.send_message(operator, text)
            reached += 1
        except TelegramError as exc:
            log.warning("could not tell operator %s about the rules: %s", operator, exc)
    return reached


async def watch_rules(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The repeating job: reload changed rules; report new errors to the operators."""
    services = services_of(context)
    watcher = watcher_of(context.application)
    result = await asyncio.to_thread(watcher.poll)
    if result is None:
        return
    services.metrics.observe_reload(result.ok, result.changed)
    if result.ok:
        log.info("rules reloaded from %s (%s)", services.rules.directory, services.rules.digest)
        return
    log.warning("rules in %s are broken, keeping the last good set:\n%s",
                services.rules.directory, "\n".join(result.errors))
    errors = watcher.news(result)
    if errors:
        title = "⚠️ <b>Rule files are broken</b>; the last good rules stay active:"
        await tell_operators(context.bot, services.settings.operators,
                             errors_text(title, errors))


def _is_operator(services: Services, update: Update) -> bool:
    user = update.effective_user
    return user is not None and user.id in services.settings.operators


async def reload_rules(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: load the rules folder now and answer with the result or its errors."""
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    if not _is_operator(services, update):
        await message.reply_text(NOT_OPERATOR)
        return
    watcher = watcher_of(context.application)
    result = await asyncio.to_thread(watcher.reload)
    services.metrics.observe_reload(result.ok, result.changed)
    if not result.ok:
        watcher.reported.add(result.errors)
    await message.reply_text(reload_text(result, services.rules.digest))


async def show_global_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/globalstats: counts over every group, private checks, and the active rules."""
    message = update.effective_message
    if message is None:
        return
    services = services_of(context)
    if not _is_operator(services, update):
        await message.reply_text(NOT_OPERATOR)
        return
    stats = await services.storage.stats(None)
    lines = [
        "<b>scamguard: all groups</b>",
        f"Incidents: {stats.incidents}",
        *(f"  {escape(k)}: {v}" for k, v in stats.by_verdict.items()),
        f"Private checks: {stats.private_checks}",
    ]
    if stats.by_category:
        lines.append("By category:")
        lines += [f"  {escape(k)}: {v}" for k, v in stats.by_category.items()]
    if stats.by_action:
        lines.append("Actions (ok / failed):")
        lines += [f"  {escape(k)}: {c.ok} / {c.failed}" for k, c in stats.by_action.items()]
    if stats.feedback:
        lines.append("Feedback:")
        lines += [f"  {escape(k)}: {v}" for k, v in stats.feedback.items()]
    texts = services.rules.texts
    lines.append(f"Rules: <code>{escape(services.rules.digest)}</code>, "
                 f"{len(texts.languages)} languages, {len(texts.contacts)} contacts")
    await message.reply_text("\n".join(lines))


async def promote_sample(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/promote <sample id>: a group's /scam sample (ids are shown by /lists) protects
    every group of this instance from now on; audited."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return
    services = services_of(context)
    if not _is_operator(services, update):
        await message.reply_text(NOT_OPERATOR)
        return
    wanted = (context.args or [""])[0].strip().lstrip("#")
    if not wanted.isdigit():
        await message.reply_text("Use /promote followed by a sample number from /lists.")
        return
    copy = await services.storage.promote_sample(int(wanted), user.id)
    if copy is None:
        await message.reply_text(f"There is no sample #{wanted}.")
        return
    services.contexts.invalidate(GLOBAL_SAMPLES)
    await message.reply_text(f"Sample #{wanted} now protects every group (as #{copy}).")


def register(application: Application) -> None:
    """Operator commands and, when SCAMGUARD_RULES_WATCH > 0, the rules-folder watcher."""
    application.add_handler(CommandHandler("reload", reload_rules, PRIVATE))
    application.add_handler(CommandHandler("globalstats", show_global_stats, PRIVATE))
    application.add_handler(CommandHandler("promote", promote_sample, PRIVATE))
    services = application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        return
    watcher_of(application)
    seconds = services.settings.rules_watch_seconds
    if seconds > 0:
        if application.job_queue is None:
            log.warning("no job queue: rule files are not watched (install the job-queue extra)")
            return
        application.job_queue.run_repeating(watch_rules, interval=seconds, first=seconds,
                                            name=WATCH_JOB)
