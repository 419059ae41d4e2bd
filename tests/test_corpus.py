"""The project's own labelled corpus (tests/corpus/*.jsonl): realistic scams per language and
category, and hard negatives (safety tips, scam discussions, official links, trading talk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import CheckRequest, Detector, load_ruleset
from bot.core.evaluate import LabelledLine, read_corpus
from rules import RULES_DIR

CORPUS_DIR = Path(__file__).parent / "corpus" / "train"
LINES: list[LabelledLine] = [
    line for path in sorted(CORPUS_DIR.glob("??.jsonl")) for line in read_corpus(path)
]
DETECTOR = Detector(load_ruleset(RULES_DIR))


def _right(line: LabelledLine) -> tuple[bool, str]:
    verdict = DETECTOR.check(CheckRequest(line.text, lang=line.lang))
    cats = {h.category for h in verdict.hits}
    if line.label == "scam":
        ok = verdict.verdict != "clean" and (line.category is None or line.category in cats)
    else:
        ok = verdict.verdict == "clean"
    return ok, f"{verdict.verdict} {sorted(h.rule for h in verdict.hits)}"


def test_corpus_is_there() -> None:
    """Each of the eight languages has scam lines and hard negatives."""
    langs = {(line.lang, line.label) for line in LINES}
    for lang in ("en", "vi", "id", "zh", "th", "ms", "tl", "sv"):
        assert (lang, "scam") in langs and (lang, "ham") in langs, lang


@pytest.mark.parametrize("line", [x for x in LINES if not x.known_gap], ids=lambda x: x.source)
def test_line_gets_the_right_verdict(line: LabelledLine) -> None:
    """Scam lines are flagged with their category; ham lines stay clean."""
    ok, got = _right(line)
    assert ok, f"{line.label}/{line.category}: {line.text!r} -> {got}"


def test_known_gaps_still_fail() -> None:
    """Lines marked known_gap are still wrong; when a rule fixes one, drop its mark."""
    fixed = [f"{x.source}: {x.text!r}" for x in LINES if x.known_gap and _right(x)[0]]
    assert fixed == []


def _english_rule_scams() -> list[LabelledLine]:
    """English train scams that a rule (not only the learned layer) flags."""
    out = []
    for line in LINES:
        if line.lang != "en" or line.label != "scam" or line.known_gap:
            continue
        found = DETECTOR.check(CheckRequest(line.text)).hits
        if [h for h in found if not h.rule.startswith("model.")]:
            out.append(line)
    return out


@pytest.mark.parametrize("suffix", ["Stay safe from scammers.", "Beware of scams!",
                                    "Never trust strangers online!"])
def test_appended_advice_does_not_clear_a_scam(suffix: str) -> None:
    """A safety sentence appended to a scam ("... Stay safe!") does not take back what the
    rules found. (A scam only the learned layer reads as one may weigh the advice as evidence.)
    """
    cleared = []
    for line in _english_rule_scams():
        text = line.text.rstrip()
        if text[-1:] not in ".!?":
            text += "."
        if DETECTOR.check(CheckRequest(f"{text} {suffix}")).verdict == "clean":
            cleared.append(line.source)
    assert cleared == []


@pytest.mark.parametrize("filler", ["lorem ipsum ",
                                    "See you at lunch, the weather is nice today. "])
def test_padding_does_not_clear_a_scam(filler: str) -> None:
    """A scam the rules found, after a page of filler, is still flagged: the learned layer
    read only chat-length lines, and its reading of the filler takes nothing back."""
    cleared = []
    for line in _english_rule_scams():
        padded = filler * (2_000 // len(filler)) + line.text
        if DETECTOR.check(CheckRequest(padded)).verdict == "clean":
            cleared.append(line.source)
    assert cleared == []
