"""Typed records that go in and out of the repository, and the validation of chat settings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.model import VERDICTS, Hit
from bot.errors import ScamguardError

SCAM_ACTIONS = ("warn", "delete", "restrict", "ban")
SUSPICIOUS_ACTIONS = ("warn", "none")
SENSITIVITIES = ("low", "normal", "high")
DELETE_AFTER_MINUTES = (0, 1, 5, 15, 60)
MAX_DELETE_AFTER = 2880
FEEDBACK_KINDS = ("false_positive", "missed_scam", "confirmed")
MAX_RESTRICT_HOURS = 8760
MAX_LIST_ITEMS = 500

_REGION_RE = re.compile(r"^[A-Z]{2}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_HANDLE_RE = re.compile(r"^[a-z0-9_]{3,32}$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class StorageValueError(ScamguardError, ValueError):
    """A value given to the repository is not acceptable: an unknown setting, a value out of
    range, an incident that does not exist. The message says which and what is allowed."""


class SupportsToDict(Protocol):
    """Anything with a JSON form, such as the core's `Indicators`."""

    def to_dict(self) -> dict[str, Any]: ...


IndicatorsLike = SupportsToDict | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What a group's admins chose. `quiet` posts no warnings (actions only);
    `keep_evidence` keeps the full text of incidents instead of a redacted excerpt.
    `language_auto`: the language is guessed from the chat until an admin chooses one;
    `log_chat`: where every action is logged (None: nowhere); `delete_after`: minutes after
    which warnings disappear (0: they stay); `cas`: look new members up in Combot Anti-Spam."""

    chat_id: int
    scam_action: str = "delete"
    restrict_hours: int = 24
    suspicious_action: str = "warn"
    sensitivity: str = "normal"
    language: str = "en"
    region: str | None = None
    allow_domains: tuple[str, ...] = ()
    allow_handles: tuple[str, ...] = ()
    trusted_users: tuple[int, ...] = ()
    quiet: bool = False
    keep_evidence: bool = False
    language_auto: bool = True
    log_chat: int | None = None
    delete_after: int = 0
    cas: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out


SETTING_NAMES = tuple(f.name for f in fields(ChatSettings) if f.name != "chat_id")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise StorageValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value.strip().lower()


def parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("on", "true", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("off", "false", "no", "0"):
        return False
    raise StorageValueError(f"{name} must be on or off, not {value!r}")


def _items(name: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise StorageValueError(f"{name} must be a list")
    items = list(value)
    if len(items) > MAX_LIST_ITEMS:
        raise StorageValueError(f"{name} holds at most {MAX_LIST_ITEMS} entries")
    return items


def normalize_domain(value: Any) -> str:
    """`https://WWW.Example.com/path` -> `www.example.com`; StorageValueError if not a domain."""
    if not isinstance(value, str):
        raise StorageValueError(f"not a domain: {value!r}")
    host = value.strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split("?", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    if host.startswith("*."):
        host = host[2:]
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise StorageValueError(f"not a domain: {value!r}") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or len(ascii_host) > 253 or not all(_LABEL_RE.match(p) for p in labels):
        raise StorageValueError(f"not a domain: {value!r}")
    return ascii_host


def normalize_handle(value: Any) -> str:
    """`@Some_Admin` or `https://t.me/some_admin` -> `some_admin`."""
    if not isinstance(value, str):
        raise StorageValueError(f"not a Telegram username: {value!r}")
    handle = value.strip().lower()
    handle = re.sub(r"^(https?://)?(www\.)?(t\.me|telegram\.me)/", "", handle).lstrip("@")
    if not _HANDLE_RE.match(handle):
        raise StorageValueError(f"not a Telegram username: {value!r}")
    return handle


def _user_id(value: Any) -> int:
    if isinstance(value, bool):
        raise StorageValueError(f"not a Telegram user id: {value!r}")
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,20}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise StorageValueError(f"not a Telegram user id: {value!r}")
    return value


def normalize_region(value: Any) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case (`EU` and `ZZ` included), or None."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, str) and _REGION_RE.match(value.strip().upper()):
        return value.strip().upper()
    raise StorageValueError(f"region must be a two-letter country code such as VN, not {value!r}")


def normalize_language(value: Any) -> str:
    """A language code such as `vi` or `zh-hant`. Which languages have texts is the rules'
    business (a language is added as data), so only the form is checked here."""
    if isinstance(value, str) and _LANGUAGE_RE.match(value.strip().lower()):
        return value.strip().lower()
    raise StorageValueError(f"language must be a language code such as en or vi, not {value!r}")


def validate_changes(current: ChatSettings, changes: Mapping[str, Any]) -> ChatSettings:
    """`current` with `changes` applied, each value checked and normalised."""
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "scam_action":
            clean[name] = _choice(name, value, SCAM_ACTIONS)
        elif name == "suspicious_action":
            clean[name] = _choice(name, value, SUSPICIOUS_ACTIONS)
        elif name == "sensitivity":
            clean[name] = _choice(name, value, SENSITIVITIES)
        elif name == "language":
            clean[name] = normalize_language(value)
        elif name == "region":
            clean[name] = normalize_region(value)
        elif name == "restrict_hours":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise StorageValueError(f"restrict_hours must be a whole number, not {value!r}")
            if not 1 <= value <= MAX_RESTRICT_HOURS:
                raise StorageValueError(
                    f"restrict_hours must be between 1 and {MAX_RESTRICT_HOURS}"
                )
            clean[name] = value
        elif name == "delete_after":
            if isinstance(value, str) and value.strip().isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise StorageValueError(f"delete_after must be a whole number, not {value!r}")
            if not 0 <= value <= MAX_DELETE_AFTER:
                raise StorageValueError(
                    f"delete_after must be between 0 and {MAX_DELETE_AFTER} minutes")
            clean[name] = value
        elif name == "log_chat":
            clean[name] = None if value is None else _user_id(value)
        elif name in ("quiet", "keep_evidence", "language_auto", "cas"):
            clean[name] = parse_bool(name, value)
        elif name == "allow_domains":
            clean[name] = tuple(dict.fromkeys(normalize_domain(v) for v in _items(name, value)))
        elif name == "allow_handles":
            clean[name] = tuple(dict.fromkeys(normalize_handle(v) for v in _items(name, value)))
        elif name == "trusted_users":
            clean[name] = tuple(dict.fromkeys(_user_id(v) for v in _items(name, value)))
        else:
            raise StorageValueError(
                f"unknown chat setting {name!r} (one of: {', '.join(SETTING_NAMES)})"
            )
    return replace(current, **clean)


def check_verdict(verdict: str) -> str:
    if verdict not in VERDICTS:
        raise StorageValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    return verdict


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One moderation action taken on an incident and whether Telegram accepted it."""

    action: str
    ok: bool
    error: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "ok": self.ok, "error": self.error,
                "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class Incident:
    """A scam or suspicious message seen in a group. `excerpt` is redacted; `full_text` is
    set only when the chat keeps evidence."""

    id: int
    chat_id: int
    message_id: int | None
    sender_id: int | None
    verdict: str
    score: float
    hits: tuple[Hit, ...]
    excerpt: str
    text_hash: str
    full_text: str | None
    indicators: dict[str, Any]
    created_at: datetime
    actions: tuple[ActionRecord, ...] = ()

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(h.category for h in self.hits))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "sender_id": self.sender_id,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "hits": [h.to_dict() for h in self.hits],
            "actions": [a.to_dict() for a in self.actions],
            "excerpt": self.excerpt,
            "text_hash": self.text_hash,
            "full_text": self.full_text,
            "indicators": self.indicators,
        }


