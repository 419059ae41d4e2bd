"""What to do about a verdict in a group: pure decisions from the verdict, the chat's settings
and the bot's rights. No Telegram, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.model import Severity, Verdict

SCAM_ACTIONS = ("warn", "delete", "restrict", "ban")
SUSPICIOUS_ACTIONS = ("warn", "none")
DELETE_RIGHT = "can_delete_messages"
RESTRICT_RIGHT = "can_restrict_members"


class ChatPolicy(Protocol):
    """The part of a chat's stored settings that decides actions."""

    @property
    def scam_action(self) -> str: ...

    @property
    def restrict_hours(self) -> int: ...

    @property
    def suspicious_action(self) -> str: ...

    @property
    def quiet(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class BotRights:
    """The bot's rights in one chat."""

    can_delete: bool = False
    can_restrict: bool = False

    @classmethod
    def all(cls) -> BotRights:
        return cls(True, True)


@dataclass(frozen=True, slots=True)
class Decision:
    """The actions for one message. `kind` is why (scam, suspicious, secret_leak, none)."""

    kind: str = "none"
    delete: bool = False
    restrict_hours: int = 0
    ban: bool = False
    warn: bool = False
    reply: bool = False
    tell_poster: bool = False
    missing: tuple[str, ...] = ()

    @property
    def acts(self) -> bool:
        return self.delete or self.ban or bool(self.restrict_hours) or self.warn

    @property
    def actions(self) -> tuple[str, ...]:
        """Names of the moderation actions in the order they run."""
        out = []
        if self.delete:
            out.append("delete")
        if self.restrict_hours:
            out.append("restrict")
        if self.ban:
            out.append("ban")
        if self.warn:
            out.append("warn")
        return tuple(out)


NOTHING = Decision()


def is_secret_leak(verdict: Verdict) -> bool:
    """The message leaks the poster's own secret and carries no other serious scam signal."""
    if "secret_leak" not in verdict.categories:
        return False
    return all(
        hit.category == "secret_leak" or hit.severity < Severity.HIGH for hit in verdict.hits
    )


def decide(
    verdict: Verdict,
    policy: ChatPolicy,
    rights: BotRights,
    *,
    sender_is_admin: bool = False,
    sender_is_trusted: bool = False,
    can_punish: bool = True,
    channel_sender: bool = False,
) -> Decision:
    """The decision for one message.

    `can_punish` is False when there is no user to restrict (a channel or anonymous sender).
    `channel_sender` marks a message posted on behalf of a foreign channel: Telegram can only
    ban a channel (banChatSenderChat), not restrict it for a while, so under both `restrict`
    and `ban` the channel is banned (`ban=True`). A right the bot lacks turns that action
    into a warning and names the right in `missing`.
    `sender_is_trusted` (a member an admin trusted with /trust) leaves only the secret-leak
    case: deleting a posted recovery phrase protects the poster, it punishes nobody.
    """
    if sender_is_admin or verdict.verdict == "clean":
        return NOTHING
    if is_secret_leak(verdict):
        if rights.can_delete:
            return Decision("secret_leak", delete=True, tell_poster=True)
        return Decision("secret_leak", warn=True, reply=True, missing=(DELETE_RIGHT,))
    if sender_is_trusted:
        return NOTHING
    if verdict.verdict == "suspicious":
        if policy.suspicious_action == "warn" and not policy.quiet:
            return Decision("suspicious", warn=True, reply=True)
        return NOTHING
    return _scam(policy, rights, can_punish, channel_sender)


def _scam(policy: ChatPolicy, rights: BotRights, can_punish: bool,
          channel_sender: bool = False) -> Decision:
    action = policy.scam_action if policy.scam_action in SCAM_ACTIONS else "delete"
    if action == "warn":
        return Decision("scam", warn=True, reply=True)
    missing: list[str] = []
    delete = rights.can_delete
    if not delete:
        missing.append(DELETE_RIGHT)
    restrict_hours = 0
    ban = False
    if action in ("restrict", "ban") and (can_punish or channel_sender):
        if rights.can_restrict:
            ban = action == "ban" or channel_sender
            restrict_hours = 0 if ban else max(1, int(policy.restrict_hours))
        else:
            missing.append(RESTRICT_RIGHT)
    warn = not policy.quiet or not delete or bool(missing)
    return Decision(
        "scam",
        delete=delete,
        restrict_hours=restrict_hours,
        ban=ban,
        warn=warn,
        reply=not delete,
        missing=tuple(missing),
    )


def impersonation_decision(policy: ChatPolicy, rights: BotRights) -> Decision:
    """What to do about a member who joined with an admin's or a brand's support identity:
    there is no message to delete, so restrict or ban per the scam action, always tell the
    group."""
    action = policy.scam_action if policy.scam_action in SCAM_ACTIONS else "delete"
    if action in ("restrict", "ban"):
        if not rights.can_restrict:
            return Decision("impersonation", warn=True, missing=(RESTRICT_RIGHT,))
        if action == "ban":
            return Decision("impersonation", ban=True, warn=True)
        return Decision(
            "impersonation", restrict_hours=max(1, int(policy.restrict_hours)), warn=True
        )
    return Decision("impersonation", warn=True)
