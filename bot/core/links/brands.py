"""The brand registry: who is impersonated, with official domains and handles.

`parse_brands(text, source)` is pure: it turns the text of `rules/brands.yaml` into a
`BrandRegistry` or raises RuleSetError listing every problem as `path:line: message`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from bot.core.links.hosts import normalize_host
from bot.errors import RuleFileError, RuleSetError

# How loosely a brand's label is matched, from strict to loose:
#   word      dictionary words (crypto, gate, dana): the label only next to scam words
#             ("crypto-support") or the official domain as a subdomain; no other TLD, no fuzz
#   exact     short labels (okx, bca): also the exact label on another TLD
#   fuzzy     also edit distance and look-alike letters
#   contains  also the label anywhere inside another label (metamaskfan-drop.xyz)
POLICIES = ("word", "exact", "fuzzy", "contains")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_HANDLE_RE = re.compile(r"^[a-z][a-z0-9_]{3,31}$")
_LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True, slots=True)
class Brand:
    """An impersonated brand: names, official domains and Telegram handles, match policy."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    policy: str = "fuzzy"
    kind: str = ""
    regions: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # registrable labels matched against other domains
    # paths of an official domain under which anyone publishes (an OpenSea collection): a link
    # there is no word of the brand's own
    user_paths: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True, slots=True)
class BrandRegistry:
    """Every brand plus the word lists the look-alike heuristics use."""

    brands: tuple[Brand, ...]
    scam_words: frozenset[str]
    handle_words: frozenset[str]
    risky_suffixes: frozenset[str]
    shared_hosting: frozenset[str]
    shortener_context_high: tuple[str, ...] = ()
    shortener_context_medium: tuple[str, ...] = ()
    # concepts by which a message addresses its reader (you, click, claim...): a story beside
    # a shortened link counts only in a message that offers the link to its reader
    shortener_context_address: tuple[str, ...] = ()
    # kinds whose support desks are imitated, and the words of a support desk (handles)
    service_kinds: frozenset[str] = frozenset()
    support_words: frozenset[str] = frozenset()
    # kinds whose names tell no lure story beside a shortened link
    everyday_kinds: frozenset[str] = frozenset()


def _nodes_to_python(node: yaml.Node) -> Any:
    """Plain Python values; mappings keep the line of each item under the key `__line__`."""
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {"__line__": node.start_mark.line + 1}
        for key_node, value_node in node.value:
            out[str(key_node.value)] = _nodes_to_python(value_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_nodes_to_python(child) for child in node.value]
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" or (
            node.value in ("", "~", "null") and not node.style
        ):
            return None
        return str(node.value)  # every value in the registry is text
    return None


def load_yaml_with_lines(text: str, source: str) -> Any:
    """Parse YAML; mappings carry `__line__`. Syntax errors become RuleFileError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise RuleFileError(
            source, mark.line + 1 if mark else 0, f"YAML: {exc.problem or 'invalid YAML'}"
        ) from exc
    except yaml.YAMLError as exc:
        raise RuleFileError(source, 0, f"YAML: {exc}") from exc
    return None if node is None else _nodes_to_python(node)


def _strings(
    value: Any, what: str, source: str, line: int, errors: list[RuleFileError]
) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        errors.append(RuleFileError(source, line, f"{what} must be a list of strings"))
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _key_line(text: str, key: str, default: int) -> int:
    """The line of a top-level key (the parsed data keeps lines of mappings only)."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else default


def _official_host(value: str) -> str | None:
    info = normalize_host(value)
    if info is None or info.is_ip or not info.domain:
        return None
    return info.ascii