@dataclass(frozen=True, slots=True)
class PrivateCheck:
    """A message a user sent the bot in private to have it checked."""

    id: int
    user_id: int
    verdict: str
    score: float
    hits: tuple[Hit, ...]
    excerpt: str
    text_hash: str
    full_text: str | None
    indicators: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "user_id": self.user_id,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "hits": [h.to_dict() for h in self.hits],
            "excerpt": self.excerpt,
            "text_hash": self.text_hash,
            "full_text": self.full_text,
            "indicators": self.indicators,
        }


@dataclass(frozen=True, slots=True)
class UserPrefs:
    """A private-chat user's choices; None means "not chosen" (use Telegram's language).
    `keep_evidence` keeps the full text and indicators of the user's checks for `/evidence`."""

    user_id: int
    language: str | None = None
    region: str | None = None
    keep_evidence: bool = False


@dataclass(frozen=True, slots=True)
class Sample:
    """A known-scam message an admin marked with /scam (chat 0: promoted to every group),
    with the category it was filed under, if any. Show it as a redacted excerpt."""

    id: int
    chat_id: int
    text: str
    added_by: int
    created_at: datetime
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Reputation:
    """A sender the scam policy removed somewhere: the score at `updated_at` (1.0 for one
    removal), where and for which incident. Read it through `score_at()`, which decays."""

    user_id: int
    score: float
    chat_id: int
    incident_id: int | None
    updated_at: datetime

    def score_at(self, moment: datetime, half_life_days: float) -> float:
        """The score decayed by half every `half_life_days`."""
        days = max(0.0, (moment - self.updated_at).total_seconds() / 86400)
        return float(self.score * 0.5 ** (days / half_life_days))


