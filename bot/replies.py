"""What people read: reply texts per language, official contacts, and the rendering of
warnings, verdicts and evidence summaries as Telegram HTML.

Texts come from `rules/messages/<lang>.yaml` and `rules/contacts.yaml` and are loaded with the
rules (`load_texts`), so a reload swaps them together. `parse_messages` and `parse_contacts`
work on text and name every problem as `path:line: reason`. Every value that comes from a user
(names, message text, links) goes through `escape()` before it is put into HTML.
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.core.model import FORWARD_TYPES as ORIGIN_TYPES
from bot.core.model import ForwardOrigin, Hit, Person, Verdict
from bot.errors import RuleFileError, RuleSetError

BASE_LANG = "en"
GLOBAL_REGION = "ZZ"
CONTACT_KINDS = ("phone", "web", "app", "email", "telegram")
CONTACT_USES = ("report", "hotline", "check", "emergency")
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code", "pre"})
MAX_NAME = 64
MAX_REASONS = 4

# Bidi controls and marks: they can reverse how a warning reads, so user text loses them.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TAG = re.compile(r"<(/?)([a-zA-Z]+)[^<>]*>")
_BARE_AMP = re.compile(r"&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)")
_REGION = re.compile(r"^[A-Z]{2}$")
_LANG_OF_REGION = {"VN": "vi", "ID": "id", "CN": "zh", "HK": "zh", "TW": "zh", "TH": "th",
                   "MY": "ms", "PH": "tl", "SE": "sv"}
_REGION_OF_LANG = {"vi": "VN", "id": "ID", "zh": "CN", "th": "TH", "ms": "MY", "tl": "PH",
                   "fil": "PH", "sv": "SE"}
_LANG_ALIASES = {"fil": "tl", "in": "id", "zsm": "ms", "swe": "sv"}


class Html(str):
    """A string that is already safe HTML; `Texts.text` puts it in without escaping."""


def escape(value: object, limit: int | None = None) -> Html:
    """User-supplied text made safe for Telegram HTML: no bidi controls, `<>&` escaped."""
    text = _BIDI.sub("", str(value))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Html(html.escape(text, quote=False))


# What Telegram turns into a tappable link or mention in a message: URLs, bare domains,
# @usernames. In a warning these name the scam's own link or account, so they are shown as
# inert code instead.
_LINKABLE = re.compile(
    r"(?:https?|hxxps?|tg)://\S+"
    r"|[\w.+-]+@(?:[\w-]+\.)+[A-Za-z]{2,24}"
    r"|(?<![\w@.])@[A-Za-z][A-Za-z0-9_]{3,31}\b"
    r"|\b(?:[A-Za-z0-9\u00a1-\uffff-]+\.)+(?:xn--[a-z0-9-]+|[A-Za-z\u00a1-\uffff]{2,24})"
    r"(?:/\S*)?"
)


def inert(value: object, limit: int | None = None) -> Html:
    """Like `escape`, and links, domains and @usernames wrapped in <code> so that Telegram
    does not make the scammer's site or account one tap away in the bot's own warning."""
    escaped = escape(value, limit)
    return Html(_LINKABLE.sub(lambda m: f"<code>{m.group(0)}</code>", escaped))


@dataclass(frozen=True, slots=True)
class Contact:
    """One official reporting contact."""

    region: str
    agency: str
    kind: str
    value: str
    use: str
    source_url: str
    everyone: bool = False
    local: tuple[tuple[str, str, str], ...] = ()

    def in_language(self, lang: str | None) -> tuple[str, str]:
        """(agency, value) as written for readers of `lang` when the file says so."""
        for code, agency, value in self.local:
            if code == lang:
                return agency, value
        return self.agency, self.value

    def to_html(self, lang: str | None = None, colon: str = ": ") -> Html:
        agency, value = self.in_language(lang)
        return Html(f"<b>{escape(agency)}</b>{colon}{escape(value)}")

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "agency": self.agency, "kind": self.kind,
                "value": self.value, "use": self.use, "source_url": self.source_url}


Catalog = Mapping[str, Any]


@dataclass(frozen=True)
class Texts:
    """Reply texts of every language and the contacts, as loaded from one rules folder."""

    catalogs: Mapping[str, Catalog]
    contacts: tuple[Contact, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.catalogs))

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({c.region for c in self.contacts} - {GLOBAL_REGION}))

    def language(self, code: str | None) -> str:
        """The supported language closest to a Telegram language_code, else English."""
        if not code:
            return BASE_LANG
        primary = re.split(r"[-_]", code.strip().lower())[0]
        primary = _LANG_ALIASES.get(primary, primary)
        return primary if primary in self.catalogs else BASE_LANG

    def region_of(self, code: str | None) -> str:
        """The default region of a Telegram language_code (`en-SG` -> SG, `vi` -> VN)."""
        if not code:
            return GLOBAL_REGION
        parts = re.split(r"[-_]", code.strip())
        primary = parts[0].lower()
        for part in parts[1:]:
            if part.upper() in self.regions:
                return part.upper()
            if part.lower() == "hant":
                return "TW"
        region = _REGION_OF_LANG.get(primary, GLOBAL_REGION)
        return region if region in self.regions else GLOBAL_REGION

    def region(self, code: str | None) -> str | None:
        """A region code the contacts know (`GLOBAL_REGION` included), or None."""
        if not code:
            return None
        up = code.strip().upper()
        if up in ("GLOBAL", "ZZ", "--"):
            return GLOBAL_REGION
        return up if up in self.regions else None

    def raw(self, lang: str, key: str) -> Any:
        """The text (or list) under a dotted key, from `lang` or else from English."""
        for code in (lang, BASE_LANG):
            value = self.catalogs.get(code, {}).get(key)
            if value is not None:
                return value
        raise KeyError(key)

    def text(self, lang: str, key: str, **values: object) -> Html:
        """A reply text with its placeholders filled; str values are escaped unless Html."""
        template = self.raw(lang, key)
        safe = {k: v if isinstance(v, Html) else escape(v) for k, v in values.items()}
        return Html(str(template).format_map(safe))

    def colon(self, lang: str) -> str:
        """What follows a label in `lang` (": ", or "：" in Chinese)."""
        return str(self.raw(lang, "label.colon"))

    def lookup(self, lang: str, key: str) -> str | None:
        """A text under a dotted key in `lang` only, or None."""
        value = self.catalogs.get(lang, {}).get(key)
        return value if isinstance(value, str) else None

    def contacts_for(self, region: str | None) -> tuple[Contact, ...]:
        """The region's contacts (most useful first), then those shown to everyone."""
        code = (region or GLOBAL_REGION).upper()
        own = tuple(c for c in self.contacts if c.region == code and not c.everyone)
        everyone = tuple(c for c in self.contacts if c.everyone)
        return own + everyone

    def report_agency(self, region: str | None) -> Contact | None:
        """Where to send an evidence summary: the region's first report or hotline contact."""
        code = (region or GLOBAL_REGION).upper()
        for use in ("report", "hotline") if code != GLOBAL_REGION else ():
            for contact in self.contacts:
                if contact.region == code and contact.use == use and not contact.everyone:
                    return contact
        return next((c for c in self.contacts if c.everyone), None)