def parse_brands(text: str, source: str = "brands.yaml") -> BrandRegistry:
    """Parse the brand registry; raise RuleSetError with every problem found."""
    data = load_yaml_with_lines(text, source)
    errors: list[RuleFileError] = []
    if not isinstance(data, dict) or not isinstance(data.get("brands"), list):
        raise RuleSetError([RuleFileError(source, 1, "expected a mapping with a 'brands' list")])
    top_line = int(data.get("__line__", 1))
    brands: list[Brand] = []
    seen_ids: dict[str, int] = {}
    seen_domains: dict[str, str] = {}
    for item in data["brands"]:
        if not isinstance(item, dict):
            errors.append(RuleFileError(source, top_line, "each brand must be a mapping"))
            continue
        line = int(item.get("__line__", 0))
        unknown = set(item) - {
            "__line__",
            "id",
            "name",
            "aliases",
            "domains",
            "handles",
            "policy",
            "kind",
            "regions",
            "labels",
            "user_paths",
            "note",
        }
        if unknown:
            errors.append(
                RuleFileError(source, line, f"unknown keys: {', '.join(sorted(unknown))}")
            )
        bid = str(item.get("id") or "").strip().lower()
        if not _ID_RE.match(bid):
            errors.append(RuleFileError(source, line, f"brand id {bid!r} must be a-z 0-9 _ -"))
            continue
        if bid in seen_ids:
            errors.append(
                RuleFileError(
                    source, line, f"duplicate brand id {bid!r} (first on line {seen_ids[bid]})"
                )
            )
            continue
        seen_ids[bid] = line
        name = str(item.get("name") or "").strip()
        if not name:
            errors.append(RuleFileError(source, line, f"brand {bid!r} needs a name"))
        policy = str(item.get("policy") or "fuzzy").strip().lower()
        if policy not in POLICIES:
            errors.append(
                RuleFileError(
                    source, line, f"brand {bid!r}: policy must be one of {', '.join(POLICIES)}"
                )
            )
        domains: list[str] = []
        for raw in _strings(item.get("domains"), f"brand {bid!r}: domains", source, line, errors):
            host = _official_host(raw)
            if host is None:
                errors.append(
                    RuleFileError(source, line, f"brand {bid!r}: {raw!r} is not a domain")
                )
                continue
            owner = seen_domains.get(host)
            if owner and owner != bid:
                errors.append(
                    RuleFileError(
                        source, line, f"brand {bid!r}: {host} already belongs to {owner!r}"
                    )
                )
            seen_domains[host] = bid
            domains.append(host)
        if not domains:
            errors.append(RuleFileError(source, line, f"brand {bid!r} needs at least one domain"))
        handles = []
        for raw in _strings(item.get("handles"), f"brand {bid!r}: handles", source, line, errors):
            handle = raw.lstrip("@").lower()
            if not _HANDLE_RE.match(handle):
                errors.append(
                    RuleFileError(
                        source, line, f"brand {bid!r}: {raw!r} is not a Telegram username"
                    )
                )
                continue
            handles.append(handle)
        labels = [
            lab.lower()
            for lab in _strings(item.get("labels"), f"brand {bid!r}: labels", source, line, errors)
        ]
        for lab in labels:
            if not _LABEL_RE.match(lab):
                errors.append(RuleFileError(source, line, f"brand {bid!r}: bad label {lab!r}"))
        if not labels:
            for host in domains:
                info = normalize_host(host)
                if info and info.label and len(info.label) >= 3 and info.label not in labels:
                    labels.append(info.label)
        brands.append(
            Brand(
                id=bid,
                name=name,
                aliases=tuple(
                    _strings(item.get("aliases"), f"brand {bid!r}: aliases", source, line, errors)
                ),
                domains=tuple(domains),
                handles=tuple(handles),
                policy=policy,
                kind=str(item.get("kind") or "").strip(),
                regions=tuple(
                    _strings(item.get("regions"), f"brand {bid!r}: regions", source, line, errors)
                ),
                labels=tuple(labels),
                user_paths=tuple(
                    "/" + p.strip("/").lower() + "/"
                    for p in _strings(item.get("user_paths"), f"brand {bid!r}: user_paths",
                                      source, line, errors)
                ),
                line=line,
            )
        )
    scam_words = _strings(data.get("scam_words"), "scam_words", source, top_line, errors)
    handle_words = _strings(data.get("handle_words"), "handle_words", source, top_line, errors)
    risky = _strings(data.get("risky_suffixes"), "risky_suffixes", source, top_line, errors)
    shared = _strings(data.get("shared_hosting"), "shared_hosting", source, top_line, errors)
    short_high = _strings(
        data.get("shortener_context_high"), "shortener_context_high", source, top_line, errors
    )
    short_medium = _strings(
        data.get("shortener_context_medium"), "shortener_context_medium", source, top_line, errors
    )
    short_address = _strings(
        data.get("shortener_context_address"), "shortener_context_address", source, top_line,
        errors
    )
    support_words = _strings(data.get("support_words"), "support_words", source, top_line, errors)
    kinds = {b.kind for b in brands if b.kind}
    kind_lists: dict[str, frozenset[str]] = {}
    for key in ("service_kinds", "everyday_kinds"):
        listed = _strings(data.get(key), key, source, top_line, errors)
        for kind in listed:
            if kind not in kinds:
                line = _key_line(text, key, top_line)
                errors.append(
                    RuleFileError(source, line, f"{key}: no brand has the kind {kind!r}"))
        kind_lists[key] = frozenset(listed)
    if errors:
        raise RuleSetError(errors)
    return BrandRegistry(
        brands=tuple(brands),
        scam_words=frozenset(w.lower() for w in scam_words),
        handle_words=frozenset(w.lower() for w in handle_words),
        risky_suffixes=frozenset(s.lower().lstrip(".") for s in risky),
        shared_hosting=frozenset(s.lower().lstrip("*.") for s in shared),
        shortener_context_high=tuple(short_high),
        shortener_context_medium=tuple(short_medium),
        shortener_context_address=tuple(short_address),
        service_kinds=kind_lists["service_kinds"],
        support_words=frozenset(w.lower() for w in support_words),
        everyday_kinds=kind_lists["everyday_kinds"],
    )