@dataclass(frozen=True, slots=True)
class LogChatCode:
    """A pending /logchat link: which group (and its title then), which admin asked (0: any
    admin, the request came from an anonymous one), until when it can be confirmed."""

    code: str
    chat_id: int
    title: str
    admin_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, where. `actor_id` None is the bot itself."""

    id: int
    actor_id: int | None
    chat_id: int | None
    action: str
    detail: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "chat_id": self.chat_id,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class ActionCount:
    ok: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts over incidents (of one chat, or all): by verdict, by hit category (an incident
    counts once per category), by action with success and failure, and the feedback kinds."""

    incidents: int = 0
    by_verdict: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, ActionCount] = field(default_factory=dict)
    feedback: dict[str, int] = field(default_factory=dict)
    private_checks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "by_verdict": dict(self.by_verdict),
            "by_category": dict(self.by_category),
            "by_action": {k: {"ok": v.ok, "failed": v.failed}
                          for k, v in self.by_action.items()},
            "feedback": dict(self.feedback),
            "private_checks": self.private_checks,
        }


# What deployment taught, for `scamguard model train --with-feedback` (same SQL on both
# engines): marked incidents with their first category, and every /scam sample.
LABELLED_SQL = (
    "SELECT COALESCE(i.full_text, i.excerpt), f.kind,"
    " (SELECT h.category FROM incident_hits h WHERE h.incident_id = i.id"
    "  ORDER BY h.position LIMIT 1)"
    " FROM feedback f JOIN incidents i ON i.id = f.incident_id ORDER BY f.id"
)
LABELLED_SAMPLES_SQL = "SELECT text, category FROM samples ORDER BY id"


def labelled_rows(marked: Iterable[Sequence[Any]], samples: Iterable[Sequence[Any]]
                  ) -> list[dict[str, Any]]:
    """Labelled lines from feedback rows (Not a scam -> ham, confirmed or missed -> scam)
    and samples (scam); one line per text, a mark before a sample."""
    out: dict[str, dict[str, Any]] = {}
    for text, kind, category in marked:
        label = "ham" if kind == "false_positive" else "scam"
        out[text] = {"text": text, "label": label, "source": f"feedback:{kind}",
                     "category": category if label == "scam" else None}
    for text, category in samples:
        out.setdefault(text, {"text": text, "label": "scam", "source": "sample",
                              "category": category})
    return list(out.values())


@dataclass(frozen=True)
class IncidentQuery:
    """A filter over incidents (every field optional): one chat, a verdict, a hit category,
    an action taken, a creation time range [since, until), and paging by id."""

    chat_id: int | None = None
    verdict: str | None = None
    category: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


@dataclass(frozen=True)
class ActivityRow:
    """One count of one UTC day: `kind` is verdict (key: the verdict), category, action
    (key: "action:ok" or "action:failed"), feedback (key: the kind) or private_check (key:
    the verdict, chat None)."""

    day: str
    chat_id: int | None
    kind: str
    key: str
    count: int

