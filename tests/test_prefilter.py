"""The regular-expression prefilter: the literal strings an expression needs, and that it
never leaves out an expression that matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import re2

from bot.core.bench import keyword_salad
from bot.core.normalize import skeleton
from bot.core.prefilter import Prefilter, required_chars, required_sets, required_strings
from bot.rulesholder import RulesHolder

CORPUS = Path(__file__).parent / "corpus" / "train"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("send", {"send"}),
        (r"\bsend\s+(?:otp|code)", {"send"}),  # the longer side wins ("otp" is 3)
        (r"\bsend\s+me\b", {"send"}),
        ("(?:两|二|三)倍", {"两倍", "二倍", "三倍"}),
        ("gr[ae]y", {"gray", "grey"}),
        (r"\d+\s*(?:usdt|usd)", {"usdt", "usd"}),
        ("(?:claim|get)?free", {"free"}),
        (r"roi\s*\d+\s*%", {"roi"}),
        ("(?:a|bb)(?:c|dd)", {"ac", "add", "bbc", "bbdd"}),
        ("x(?:y|z)+w", {"x"}),  # on a tie, the fewer strings
        ("(?:abc){2,5}", {"abc"}),
        (r"我[是系].{0,16}(客服|专员)", {"我是", "我系"}),
        (r"\b(?:send|give)\s+(?:your|ur)\s+(?:seed|private)", {"seed", "private"}),
        # RE2's Unicode classes need nothing themselves; the rest is still read
        (r"\bnames?\b[^.\p{Han}\p{Thai}]{0,40}\b(?:address|phone)\b", {"address", "phone"}),
        (r"\p{Han}+好\PL", {"好"}),
    ],
)
def test_required_strings(pattern: str, expected: set[str]) -> None:
    assert required_strings(pattern) == frozenset(expected)


@pytest.mark.parametrize(
    "pattern",
    [
        r"\d{6}",  # only a class
        "(?:send)?",  # optional
        "(?:send|)code?",  # an empty branch, then "cod" + optional e: "cod" is needed
        "[^a]+",  # a negated class
        r"\p{Thai}+",  # an RE2 Unicode class alone: a class too large to need anything
        r"\\\p{Thai}",  # an escaped backslash before it: left unread
        "(?i)send",  # case-insensitive: its letters could be either case
        "a|b*",  # one branch needs nothing
    ],
)
def test_nothing_known_is_nothing_required(pattern: str) -> None:
    found = required_strings(pattern)
    if pattern == "(?:send|)code?":
        assert found == frozenset({"sendcod", "cod"})
    else:
        assert found is None


def test_candidates_are_those_whose_strings_occur_and_those_that_need_none() -> None:
    prefilter = Prefilter([r"\bsend\s+otp", r"[^x]{6}", "(?:两|三)倍", "roi"])
    assert prefilter.always == (1,)
    assert prefilter.candidates("pls send otp now") == [0, 1]
    assert prefilter.candidates("收益翻三倍 roi") == [1, 2, 3]
    assert prefilter.candidates("") == [1]
    # every needed set must be met: "send" without "otp" is not enough
    assert prefilter.candidates("send it to me") == [1]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\d{6}", ["0123456789"]),  # RE2's \d is the ASCII digits
        (r"\b\d+\s*(?:k|tr)\b", ["0123456789", "kt"]),  # every part is needed
        (r"\*\s?\d{3}#", ["*", "0123456789", "#"]),
        (r"(?:a|\d)x?", ["0123456789a"]),  # a branch: one of either side's
        (r"[a-f]+", ["abcdef"]),
        (r"[^a]+", []),  # a negated class: anything
        (r"\w+", []),  # a category other than digits: too large to be a test
        ("a|b*", []),  # one branch needs nothing
        (r"x*", []),
        (r"\p{Thai}+", []),  # RE2 syntax Python's parser does not read
        ("(?i)abc", []),  # case-insensitive
    ],
)
def test_required_chars(pattern: str, expected: list[str]) -> None:
    assert ["".join(sorted(chars)) for chars in required_chars(pattern)] == expected


def test_expressions_of_digits_run_only_on_texts_with_digits() -> None:
    """An expression that needs no string but a digit (a phone number, an amount) is no
    longer run on every text: only where one of the characters it needs occurs."""
    prefilter = Prefilter([r"\b0[1-9]\d{8}\b", r"\d+\s*(?:k|tr)\b", r"[^x]+"])
    assert prefilter.always == (2,)
    assert prefilter.candidates("call me later") == [2]
    assert prefilter.candidates("call 0912345678") == [0, 2]  # no "k", no "t"
    assert prefilter.candidates("lãi 500k mỗi ngày") == [0, 1, 2]
    assert prefilter.candidates("500 usd") == [0, 2]  # it has a "0", not a "k"
    assert prefilter.candidates("") == [2]
    # an expression found by its string is still left out when it lacks the digit it needs
    found = Prefilter([r"\bsend\s+\d{6}", r"\bsend\s+(?:it|them)"])
    assert found.candidates("send it now") == [1]
    assert found.candidates("send 123456") == [0]


def test_every_needed_set_most_selective_first() -> None:
    assert required_sets(r"\b(?:send|give)\s+(?:your|ur)\s+(?:seed phrase|private key)") == (
        frozenset({"seed phrase", "private key"}), frozenset({"send", "give"}),
        frozenset({"your", "ur"}))
    assert required_sets(r"(?:abc){2,5}d") == (frozenset({"abc"}), frozenset({"d"}))
    assert required_sets(r"\d{6}") == ()


def test_single_letters_are_no_test_but_ideographs_are() -> None:
    """A set holding one letter of an alphabet is left out (every text has one); a Chinese
    character counts like a word."""
    prefilter = Prefilter([r"\d+\s*x\b", r"\d+\s*倍", r"(?:a|bb)\d+zz"])
    # the first needs no string: only its characters (a digit and "x") are tested
    assert prefilter.always == ()
    assert prefilter.candidates("3 倍") == [1]
    assert prefilter.candidates("3x") == [0]
    assert prefilter.candidates("a1zz") == [2]
    assert prefilter.candidates("a1") == []
    assert Prefilter([]).candidates("anything") == []


def _texts(rules_holder: RulesHolder) -> list[str]:
    rules = rules_holder.detector.rules
    texts = [skeleton(ex.text) for rule in rules.patterns.rules
             for ex in (*rule.match, *rule.no_match)]
    for path in sorted(CORPUS.glob("*.jsonl"))[::4]:
        with path.open(encoding="utf-8") as handle:
            texts.extend(skeleton(json.loads(line)["text"]) for line in handle if line.strip())
    texts.extend(skeleton(r.text) for r in keyword_salad(rules, 4))
    return texts


def test_no_matching_shipped_expression_is_left_out(rules_holder: RulesHolder) -> None:
    """Every shipped expression that matches a text (rule examples, a quarter of the train
    corpus, keyword salad) is among the text's candidates: the prefilter only saves work."""
    patterns = rules_holder.detector.rules.patterns
    expressions = [pattern.pattern for _c, pattern, _l, _b in patterns._regexes]
    prefilter = Prefilter(expressions)
    # nearly every shipped expression needs a literal string
    assert len(prefilter.always) <= len(expressions) // 25
    # the oracle: one RE2 set of every expression says which match each text
    options = re2.Options()
    options.max_mem = 256 << 20
    oracle = re2.Set.SearchSet(options)
    for expression in expressions:
        oracle.Add(expression)
    oracle.Compile()
    texts = _texts(rules_holder)
    assert len(texts) > 3_000
    left_out = []
    skipped = matched = 0
    for text in texts:
        candidates = set(prefilter.candidates(text))
        skipped += len(expressions) - len(candidates)
        found = oracle.Match(text) or []
        matched += len(found)
        left_out.extend(expressions[i] for i in found if i not in candidates)
    assert matched > len(texts) // 2  # the oracle does find matches
    assert left_out == []
    # and it does save work: most expressions are not run on a typical text
    assert skipped > 0.8 * len(expressions) * len(texts)