# Loading -------------------------------------------------------------------------------------


def _flatten(node: yaml.Node, path: str, source: str, out: dict[str, tuple[Any, int]],
             errors: list[RuleFileError]) -> None:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or not key:
                errors.append(RuleFileError(source, key_node.start_mark.line + 1,
                                            "keys must be plain text"))
                continue
            full = f"{path}.{key}" if path else key
            if full in out:
                errors.append(RuleFileError(source, key_node.start_mark.line + 1,
                                            f"duplicate key {full!r}"))
                continue
            _flatten(value_node, full, source, out, errors)
    elif isinstance(node, yaml.SequenceNode):
        items = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                errors.append(RuleFileError(source, item.start_mark.line + 1,
                                            f"{path}: list items must be texts"))
                continue
            items.append((item.value, item.start_mark.line + 1))
        out[path] = (tuple(items), line)
    elif isinstance(node, yaml.ScalarNode):
        out[path] = (node.value, line)


def _placeholders(text: str) -> set[str]:
    names = set()
    for _, name, spec, conv in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conv:
            raise ValueError(f"placeholder {{{name}}} must be a plain name")
        names.add(name)
    return names


def _check_html(text: str) -> str | None:
    stack: list[str] = []
    for match in _TAG.finditer(text):
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if tag not in ALLOWED_TAGS:
            return f"tag <{tag}> is not allowed (use {', '.join(sorted(ALLOWED_TAGS))})"
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return f"</{tag}> does not close an open <{tag}>"
    if stack:
        return f"<{stack[-1]}> is not closed"
    rest = _TAG.sub("", text)
    if "<" in rest or ">" in rest:
        return "a < or > outside a tag must be written &lt; or &gt;"
    if _BARE_AMP.search(rest):
        return "a bare & must be written &amp;"
    return None


