"""`scamguard rules test` for the web console: each rule's examples, then precision and
recall on the corpora that ship (tests/corpus/train, lines listed) plus the feedback that
admins gave in the groups, and on the blind split as rates only (never a line of it, like
`rules test --summary`). Runs in a worker thread, bounded in lines and time."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.detector import Detector
from bot.core.evaluate import CorpusReport, LabelledLine, evaluate, read_corpus, run_examples
from bot.core.patterns import PatternRule

MAX_LINES = 50_000
MAX_SECONDS = 120.0
MAX_LISTED = 200
_SOURCE_TREE_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "corpus"


def default_corpus_dir(configured: Path | None) -> Path | None:
    """SCAMGUARD_CORPUS, else the source tree's tests/corpus when it is there."""
    if configured is not None:
        return configured
    return _SOURCE_TREE_CORPUS if _SOURCE_TREE_CORPUS.is_dir() else None


@dataclass(frozen=True)
class Corpora:
    """Labelled lines to measure on: `shown` (train files and feedback) may be listed line by
    line; `blind` only ever as rates."""

    shown: tuple[LabelledLine, ...]
    blind: tuple[LabelledLine, ...]
    files: tuple[str, ...]
    feedback: int
    errors: tuple[str, ...] = ()


def feedback_lines(rows: Iterable[Mapping[str, Any]]) -> list[LabelledLine]:
    """Lines from `Repository.labelled_lines()` (admins' marks and samples)."""
    out = []
    for number, row in enumerate(rows, 1):
        label = str(row.get("label") or "")
        if label not in ("scam", "ham"):
            continue
        out.append(LabelledLine(
            text=str(row.get("text") or ""), label=label, lang=str(row.get("lang") or "und"),
            category=row.get("category"), source=f"{row.get('source') or 'feedback'}:{number}",
        ))
    return out


def read_corpora(directory: Path | None, feedback: Sequence[LabelledLine]) -> Corpora:
    """The train and blind files under `directory` (train/*.jsonl, blind/*.jsonl), and the
    feedback lines; a file that does not read is named in `errors` and left out."""
    shown: list[LabelledLine] = []
    blind: list[LabelledLine] = []
    files: list[str] = []
    errors: list[str] = []
    if directory is not None:
        for split, into in (("train", shown), ("blind", blind)):
            for path in sorted((directory / split).glob("*.jsonl")):
                try:
                    lines = list(itertools.islice(read_corpus(path), MAX_LINES))
                except (OSError, ValueError) as exc:
                    errors.append(f"{split}/{path.name}: {exc}" if split == "train"
                                  else f"blind/{path.name}: unreadable")
                    continue
                files.append(f"{split}/{path.name}")
                into.extend(lines)
    shown.extend(feedback)
    return Corpora(tuple(shown[:MAX_LINES]), tuple(blind[:MAX_LINES]), tuple(files),
                   len(feedback), tuple(errors))


@dataclass
class RunResult:
    """One run: examples, the listed report, the blind rates, how long it took."""

    digest: str
    label: str
    examples: int
    example_failures: list[str]
    shown: CorpusReport
    blind: CorpusReport | None
    seconds: float
    truncated: bool
    files: tuple[str, ...] = ()
    feedback: int = 0
    errors: tuple[str, ...] = ()
    started: float = field(default_factory=time.time)


def _until(lines: Iterable[LabelledLine], deadline: float, flag: list[bool]
           ) -> Iterator[LabelledLine]:
    for line in lines:
        if time.monotonic() > deadline:
            flag.append(True)
            return
        yield line


def rates_only(report: CorpusReport) -> CorpusReport:
    """The report without anything that quotes or points at a line or names a rule."""
    return CorpusReport(
        total=report.total, by_lang=dict(report.by_lang),
        by_category={k: v for k, v in report.by_category.items() if v.scam},
        by_kind=dict(report.by_kind), spam=report.spam, spam_flagged=report.spam_flagged,
    )


def run_test(detector: Detector, digest: str, label: str, corpora: Corpora,
             seconds: float = MAX_SECONDS, sensitivity: str = "normal") -> RunResult:
    """Run the examples and measure on the corpora (blocking: call it in a thread). Stops
    measuring when `seconds` have passed and says so (`truncated`)."""
    started = time.monotonic()
    deadline = started + seconds
    count, failures = run_examples(detector)
    stopped: list[bool] = []
    shown = evaluate(detector, _until(corpora.shown, deadline, stopped), sensitivity)
    shown.false_positives = shown.false_positives[:MAX_LISTED]
    shown.misses = shown.misses[:MAX_LISTED]
    blind = None
    if corpora.blind:
        blind = rates_only(evaluate(detector, _until(corpora.blind, deadline, stopped),
                                    sensitivity))
    return RunResult(
        digest=digest, label=label, examples=count,
        example_failures=[str(f) for f in failures[:MAX_LISTED]],
        shown=shown, blind=blind, seconds=time.monotonic() - started,
        truncated=bool(stopped), files=corpora.files, feedback=corpora.feedback,
        errors=corpora.errors,
    )


@dataclass(frozen=True)
class RuleChange:
    id: str
    old: PatternRule | None
    new: PatternRule | None

    @property
    def kind(self) -> str:
        return "added" if self.old is None else "removed" if self.new is None else "changed"


def _shape(rule: PatternRule) -> tuple[Any, ...]:
    return (rule.category, rule.severity, rule.reason, rule.all, rule.any, rule.not_,
            rule.scope, rule.guarded, tuple(e.text for e in rule.match),
            tuple(e.text for e in rule.no_match))


def rule_changes(old: Detector, new: Detector) -> list[RuleChange]:
    """Phrase rules added, removed or changed between two rule sets."""
    before = {r.id: r for r in old.rules.patterns.rules}
    after = {r.id: r for r in new.rules.patterns.rules}
    out = []
    for rule_id in sorted(before.keys() | after.keys()):
        a, b = before.get(rule_id), after.get(rule_id)
        if a is None or b is None or _shape(a) != _shape(b):
            out.append(RuleChange(rule_id, a, b))
    return out


def summary(detector: Detector) -> dict[str, Any]:
    """Counts of a rule set: rules by category, examples, phrases, link data."""
    rules = detector.rules.patterns.rules
    by_category: dict[str, int] = {}
    for rule in rules:
        by_category[rule.category] = by_category.get(rule.category, 0) + 1
    return {
        "rules": len(rules),
        "examples": sum(len(r.match) + len(r.no_match) for r in rules),
        "phrases": detector.rules.patterns.phrase_count,
        "languages": detector.rules.patterns.languages,
        "by_category": dict(sorted(by_category.items())),
        "links": detector.rules.links.sizes(),
        "samples": len(detector.rules.samples.samples),
        "model": detector.rules.model is not None,
    }
