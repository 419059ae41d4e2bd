"""The brand registry: who is impersonated, with official domains and handles."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Brand:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    policy: str = "fuzzy"
    kind: str = ""
    regions: tuple[str, ...] = ()