@dataclass(frozen=True)
class MessageFile:
    """One parsed messages file: language, name, texts by dotted key, and their lines."""

    lang: str
    name: str
    texts: Mapping[str, Any]
    lines: Mapping[str, int]
    fields: Mapping[str, frozenset[str]]
    source: str


def parse_messages(text: str, source: str = "<messages>") -> MessageFile:
    """Parse one `messages/<lang>.yaml`; raise RuleSetError with every problem found."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise RuleSetError([RuleFileError(source, line, f"not valid YAML: {exc}")]) from exc
    if not isinstance(root, yaml.MappingNode):
        raise RuleSetError([RuleFileError(source, 1, "a messages file is a mapping of texts")])
    flat: dict[str, tuple[Any, int]] = {}
    errors: list[RuleFileError] = []
    _flatten(root, "", source, flat, errors)
    lang = str(flat.pop("lang", ("", 1))[0]).strip().lower()
    name = str(flat.pop("name", ("", 1))[0]).strip()
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        errors.append(RuleFileError(source, 1, "'lang' must be a language code such as en"))
    if not name:
        errors.append(RuleFileError(source, 1, "'name' (the language's own name) is missing"))
    texts: dict[str, Any] = {}
    lines: dict[str, int] = {}
    fields: dict[str, frozenset[str]] = {}
    for key, (value, line) in flat.items():
        lines[key] = line
        items = value if isinstance(value, tuple) else ((value, line),)
        names: set[str] = set()
        for item, item_line in items:
            if not isinstance(item, str) or not item.strip():
                errors.append(RuleFileError(source, item_line, f"{key}: empty text"))
                continue
            try:
                names |= _placeholders(item)
            except ValueError as exc:
                errors.append(RuleFileError(source, item_line, f"{key}: {exc}"))
            problem = _check_html(item)
            if problem:
                errors.append(RuleFileError(source, item_line, f"{key}: {problem}"))
        fields[key] = frozenset(names)
        texts[key] = tuple(i for i, _ in value) if isinstance(value, tuple) else value
    if errors:
        raise RuleSetError(errors)
    return MessageFile(lang, name, texts, lines, fields, source)


def parse_contacts(text: str, source: str = "<contacts>") -> tuple[Contact, ...]:
    """Parse `contacts.yaml`; every entry needs region, agency, kind, value, use, a source
    URL and `confirmed: true`."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise RuleSetError([RuleFileError(source, line, f"not valid YAML: {exc}")]) from exc
    entries = None
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "contacts" and isinstance(value, yaml.SequenceNode):
                entries = value.value
    if entries is None:
        raise RuleSetError([RuleFileError(source, 1, "expected a list under 'contacts'")])
    out: list[Contact] = []
    errors: list[RuleFileError] = []
    for node in entries:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.MappingNode):
            errors.append(RuleFileError(source, line, "a contact is a mapping"))
            continue
        data = yaml.safe_load(yaml.serialize(node))
        problem = _contact_problem(data)
        if problem:
            errors.append(RuleFileError(source, line, problem))
            continue
        out.append(Contact(
            region=data["region"], agency=str(data["agency"]), kind=data["kind"],
            value=str(data["value"]), use=data["use"], source_url=data["source_url"],
            everyone=bool(data.get("everyone", False)),
            local=tuple((str(code), str(v.get("agency") or data["agency"]),
                         str(v.get("value") or data["value"]))
                        for code, v in (data.get("local") or {}).items()),
        ))
    if errors:
        raise RuleSetError(errors)
    return tuple(out)


