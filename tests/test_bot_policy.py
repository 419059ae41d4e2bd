"""The pure moderation policy: what to do for a verdict under a chat's settings and rights."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.model import Hit, Severity, Verdict
from bot.policy import (
    DELETE_RIGHT,
    RESTRICT_RIGHT,
    BotRights,
    decide,
    impersonation_decision,
    is_secret_leak,
)


@dataclass(frozen=True)
class Policy:
    scam_action: str = "delete"
    restrict_hours: int = 24
    suspicious_action: str = "warn"
    quiet: bool = False


SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL, "asks for a seed")
LEAK = Hit("secret.bip39", "secret_leak", Severity.CRITICAL, "contains a recovery phrase")
URGENT = Hit("weak.urgency", "investment", Severity.MEDIUM, "urgency")
SCAM = Verdict("scam", 0.97, (SEED,))
SUSPICIOUS = Verdict("suspicious", 0.5, (URGENT,))
CLEAN = Verdict("clean", 0.0)
LEAK_ONLY = Verdict("scam", 0.97, (LEAK, URGENT))
ALL = BotRights.all()
NO_DELETE = BotRights(can_delete=False, can_restrict=True)
NO_RESTRICT = BotRights(can_delete=True, can_restrict=False)
NONE = BotRights()

CASES = [
    # (verdict, policy, rights, admin, punish) -> (actions, reply, missing)
    ("clean", CLEAN, Policy(), ALL, False, True, (), False, ()),
    ("admin-sender", SCAM, Policy(), ALL, True, True, (), False, ()),
    ("scam-warn", SCAM, Policy("warn"), ALL, False, True, ("warn",), True, ()),
    ("scam-delete", SCAM, Policy("delete"), ALL, False, True, ("delete", "warn"), False, ()),
    ("scam-delete-quiet", SCAM, Policy("delete", quiet=True), ALL, False, True, ("delete",),
     False, ()),
    ("scam-restrict", SCAM, Policy("restrict", 6), ALL, False, True,
     ("delete", "restrict", "warn"), False, ()),
    ("scam-ban", SCAM, Policy("ban"), ALL, False, True, ("delete", "ban", "warn"), False, ()),
    ("scam-ban-channel-sender", SCAM, Policy("ban"), ALL, False, False, ("delete", "warn"),
     False, ()),
    ("scam-delete-no-right", SCAM, Policy("delete"), NO_DELETE, False, True, ("warn",), True,
     (DELETE_RIGHT,)),
    ("scam-ban-no-restrict", SCAM, Policy("ban"), NO_RESTRICT, False, True, ("delete", "warn"),
     False, (RESTRICT_RIGHT,)),
    ("scam-ban-no-rights", SCAM, Policy("ban"), NONE, False, True, ("warn",), True,
     (DELETE_RIGHT, RESTRICT_RIGHT)),
    ("quiet-but-missing-right", SCAM, Policy("delete", quiet=True), NO_DELETE, False, True,
     ("warn",), True, (DELETE_RIGHT,)),
    ("suspicious-warn", SUSPICIOUS, Policy(), ALL, False, True, ("warn",), True, ()),
    ("suspicious-none", SUSPICIOUS, Policy(suspicious_action="none"), ALL, False, True, (),
     False, ()),
    ("suspicious-quiet", SUSPICIOUS, Policy(quiet=True), ALL, False, True, (), False, ()),
    ("leak-delete", LEAK_ONLY, Policy("ban"), ALL, False, True, ("delete",), False, ()),
    ("leak-no-delete", LEAK_ONLY, Policy(), NONE, False, True, ("warn",), True, (DELETE_RIGHT,)),
]


@pytest.mark.parametrize(
    ("verdict", "policy", "rights", "admin", "punish", "actions", "reply", "missing"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decide(verdict, policy, rights, admin, punish, actions, reply, missing):
    """Each verdict, policy and rights combination yields the expected actions."""
    decision = decide(verdict, policy, rights, sender_is_admin=admin, can_punish=punish)
    assert decision.actions == actions
    assert decision.reply == reply
    assert decision.missing == missing


def test_restrict_uses_the_chat_hours():
    """A restriction lasts the chat's configured number of hours."""
    assert decide(SCAM, Policy("restrict", 6), ALL).restrict_hours == 6


def test_secret_leak_tells_the_poster_and_never_punishes():
    """A leaked secret is deleted, the poster told privately, nobody restricted."""
    decision = decide(LEAK_ONLY, Policy("ban"), ALL)
    assert decision.kind == "secret_leak"
    assert decision.tell_poster and not decision.ban and not decision.restrict_hours


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [(LEAK_ONLY, True), (SCAM, False), (Verdict("scam", 0.99, (LEAK, SEED)), False)],
    ids=["leak-only", "no-leak", "leak-with-scam-request"],
)
def test_is_secret_leak(verdict, expected):
    """A leak with another serious scam signal is treated as a scam, not as a leak."""
    assert is_secret_leak(verdict) is expected


@pytest.mark.parametrize(
    ("policy", "rights", "actions", "missing"),
    [
        (Policy("ban"), ALL, ("ban", "warn"), ()),
        (Policy("restrict", 2), ALL, ("restrict", "warn"), ()),
        (Policy("delete"), ALL, ("warn",), ()),
        (Policy("ban"), NO_RESTRICT, ("warn",), (RESTRICT_RIGHT,)),
    ],
    ids=["ban", "restrict", "delete-means-warn", "no-right"],
)
def test_impersonation_decision(policy, rights, actions, missing):
    """A joining impersonator is announced and restricted or banned per the scam action."""
    decision = impersonation_decision(policy, rights)
    assert decision.actions == actions
    assert decision.missing == missing


@pytest.mark.parametrize(
    ("policy", "rights", "actions", "missing"),
    [
        (Policy("delete"), ALL, ("delete", "warn"), ()),
        (Policy("restrict", 6), ALL, ("delete", "ban", "warn"), ()),
        (Policy("ban"), ALL, ("delete", "ban", "warn"), ()),
        (Policy("ban"), NO_RESTRICT, ("delete", "warn"), (RESTRICT_RIGHT,)),
        (Policy("warn"), ALL, ("warn",), ()),
    ],
    ids=["delete", "restrict-bans", "ban", "ban-without-right", "warn"],
)
def test_foreign_channel_sender(policy, rights, actions, missing):
    """A channel cannot be muted for a while: restrict and ban both ban it (no timed mute)."""
    decision = decide(SCAM, policy, rights, can_punish=False, channel_sender=True)
    assert decision.actions == actions
    assert decision.restrict_hours == 0
    assert decision.missing == missing


@pytest.mark.parametrize(
    ("verdict", "kind", "actions"),
    [
        (SCAM, "none", ()),
        (SUSPICIOUS, "none", ()),
        (LEAK_ONLY, "secret_leak", ("delete",)),
    ],
    ids=["scam", "suspicious", "own-secret-leak"],
)
def test_trusted_sender_is_only_protected_from_a_leak(verdict, kind, actions):
    """A trusted member is never punished or warned about; their posted secret is deleted."""
    decision = decide(verdict, Policy("ban"), ALL, sender_is_trusted=True)
    assert (decision.kind, decision.actions) == (kind, actions)
