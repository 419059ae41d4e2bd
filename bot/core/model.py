"""Plain data types of the detection core: what goes in (`CheckRequest`) and what comes out
(`Verdict`). Nothing here knows about Telegram; the JSON forms follow the scan contract."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from bot.core.normalize import PreparedText

if TYPE_CHECKING:
    from bot.core.links.extract import Link

FORWARD_TYPES = ("user", "hidden_user", "chat", "channel")
VERDICTS = ("clean", "suspicious", "scam")


class RequestError(ValueError):
    """A scan-input object that does not follow the contract."""


class Severity(IntEnum):
    """How much a single hit says on its own; ordered so that `max()` works."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r} (one of: {names})") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` with lone surrogates (which JSON escapes allow and UTF-8 cannot encode) replaced
    by U+FFFD, so no later step (normalising, Chinese folding, output) fails on them."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def _str(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise RequestError(f"{what} must be a string")


def _opt_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{what} must be an integer")
    return value


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RequestError(f"{what} must be an object")
    return value


@dataclass(frozen=True, slots=True)
class Person:
    """A Telegram user as the core sees it: display name, username (without @), id."""

    name: str = ""
    username: str = ""
    id: int | None = None

    @classmethod
    def from_dict(cls, data: Any, what: str = "sender") -> Person:
        obj = _mapping(data, what)
        return cls(
            name=_str(obj.get("name"), f"{what}.name"),
            username=_str(obj.get("username"), f"{what}.username").lstrip("@"),
            id=_opt_int(obj.get("id"), f"{what}.id"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.username:
            out["username"] = self.username
        if self.id is not None:
            out["id"] = self.id
        return out


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """Where a forwarded message came from. `type` is one of FORWARD_TYPES."""

    type: str = "user"
    name: str = ""
    username: str = ""
    id: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> ForwardOrigin:
        obj = _mapping(data, "forward_from")
        kind = _str(obj.get("type"), "forward_from.type") or "user"
        if kind not in FORWARD_TYPES:
            raise RequestError(f"forward_from.type must be one of {', '.join(FORWARD_TYPES)}")
        return cls(
            type=kind,
            name=_str(obj.get("name"), "forward_from.name"),
            username=_str(obj.get("username"), "forward_from.username").lstrip("@"),
            id=_opt_int(obj.get("id"), "forward_from.id"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.username:
            out["username"] = self.username
        if self.id is not None:
            out["id"] = self.id
        return out

    def same_as(self, other: ForwardOrigin) -> bool:
        """Whether two forwards come from the same account: the same id when both have one,
        else the same username; a hidden user (who shows only a name) by the same name."""
        if self.type != other.type:
            return False
        if self.id is not None and other.id is not None:
            return self.id == other.id
        if self.username or other.username:
            return self.username.casefold() == other.username.casefold()
        return self.type == "hidden_user" and bool(self.name) and self.name == other.name


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """The chat a message was seen in and its administrators."""

    type: str = "private"
    title: str = ""
    admins: tuple[Person, ...] = ()

    @classmethod
    def from_dict(cls, data: Any) -> ChatInfo:
        obj = _mapping(data, "chat")
        admins = obj.get("admins") or []
        if not isinstance(admins, list):
            raise RequestError("chat.admins must be a list")
        return cls(
            type=_str(obj.get("type"), "chat.type") or "private",
            title=_str(obj.get("title"), "chat.title"),
            admins=tuple(Person.from_dict(a, "chat.admins[]") for a in admins),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "title": self.title,
            "admins": [a.to_dict() for a in self.admins],
        }


@dataclass(frozen=True, slots=True)
class Anchor:
    """A hidden link: the text a reader sees and the URL it really opens."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """One message to check: its text (or caption) and everything around it.

    `urls` are links the reader does not see as text (text_link entities, buttons);
    `anchors` pairs a hidden link with its visible text when that is known.
    `follow_up`: the same writer's message was flagged a short while ago in the same place
    (a group, or the forwards a user sends the bot), so this one may be the next step of
    the same script ("did you decide? the pool closes tonight").
    """

    text: str
    urls: tuple[str, ...] = ()
    sender: Person | None = None
    forward_from: ForwardOrigin | None = None
    chat: ChatInfo | None = None
    lang: str | None = None
    anchors: tuple[Anchor, ...] = ()
    follow_up: bool = False

    @classmethod
    def from_dict(cls, data: Any) -> CheckRequest:
        """Build from a scan-input object; raises RequestError with a readable message. Every
        string field is cleaned of lone surrogates here, at the boundary."""
        obj = _mapping(data, "input")
        if "text" not in obj or obj["text"] is None:
            raise RequestError("missing 'text'")
        if not isinstance(obj["text"], str):
            raise RequestError("'text' must be a string")
        urls = obj.get("urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise RequestError("'urls' must be a list of strings")
        anchors_raw = obj.get("anchors") or []
        if not isinstance(anchors_raw, list):
            raise RequestError("'anchors' must be a list")
        anchors = []
        for item in anchors_raw:
            a = _mapping(item, "anchors[]")
            anchors.append(Anchor(_str(a.get("text"), "anchors[].text"),
                                  _str(a.get("url"), "anchors[].url")))
        lang = obj.get("lang")
        if lang is not None and not isinstance(lang, str):
            raise RequestError("'lang' must be a string")
        follow_up = obj.get("follow_up", False)
        if not isinstance(follow_up, bool):
            raise RequestError("'follow_up' must be true or false")
        return cls(
            text=clean_text(obj["text"]),
            urls=tuple(clean_text(u) for u in urls),
            sender=Person.from_dict(obj["sender"]) if obj.get("sender") else None,
            forward_from=(
                ForwardOrigin.from_dict(obj["forward_from"]) if obj.get("forward_from") else None
            ),
            chat=ChatInfo.from_dict(obj["chat"]) if obj.get("chat") else None,
            lang=(lang or None) and clean_text(lang).strip().lower()[:8],
            anchors=tuple(anchors),
            follow_up=follow_up,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text}
        if self.urls:
            out["urls"] = list(self.urls)
        if self.anchors:
            out["anchors"] = [{"text": a.text, "url": a.url} for a in self.anchors]
        if self.sender:
            out["sender"] = self.sender.to_dict()
        if self.forward_from:
            out["forward_from"] = self.forward_from.to_dict()
        if self.chat:
            out["chat"] = self.chat.to_dict()
        if self.lang:
            out["lang"] = self.lang
        if self.follow_up:
            out["follow_up"] = True
        return out


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule that fired: which, what kind, how bad, and why in words a user can read."""

    rule: str
    category: str
    severity: Severity
    reason: str
    # What in the text made the hit (the learned model's phrases); the reason quotes them,
    # the scan contract's hit keeps its four keys.
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity.label,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a check: `verdict` is one of VERDICTS, `score` is in [0, 1]."""

    verdict: str
    score: float
    hits: tuple[Hit, ...] = ()
    # (characters matched, length of the text) when a text over the matching limit was cut.
    cut: tuple[int, int] | None = None
    # why the learned layer took back the rules' verdict: "framed" (a warning, a report,
    # a quotation), "judged" (the writer's own verdict: "haha", "fake") or "unframed" (read
    # as more likely not a scam); the hits stay listed
    taken_back: str | None = None
    # clean, but suspicious were it a follow-up (CheckRequest.follow_up): the caller looks up
    # the sender's history only then, and checks again with follow_up set if it holds
    open_to_follow_up: bool = False

    @property
    def is_scam(self) -> bool:
        return self.verdict == "scam"

    @property
    def categories(self) -> tuple[str, ...]:
        """Distinct categories of the hits, most severe first."""
        seen: dict[str, None] = {}
        for hit in sorted(self.hits, key=lambda h: -h.severity):
            seen.setdefault(hit.category, None)
        return tuple(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "hits": [h.to_dict() for h in self.hits],
        } | ({"cut": {"matched": self.cut[0], "length": self.cut[1]}} if self.cut else {}) | (
            {"taken_back": self.taken_back} if self.taken_back else {})


@dataclass(frozen=True, slots=True)
class ChatContext:
    """What a chat's admins chose that changes detection: sensitivity, allowlists, trusted
    users and the chat's own known-scam samples (a prebuilt similarity index or None)."""

    sensitivity: str = "normal"
    allow_domains: frozenset[str] = field(default_factory=frozenset)
    allow_handles: frozenset[str] = field(default_factory=frozenset)
    trusted_user_ids: frozenset[int] = field(default_factory=frozenset)
    samples: Any = None


DEFAULT_CONTEXT = ChatContext()


@dataclass(frozen=True, slots=True)
class Message:
    """A request prepared once for all checks: normalised text forms, extracted links, the
    concepts the phrase rules found (with whether the text is framed as advice or
    discussion), the scope signals of the text and the learned model's score."""

    request: CheckRequest
    text: PreparedText
    links: tuple[Link, ...]
    scan: Any = None
    framed: bool = False
    scope: Any = None
    model_score: Any = None
    # The recovery phrases and private keys in the text (bot.core.secrets.find_secrets),
    # found once for the checks that need them; None when not computed yet.
    secrets: Any = None
    # every link the message opens is on a brand's official domain (and it has one): the
    # `@official_link` concept of the phrase rules
    official_links: bool = False