def _contact_problem(data: Mapping[str, Any]) -> str | None:
    for key in ("region", "agency", "kind", "value", "use", "source_url"):
        if not str(data.get(key) or "").strip():
            return f"contact without {key!r}"
    if not _REGION.match(str(data["region"])):
        return f"region {data['region']!r} is not a two-letter code"
    if data["kind"] not in CONTACT_KINDS:
        return f"kind must be one of {', '.join(CONTACT_KINDS)}"
    if data["use"] not in CONTACT_USES:
        return f"use must be one of {', '.join(CONTACT_USES)}"
    if not re.match(r"^https?://\S+$", str(data["source_url"])):
        return "source_url must be an http(s) address"
    if data.get("confirmed") is not True:
        return "only confirmed contacts belong here (confirmed: true)"
    local = data.get("local") or {}
    if not isinstance(local, Mapping) or not all(
        isinstance(v, Mapping) and set(v) <= {"agency", "value"} for v in local.values()
    ):
        return "local must map a language code to {agency: ..., value: ...}"
    return None


def build_texts(files: Sequence[MessageFile], contacts: tuple[Contact, ...]) -> Texts:
    """Check that every language has the keys and placeholders of English; build Texts."""
    by_lang = {f.lang: f for f in files}
    base = by_lang.get(BASE_LANG)
    if base is None:
        raise RuleSetError([RuleFileError("messages", 0, f"{BASE_LANG}.yaml is missing")])
    errors: list[RuleFileError] = []
    for f in files:
        if f is base:
            continue
        for key in sorted(set(base.texts) - set(f.texts)):
            errors.append(RuleFileError(f.source, 1, f"missing text {key!r}"))
        for key in sorted(set(f.texts) - set(base.texts)):
            errors.append(RuleFileError(f.source, f.lines[key],
                                        f"unknown key {key!r} (not in {BASE_LANG}.yaml)"))
        for key in sorted(set(f.texts) & set(base.texts)):
            extra = f.fields[key] - base.fields[key]
            if extra:
                errors.append(RuleFileError(
                    f.source, f.lines[key],
                    f"{key}: unknown placeholder {{{sorted(extra)[0]}}}"))
            if isinstance(f.texts[key], tuple) != isinstance(base.texts[key], tuple):
                errors.append(RuleFileError(f.source, f.lines[key],
                                            f"{key}: must be a {_shape(base.texts[key])}"))
    if errors:
        raise RuleSetError(errors)
    return Texts(
        catalogs={f.lang: dict(f.texts) for f in files},
        contacts=contacts,
        names={f.lang: f.name for f in files},
    )


def _shape(value: Any) -> str:
    return "list" if isinstance(value, tuple) else "text"


def load_texts(directory: Path | str) -> Texts:
    """Read `messages/*.yaml` and `contacts.yaml` of a rules folder; RuleSetError on problems."""
    directory = Path(directory)
    errors: list[RuleFileError] = []
    files: list[MessageFile] = []
    folder = directory / "messages"
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        errors.append(RuleFileError(str(folder), 0, "no messages/<lang>.yaml files"))
    for path in paths:
        try:
            parsed = parse_messages(path.read_text(encoding="utf-8"), str(path))
        except RuleSetError as exc:
            errors.extend(exc.errors)
            continue
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(RuleFileError(str(path), 0, f"cannot read: {exc}"))
            continue
        if parsed.lang != path.stem:
            errors.append(RuleFileError(str(path), 1,
                                        f"lang {parsed.lang!r} does not match the file name"))
            continue
        files.append(parsed)
    contacts: tuple[Contact, ...] = ()
    contacts_path = directory / "contacts.yaml"
    try:
        contacts = parse_contacts(contacts_path.read_text(encoding="utf-8"), str(contacts_path))
    except RuleSetError as exc:
        errors.extend(exc.errors)
    except (OSError, UnicodeDecodeError) as exc:
        errors.append(RuleFileError(str(contacts_path), 0, f"cannot read: {exc}"))
    if errors:
        raise RuleSetError(errors)
    return build_texts(files, contacts)


