"""Measuring rules: each rule's own examples, and precision / recall on labelled corpora."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.detector import Detector
from bot.core.model import ChatContext, CheckRequest
from bot.core.patterns import Example, PatternRule


@dataclass(frozen=True, slots=True)
class ExampleFailure:
    rule: PatternRule
    example: Example
    expected: bool

    def __str__(self) -> str:
        want = "should match but does not" if self.expected else "should not match but does"
        return f"{self.rule.source}:{self.example.line}: rule {self.rule.id}: example {want}: " \
               f"{self.example.text!r}"


def run_examples(detector: Detector) -> tuple[int, list[ExampleFailure]]:
    """Run every pattern rule's examples; returns (examples run, failures)."""
    patterns = detector.rules.patterns
    failures: list[ExampleFailure] = []
    count = 0
    for rule in patterns.rules:
        for expected, examples in ((True, rule.match), (False, rule.no_match)):
            for example in examples:
                count += 1
                message = detector.prepare(CheckRequest(example.text, lang=example.lang))
                fired = any(r.id == rule.id for r in patterns.fired(message))
                if fired != expected:
                    failures.append(ExampleFailure(rule, example, expected))
    return count, failures


@dataclass(frozen=True, slots=True)
class LabelledLine:
    text: str
    label: str
    lang: str
    category: str | None
    source: str
    known_gap: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def read_corpus(path: Path) -> Iterator[LabelledLine]:
    """Lines of a labelled JSONL corpus (`text`, `label`, `lang`, `category`?)."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                yield LabelledLine(
                    text=str(obj["text"]),
                    label=str(obj["label"]),
                    lang=str(obj.get("lang") or "und"),
                    category=obj.get("category"),
                    source=f"{path.name}:{number}",
                    known_gap=bool(obj.get("known_gap")),
                    raw=obj,
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a labelled line: {exc}") from exc


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    @property
    def scam(self) -> int:
        return self.tp + self.fn

    @property
    def ham(self) -> int:
        return self.fp + self.tn

    @property
    def recall(self) -> float | None:
        return self.tp / self.scam if self.scam else None

    @property
    def precision(self) -> float | None:
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else None

    @property
    def fp_rate(self) -> float | None:
        return self.fp / self.ham if self.ham else None

    def add(self, label: str, flagged: bool) -> None:
        if label == "scam":
            if flagged:
                self.tp += 1
            else:
                self.fn += 1
        elif label == "ham":
            if flagged:
                self.fp += 1
            else:
                self.tn += 1

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {"scam": self.scam, "ham": self.ham, "tp": self.tp, "fn": self.fn,
                "fp": self.fp, "tn": self.tn, "recall": r(self.recall),
                "precision": r(self.precision), "fp_rate": r(self.fp_rate)}


@dataclass
class CorpusReport:
    """Outcome of a detector over labelled lines. Spam lines are counted but never judged."""

    total: Tally = field(default_factory=Tally)
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_file: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    # hard negatives by their kind (safety_warning, scam_discussion, notification...)
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    # scams by language and category, hard negatives by language and kind ("sv investment")
    by_lang_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    fp_rules: Counter[str] = field(default_factory=Counter)
    hit_rules: Counter[str] = field(default_factory=Counter)
    false_positives: list[tuple[LabelledLine, list[str]]] = field(default_factory=list)
    misses: list[LabelledLine] = field(default_factory=list)
    spam: int = 0
    spam_flagged: int = 0
    # lines of a conversation (`conv`) checked as follow-ups: a turn after a flagged one
    follow_ups: Tally = field(default_factory=Tally)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "by_lang": {k: v.to_dict() for k, v in sorted(self.by_lang.items())},
            "by_category": {k: v.to_dict() for k, v in sorted(self.by_category.items())},
            "by_file": {k: v.to_dict() for k, v in sorted(self.by_file.items())},
            "by_kind": {k: v.to_dict() for k, v in sorted(self.by_kind.items())},
            "by_lang_category": {k: v.to_dict()
                                 for k, v in sorted(self.by_lang_category.items())},
            "false_positive_rules": dict(self.fp_rules.most_common()),
            "spam": {"lines": self.spam, "flagged": self.spam_flagged},
            "follow_ups": self.follow_ups.to_dict(),
        }


def evaluate(
    detector: Detector, lines: Iterable[LabelledLine], sensitivity: str = "normal"
) -> CorpusReport:
    """Flagged = a verdict other than clean. Scam lines count per language and category.

    Lines that carry a `conv` (a conversation id: one sender's messages, in file order) are
    read as the bot reads them in a group: a turn after one of the same conversation that was
    flagged is checked as a follow-up (`CheckRequest.follow_up`), and counted in
    `follow_ups` as well."""
    report = CorpusReport()
    context = ChatContext(sensitivity=sensitivity)
    flagged_convs: set[tuple[str, str]] = set()
    for line in lines:
        conv = line.raw.get("conv")
        key = (line.source.rsplit(":", 1)[0], str(conv)) if conv is not None else None
        follow_up = key is not None and key in flagged_convs
        verdict = detector.check(
            CheckRequest(line.text, lang=line.lang, follow_up=follow_up), context)
        flagged = verdict.verdict != "clean"
        if key is not None and flagged:
            flagged_convs.add(key)
        if follow_up and line.label != "spam":
            report.follow_ups.add(line.label, flagged)
        if line.label == "spam":
            report.spam += 1
            report.spam_flagged += flagged
            continue
        report.total.add(line.label, flagged)
        report.by_lang[line.lang].add(line.label, flagged)
        report.by_file[line.source.rsplit(":", 1)[0]].add(line.label, flagged)
        report.by_lang_category[f"{line.lang} {line.category or 'uncategorised'}"].add(
            line.label, flagged)
        if line.label == "scam":
            report.by_category[line.category or "uncategorised"].add("scam", flagged)
            if not flagged:
                report.misses.append(line)
            for hit in verdict.hits:
                report.hit_rules[hit.rule] += 1
        else:
            if line.category:
                report.by_kind[line.category].add("ham", flagged)
            if not flagged:
                continue
            rules = [h.rule for h in verdict.hits]
            report.false_positives.append((line, rules))
            report.fp_rules.update(rules)
            for category in {h.category for h in verdict.hits}:
                report.by_category[category].add("ham", True)
    return report
