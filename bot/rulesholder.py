"""Holds the active rules (detector and reply texts) and swaps them whole on reload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import Detector, load_ruleset
from bot.errors import RuleSetError


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    errors: tuple[str, ...] = ()


class RulesHolder:
    """The one reference to the active rule set; `reload()` replaces it or keeps the old one."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        ruleset = load_ruleset(self.directory)
        self.detector = Detector(ruleset)

    @property
    def digest(self) -> str:
        return self.detector.rules.digest

    def reload(self) -> ReloadResult:
        try:
            ruleset = load_ruleset(self.directory)
        except RuleSetError as exc:
            return ReloadResult(False, tuple(str(e) for e in exc.errors))
        changed = ruleset.digest != self.digest
        self.detector = Detector(ruleset)
        return ReloadResult(changed)