@lru_cache(maxsize=1)
def default_texts() -> Texts:
    """The texts of the bundled rules folder (for callers without a RulesHolder)."""
    from rules import RULES_DIR

    return load_texts(RULES_DIR)


def _texts(texts: Texts | None) -> Texts:
    return texts if texts is not None else default_texts()


# Rendering -----------------------------------------------------------------------------------


def region_language(region: str) -> str:
    """The language whose readers a region's contacts mostly serve (English when several)."""
    return _LANG_OF_REGION.get(region.upper(), BASE_LANG)


def region_label(region: str) -> str:
    """A region code as readers type it: the global region is "global"."""
    return "global" if region == GLOBAL_REGION else region


def person_name(person: Person | ForwardOrigin | None) -> str:
    """A readable name for a sender or origin: 'Name (@handle)' or the id."""
    if person is None:
        return "?"
    name = person.name.strip()
    if person.username:
        handle = f"@{person.username}"
        return f"{name} ({handle})" if name else handle
    if name:
        return name
    return str(person.id) if person.id is not None else "?"


def hit_reason(texts: Texts, lang: str, hit: Hit) -> str:
    """Why one hit matters, in plain words of `lang`. English uses the detector's own reason
    (it can name what was found); other languages the text of the hit's rule family, else
    of its category. A hit of the learned text model says which kind of scam the text reads
    like and quotes the phrases that made it, in every language."""
    if hit.rule.startswith("model."):
        what = (texts.lookup(lang, f"category.{hit.category}")
                or str(texts.raw(lang, "category.other")))
        text = str(texts.raw(lang, "model.reads_like")).format(what=what)
        if hit.evidence:
            text += texts.colon(lang) + ", ".join(f"“{p}”" for p in hit.evidence)
        return text
    if lang == BASE_LANG and hit.reason:
        return hit.reason
    parts = hit.rule.split(".")
    for end in range(len(parts), 0, -1):
        found = texts.lookup(lang, "rule." + ".".join(parts[:end]))
        if found:
            return found
    return (texts.lookup(lang, f"category.{hit.category}")
            or str(texts.raw(lang, "category.other")))


def reasons(texts: Texts, lang: str, verdict: Verdict, limit: int = MAX_REASONS) -> list[str]:
    """The distinct reasons of a verdict's hits, most severe first (plain, unescaped)."""
    out: list[str] = []
    for hit in sorted(verdict.hits, key=lambda h: -h.severity):
        reason = hit_reason(texts, lang, hit)
        if reason not in out:
            out.append(reason)
        if len(out) >= limit:
            break
    return out


def tips(texts: Texts, lang: str, categories: Iterable[str], limit: int = 2) -> list[str]:
    """One safety tip per category (most severe first), the general one when none is known."""
    out: list[str] = []
    for category in categories:
        tip = texts.lookup(lang, f"tip.{category}")
        if tip and tip not in out:
            out.append(tip)
        if len(out) >= limit:
            break
    return out or [str(texts.raw(lang, "tip.other"))]


def _contacts_html(contacts: Iterable[Contact], sep: str, lang: str, colon: str) -> str:
    return sep.join(c.to_html(lang, colon) for c in contacts)


def _short_contacts(texts: Texts, region: str, own: int) -> list[Contact]:
    found = texts.contacts_for(region)
    regional = [c for c in found if not c.everyone][:own]
    return regional + [c for c in found if c.everyone]


