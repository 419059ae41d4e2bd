"""Member events: screen joining members for fake support identities; keep the admin cache
fresh when admins or the bot's own rights change."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram import ChatMember, ChatMemberUpdated, ChatPermissions, Update
from telegram.ext import Application, ChatMemberHandler, ContextTypes

from bot.core.impersonation import screen_person
from bot.core.model import Severity
from bot.errors import ScamguardError
from bot.policy import RESTRICT_RIGHT, impersonation_decision
from bot.wiring.admins import ADMIN_STATUSES, person_from_user
from bot.wiring.services import services_of
from handlers.group import Warning, attempt, batcher_of, is_rights_error, screen_hits_verdict
from handlers.logchat import log_soon, post_log
from handlers.signals import screen_with_cas

log = logging.getLogger(__name__)

_ABSENT = (ChatMember.LEFT, ChatMember.BANNED)


def joined(change: ChatMemberUpdated) -> bool:
    """The user became a member (joined, was added, or was let back in)."""
    old, new = change.old_chat_member, change.new_chat_member
    was_in = old.status not in _ABSENT and getattr(old, "is_member", True)
    is_in = new.status not in _ABSENT and getattr(new, "is_member", True)
    return is_in and not was_in


def admin_changed(change: ChatMemberUpdated) -> bool:
    """The change touches an administrator (promoted, demoted, rights edited, left)."""
    return (change.old_chat_member.status in ADMIN_STATUSES
            or change.new_chat_member.status in ADMIN_STATUSES)


async def screen_new_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Compare a joining member's name and username with the admins and brands' support; an
    impersonator is announced ("X is not an admin") and restricted or banned per policy."""
    change = update.chat_member
    if change is None:
        return
    services = services_of(context)
    chat_id = change.chat.id
    if admin_changed(change):
        services.admins.invalidate(chat_id)
        return
    user = change.new_chat_member.user
    if not joined(change) or user.is_bot:
        return
    settings = await services.chat_settings.get(chat_id)
    if user.id in settings.trusted_users:
        return
    if await screen_with_cas(context.application, services, settings, chat_id,
                             change.chat.title or "", user):
        return
    admins = await services.admins.get_admins(context.bot, chat_id)
    person = person_from_user(user)
    brands = services.rules.detector.rules.links.brands
    hits = screen_person(person, admins, brands, frozenset(settings.trusted_users))
    if not hits:
        return
    verdict = screen_hits_verdict(hits, settings.sensitivity)
    rights = await services.admins.bot_rights(context.bot, chat_id)
    decision = impersonation_decision(settings, rights)
    serious = max(h.severity for h in hits) >= Severity.HIGH
    incident = None
    try:
        incident = await services.storage.add_incident(
            chat_id, None, user.id, verdict.verdict if verdict.verdict != "clean"
            else "suspicious", verdict.score, hits, person.name,
        )
    except ScamguardError as exc:
        log.error("join incident in chat %s not stored: %s", chat_id, exc)
    missing = decision.missing if serious else ()
    done = "warn"
    if serious and (decision.ban or decision.restrict_hours):
        if decision.ban:
            call = context.bot.ban_chat_member(chat_id, user.id)
        else:
            call = context.bot.restrict_chat_member(
                chat_id, user.id, ChatPermissions.no_permissions(),
                until_date=datetime.now(UTC) + timedelta(hours=decision.restrict_hours))
        wanted = "ban" if decision.ban else "restrict"
        error = await attempt(services, incident, wanted, call)
        if error is None:
            done = wanted
        elif is_rights_error(error):
            services.admins.invalidate(chat_id)
            missing = (RESTRICT_RIGHT,)
    if settings.log_chat is not None:
        log_soon(context.application, post_log(
            context.bot, services, chat_id, change.chat.title or "", action=done,
            sender=person, verdict=verdict, text="", incident_id=incident))
    await batcher_of(context.application).submit(
        # No message was posted, so the warning names the account and states no action.
        Warning(chat_id, verdict, person, "none", 0, None, incident, missing,
                person.name or f"@{person.username}", joined=True)
    )


async def track_bot_rights(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's own status in a chat changed: forget the cached admins and rights."""
    change = update.my_chat_member
    if change is not None:
        services_of(context).admins.invalidate(change.chat.id)


def register(application: Application) -> None:
    application.add_handler(
        ChatMemberHandler(screen_new_member, ChatMemberHandler.CHAT_MEMBER)
    )
    application.add_handler(
        ChatMemberHandler(track_bot_rights, ChatMemberHandler.MY_CHAT_MEMBER)
    )
