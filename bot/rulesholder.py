"""Holds the active rules (detector and reply texts) and swaps them whole on reload."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bot.core import Detector, load_ruleset
from bot.core.ruleset import settle_heap
from bot.errors import RuleFileError, RuleSetError
from bot.replies import Texts, load_texts


@dataclass(frozen=True)
class ReloadResult:
    changed: bool
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ReloadRecord:
    """When the last reload ran (Unix time) and how it went."""

    at: float
    result: ReloadResult


@dataclass(frozen=True)
class ActiveRules:
    """One consistent generation of the rules: detector and texts from the same folder."""

    detector: Detector
    texts: Texts
    digest: str


def load_active(directory: Path, lists_dir: Path | None = None,
                model_dir: Path | None = None) -> ActiveRules:
    """Load detector and texts of a rules folder (with refreshed lists from `lists_dir` and a
    refitted model from `model_dir`); RuleSetError lists every problem of both."""
    errors: list[RuleFileError] = []
    ruleset = texts = None
    try:
        ruleset = load_ruleset(directory, lists_dir, model_dir)
    except RuleSetError as exc:
        errors.extend(exc.errors)
    try:
        texts = load_texts(directory)
    except RuleSetError as exc:
        errors.extend(exc.errors)
    if errors or ruleset is None or texts is None:
        raise RuleSetError(errors)
    return ActiveRules(Detector(ruleset), texts, ruleset.digest)


class RulesHolder:
    """The one reference to the active rules; `reload()` replaces it or keeps the old one."""

    def __init__(self, directory: Path, active: ActiveRules | None = None,
                 lists_dir: Path | None = None, model_dir: Path | None = None) -> None:
        """Load the folder, or start from `active` already loaded from identical files;
        list files in `lists_dir` replace the bundled ones, a model refitted into
        `model_dir` (see `bot.core.ruleset.model_folder`) the shipped one."""
        self.directory = Path(directory)
        self.lists_dir = lists_dir
        self.model_dir = model_dir
        self.active = active or load_active(self.directory, lists_dir, model_dir)
        self.loaded_at = time.time()
        self.last_reload: ReloadRecord | None = None
        settle_heap()

    @property
    def detector(self) -> Detector:
        return self.active.detector

    @property
    def texts(self) -> Texts:
        return self.active.texts

    @property
    def digest(self) -> str:
        return self.active.digest

    def reload(self) -> ReloadResult:
        """Load the folder again; on any error keep the last good rules and texts. (At start
        there is no last good set: a broken model file then leaves the rules working alone,
        with `detector.rules.warnings` saying why.)"""
        result = self._reload()
        self.last_reload = ReloadRecord(time.time(), result)
        return result

    def _reload(self) -> ReloadResult:
        try:
            active = load_active(self.directory, self.lists_dir, self.model_dir)
        except RuleSetError as exc:
            return ReloadResult(False, tuple(str(e) for e in exc.errors))
        warnings = active.detector.rules.warnings
        if warnings:
            # a broken model file: the last good set (with its model) stays
            return ReloadResult(False, tuple(str(e) for e in warnings))
        changed = active.digest != self.digest
        self.active = active
        self.loaded_at = time.time()
        settle_heap()
        return ReloadResult(changed)