def render_group_warning(
    verdict: Verdict,
    *,
    texts: Texts | None = None,
    lang: str = BASE_LANG,
    region: str = GLOBAL_REGION,
    sender: Person | ForwardOrigin | str | None = None,
    action: str = "warn",
    hours: int = 0,
    count: int = 1,
    joined: bool = False,
) -> Html:
    """A group warning (HTML): what was found and why, the action taken, one tip, contacts.

    `action` is warn | delete | restrict | ban; `count` > 1 makes it an aggregated warning
    for a burst of scam messages; `joined` says the warning is about a member who joined,
    not about a message.
    """
    t = _texts(texts)
    lang = t.language(lang)
    c = t.colon(lang)
    who = sender if isinstance(sender, str) else person_name(sender) if sender else "?"
    if count > 1:
        title = t.text(lang, "group.title_burst", count=count)
    else:
        key = ("group.title_join" if joined
               else "group.title_scam" if verdict.is_scam else "group.title_suspicious")
        title = t.text(lang, key, sender=inert(who, MAX_NAME))
    lines: list[str] = [title]
    if action in ("warn", "delete", "restrict", "ban"):
        lines.append(t.text(lang, f"group.action_{action}", hours=hours))
    why = reasons(t, lang, verdict, limit=3)
    if why:
        lines.append(f"<b>{t.text(lang, 'label.why')}{c}</b>" + "; ".join(inert(r) for r in why))
    lines.append("💡 " + escape(tips(t, lang, verdict.categories, limit=1)[0]))
    contacts = _contacts_html(_short_contacts(t, region, 2), " · ", lang, c)
    lines.append(f"<b>{t.text(lang, 'label.report')}{c}</b>{contacts}")
    return Html("\n".join(lines))


def render_origin(texts: Texts, lang: str, origin: ForwardOrigin) -> Html:
    """'the channel X' / 'X (hidden account)' for a forward origin."""
    name = inert(person_name(origin) if origin.type != "hidden_user" else origin.name or "?",
                 MAX_NAME)
    return texts.text(lang, f"origin.{origin.type}", name=name)


def render_private_verdict(
    verdict: Verdict,
    *,
    texts: Texts | None = None,
    lang: str = BASE_LANG,
    region: str = GLOBAL_REGION,
    origin: ForwardOrigin | None = None,
) -> Html:
    """A private-chat answer (HTML): verdict, reasons, tips, core advice, contacts."""
    t = _texts(texts)
    lang = t.language(lang)
    c = t.colon(lang)
    lines: list[str] = [t.text(lang, f"verdict.{verdict.verdict}")]
    if origin is not None:
        lines.append(f"<b>{t.text(lang, 'label.origin')}{c}</b>{render_origin(t, lang, origin)}")
    if verdict.verdict == "clean":
        if verdict.taken_back:
            lines.append(t.text(lang, "verdict.taken_back"))
        lines.append(t.text(lang, "verdict.clean_note"))
    why = reasons(t, lang, verdict)
    if why:
        lines += ["", f"<b>{t.text(lang, 'label.why')}</b>"]
        lines += [f"• {inert(r)}" for r in why]
    if verdict.verdict != "clean":
        lines += ["", f"<b>{t.text(lang, 'label.tips')}</b>"]
        lines += [f"• {escape(tip)}" for tip in tips(t, lang, verdict.categories)]
    lines += ["", f"<b>{t.text(lang, 'label.advice')}</b>"]
    lines += [f"• {escape(a)}" for a in t.raw(lang, "advice")]
    # Look-up tools ("is this account official?") help once something looks wrong; after a
    # clean result only places to report are listed.
    shown = [c for c in t.contacts_for(region)
             if verdict.verdict != "clean" or c.use != "check"]
    regional = [c for c in shown if not c.everyone][:4]
    everyone = [c for c in shown if c.everyone]
    lines += ["", f"<b>{t.text(lang, 'label.report')}</b>"]
    lines += [f"• {x.to_html(lang, c)}" for x in regional + everyone]
    if verdict.verdict != "clean":
        lines += ["", t.text(lang, "private.evidence_hint")]
    return Html("\n".join(lines))


EVIDENCE_FIELDS = ("links", "addresses", "phones", "handles", "emails", "accounts", "amounts",
                   "times")
OPTIONAL_FIELDS = frozenset({"amounts"})
# Where each shown field comes from in the indicators' JSON form (first keys first).
EVIDENCE_SOURCES = {
    "links": ("links", "urls", "telegram_links"),
    "accounts": ("accounts", "bank_accounts", "cards"),
}


def evidence_items(indicators: Mapping[str, Any], field: str) -> list[str]:
    """The values of one evidence field, deduplicated, as text."""
    items: list[str] = []
    for key in EVIDENCE_SOURCES.get(field, (field,)):
        items += _as_list(indicators.get(key))
    return list(dict.fromkeys(items))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [f"{k}: {v}" for k, v in value.items()]
    if isinstance(value, Iterable):
        return [_as_text(v) for v in value]
    return [str(value)]


def _as_text(value: Any) -> str:
    if isinstance(value, Mapping):
        name = value.get("name") or ""
        user = value.get("username")
        ident = value.get("id")
        kind = value.get("type") or value.get("chain") or value.get("kind")
        main = value.get("value") or value.get("address") or value.get("url")
        if main:
            return f"{main} ({kind})" if kind else str(main)
        text = f"{name} (@{user})" if user else str(name)
        if ident is not None:
            text = f"{text} [id {ident}]".strip()
        if kind and kind != "user":
            text = f"{text} <{kind}>"
        return text.strip() or "?"
    return str(value)


_BOLD = re.compile(r"<b>(.*?)</b>")


def _verdict_word(t: Texts, lang: str, verdict: str) -> Html:
    """The verdict's own word in the reader's language ("Scam", "Lừa đảo"), from the bold
    part of its headline; the code itself when the headline has none."""
    found = _BOLD.search(str(t.lookup(lang, f"verdict.{verdict}") or ""))
    return Html(found.group(1).rstrip(".。!！")) if found else escape(verdict)


def _person_html(t: Texts, lang: str, value: Any) -> Html:
    """A sender or forward origin for the evidence summary, its kind in words."""
    if isinstance(value, Mapping) and value.get("type") in ORIGIN_TYPES:
        try:
            origin = ForwardOrigin.from_dict(value)
        except ValueError:
            return escape(_as_text(value), 200)
        ident = f" [id {origin.id}]" if origin.id is not None else ""
        return Html(render_origin(t, lang, origin) + escape(ident))
    return escape(_as_text(value), 200)


def render_evidence(
    indicators: Mapping[str, Any],
    *,
    texts: Texts | None = None,
    lang: str = BASE_LANG,
    region: str = GLOBAL_REGION,
    verdict: str | None = None,
    checked_at: str | None = None,
) -> Html:
    """An evidence summary (HTML) of a checked message's indicators, and where to send it.

    `indicators` is the JSON form of the indicators (sender, origin, links, addresses,
    phones, handles, times...); unknown keys are ignored, missing ones shown as none.
    """
    t = _texts(texts)
    lang = t.language(lang)
    c = t.colon(lang)
    none = escape(t.raw(lang, "evidence.nothing"))
    lines: list[str] = [t.text(lang, "evidence.title")]
    if verdict:
        word = _verdict_word(t, lang, verdict)
        lines.append(f"{t.text(lang, 'evidence.verdict')}{c}<b>{word}</b>")
    if checked_at:
        lines.append(f"{t.text(lang, 'evidence.checked_at')}{c}{escape(checked_at)}")
    for key in ("sender", "origin"):
        value = indicators.get(key) or (indicators.get("forward_from") if key == "origin"
                                        else None)
        shown = _person_html(t, lang, value) if value else none
        lines.append(f"{t.text(lang, f'evidence.{key}')}{c}{shown}")
    for key in EVIDENCE_FIELDS:
        items = evidence_items(indicators, key)
        label = t.text(lang, f"evidence.{key}")
        if not items and key in OPTIONAL_FIELDS:
            continue
        if not items:
            lines.append(f"{label}{c}{none}")
            continue
        lines.append(f"{label}{c.rstrip()}")
        lines += [f"  • <code>{escape(item, 300)}</code>" for item in items[:20]]
    agency = t.report_agency(region)
    if agency is not None:
        lines += ["", f"{t.text(lang, 'evidence.send_to')}{c}{agency.to_html(lang, c)}"]
    return Html("\n".join(lines))


def contacts_for(region: str | None, texts: Texts | None = None) -> tuple[Contact, ...]:
    """Official contacts for a region, then those shown to everyone (Telegram's own)."""
    return _texts(texts).contacts_for(region)
