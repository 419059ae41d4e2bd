"""Near-duplicates of known scam messages.

Samples and messages are compared in a *canonical* form: the normalised skeleton with links,
@handles, wallet addresses and numbers replaced by placeholders and punctuation and emoji
dropped, so that a template with another handle, amount, link or a few emoji is the same
text. Similarity is rapidfuzz's normalised Indel ratio (0-100), over the whole texts or, when
one is much longer, over the best-matching part of the longer. Only samples that share most
of their distinctive words with the message (an inverted index) are scored, and messages too
short to be told apart from ordinary chat are never compared. The thresholds below were
chosen on the dev corpora: no ham line comes near them (see rules/samples/README.md).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rapidfuzz import fuzz

from bot.core.model import ChatContext, Hit, Severity
from bot.core.normalize import prepare
from bot.core.yamlfile import LDict, line_of, read_yaml
from bot.errors import RuleFileError, RuleSetError

if TYPE_CHECKING:
    from bot.core.model import Message

RULE = "similar.known-scam"
RUNTIME_CATEGORY = "known_scam"
# Score (0-100) from which a message counts as the same text as a sample: Indel ratio of
# the whole texts, or, when one is much longer, of the shorter against its best-matching part
# of the longer (then the shorter needs PARTIAL_MIN_WEIGHT and PARTIAL_SHARE of the longer).
CUTOFF = 75.0
PARTIAL_CUTOFF = 88.0
PARTIAL_MIN_WEIGHT = 72
PARTIAL_SHARE = 0.35
# Prefilter: a sample is scored only when the message has SHARED_SHARE of its distinctive
# words (at least MIN_SHARED); words in more than COMMON_SHARE of the samples (and more
# than COMMON_MIN) are not distinctive.
SHARED_SHARE = 0.4
MIN_SHARED = 3
COMMON_SHARE = 0.1
COMMON_MIN = 8
# A text is comparable from this weight: one per character of the canonical form, three per
# Chinese / Japanese / Korean character (one of them carries about a word).
MIN_WEIGHT = 48
# Messages longer than this (canonical characters) are compared by their head only.
MAX_CHARS = 2_000
# Characters by which the canonical form of a text's head may differ from the same part of
# the whole text's (a word, number or address cut at the end of the head).
_HEAD_MARGIN = 64

# Links: with a scheme or www., or a dotted name ending in letters (t.me/x, site.io/path);
# possessive groups keep the scan linear.
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:[\w-]++\.)++[a-z]{2,12}\b(?:/\S*)?")
_HANDLE = re.compile(r"@\w+")
# Wallet addresses, keys, order numbers: 16+ word characters mixing digits and letters.
_ADDRESS = re.compile(r"\b(?=\w{16})(?=[a-z_]*+\d)(?=\d*+[a-z_])\w++")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_DIGIT = re.compile(r"\d")
# A word: letters and digits with their combining marks (Thai and Lao vowels), or one
# placeholder. Everything else (punctuation, emoji, symbols) separates words.
_MARK_CLASS = "[\u0300-\u036f\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd]"
# (the runs of `(?:[^\W_]|marks)+`, written as runs of each class so that the engine loops
# over a class rather than over an alternation for every character)
_TOKEN = re.compile(
    rf"[^\W_]+(?:{_MARK_CLASS}+[^\W_]*)*|{_MARK_CLASS}+(?:[^\W_]+{_MARK_CLASS}*)*"
    r"|[\ue000-\ue003]"
)
_CJK_RANGES = r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_RANGES}]")
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer and CJK.
_UNSPACED = re.compile(f"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff{_CJK_RANGES}]")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_KEYS = frozenset({"text", "category", "lang", "note"})


def _words(skeleton: str) -> list[str]:
    # Each substitution only where it can match (a link needs a dot or "://", a handle an
    # "@", an address and a number a digit): most messages need one or two of the four.
    text = skeleton[: MAX_CHARS * 2]
    if "." in text or "://" in text:
        text = _URL.sub("\ue000", text)
    if "@" in text:
        text = _HANDLE.sub("\ue001", text)
    if _DIGIT.search(text):
        text = _NUMBER.sub("\ue003", _ADDRESS.sub("\ue002", text))
    return _TOKEN.findall(text)


def canonical(skeleton: str) -> str:
    """The comparable form of a skeleton: placeholders for links, handles, addresses and
    numbers; words of letters and digits separated by single spaces."""
    return " ".join(_words(skeleton))[:MAX_CHARS]


def weight(canon: str) -> int:
    """How much text a canonical form holds (CJK characters count three)."""
    return len(canon) + 2 * len(_CJK.findall(canon))


def comparable(text: str) -> bool:
    """Whether a raw text is long enough to be a sample or to be compared with one."""
    return weight(canonical(prepare(text).skeleton)) >= MIN_WEIGHT


@dataclass(frozen=True, slots=True)
class Sample:
    """One known scam message: its text, category and where it was written."""

    text: str
    category: str
    source: str = ""
    line: int = 0
    lang: str = ""
    note: str = ""


def features(canon: str) -> frozenset[str]:
    """Words of a canonical text, and character pairs (Chinese, Japanese, Korean) or
    triples (Thai, Lao, Khmer, Myanmar) of scripts written without spaces."""
    return _features(canon.split(), bool(_UNSPACED.search(canon)))


def _features(words: list[str], unspaced: bool) -> frozenset[str]:
    if not unspaced:
        return frozenset(w for w in words if len(w) > 1)
    out: set[str] = set()
    # each distinct word once (a long message repeats its words); ASCII words have no
    # character of an unspaced script
    for word in dict.fromkeys(words):
        if not word.isascii() and _UNSPACED.search(word):
            size = 2 if _CJK.search(word) else 3
            out.update(word[i : i + size] for i in range(max(1, len(word) - size + 1)))
        elif len(word) > 1:
            out.add(word)
    return frozenset(out)


@dataclass(frozen=True, eq=False)
class SampleIndex:
    """Known scam messages ready for matching; immutable, shared by every check.

    An inverted index from distinctive words to samples picks the few samples that share
    most of their words with a message; only those are scored with rapidfuzz."""

    samples: tuple[Sample, ...] = ()
    source: str = ""
    _canon: tuple[str, ...] = field(default=(), repr=False)
    _weights: tuple[int, ...] = field(default=(), repr=False)
    _needed: tuple[int, ...] = field(default=(), repr=False)
    _postings: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)
    # the longest canonical sample: a message far longer can match none (see `reach`)
    _longest: int = field(default=0, repr=False)

    @property
    def reach(self) -> int:
        """The longest canonical message that can still match a sample: the shorter text
        needs PARTIAL_SHARE of the longer's length (and more for a whole-text ratio)."""
        return int(self._longest / PARTIAL_SHARE) + 1

    @classmethod
    def build(cls, samples: Iterable[Sample], source: str = "") -> SampleIndex:
        """Index the comparable samples."""
        kept: list[Sample] = []
        canons: list[str] = []
        feats: list[frozenset[str]] = []
        for sample in samples:
            canon = canonical(prepare(sample.text).skeleton)
            if weight(canon) >= MIN_WEIGHT:
                kept.append(sample)
                canons.append(canon)
                feats.append(features(canon))
        postings: dict[str, list[int]] = {}
        for i, fs in enumerate(feats):
            for f in fs:
                postings.setdefault(f, []).append(i)
        # Words found in many samples ("your", "please") say nothing about which one it is.
        common = max(COMMON_MIN, int(len(kept) * COMMON_SHARE))
        index = {f: tuple(ids) for f, ids in postings.items() if len(ids) <= common}
        counts = [0] * len(kept)
        for ids in index.values():
            for i in ids:
                counts[i] += 1
        return cls(
            samples=tuple(kept),
            source=source,
            _canon=tuple(canons),
            _weights=tuple(weight(c) for c in canons),
            _needed=tuple(max(min(MIN_SHARED, n), int(n * SHARED_SHARE)) for n in counts),
            _postings=index,
            _longest=max(map(len, canons), default=0),
        )

    @classmethod
    def from_texts(
        cls, texts: Sequence[str], source: str = "chat", category: str = RUNTIME_CATEGORY
    ) -> SampleIndex:
        """An index of samples added at run time (e.g. by a chat's admins); texts too short
        to compare are left out (see `comparable`)."""
        return cls.build((Sample(t, category, source) for t in texts if t.strip()), source)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def bench_scale(self, target: Path, extra: int, rng: random.Random) -> None:
        """Benchmark hook: add `extra` times as many synthetic samples (random words that
        never match real text) to the copied rules folder `target`."""
        alphabet = "abcdefghijklmnopqrstuvwxyz"
        samples = [
            {
                "category": "bench",
                "text": " ".join(
                    "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 9)))
                    for _ in range(rng.randint(15, 40))
                ),
            }
            for _ in range(max(1, len(self.samples)) * extra)
        ]
        folder = target / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "zz-bench.yaml").write_text(
            yaml.safe_dump({"samples": samples}, allow_unicode=True), encoding="utf-8"
        )

    def best(
        self, canon: str, feats: frozenset[str], heft: int | None = None
    ) -> tuple[Sample, float] | None:
        """The sample most like a canonical message (with its `features` and `weight`), if
        any reaches the cutoffs."""
        postings = self._postings
        counts = Counter(chain.from_iterable(postings[f] for f in feats & postings.keys()))
        needed = self._needed
        candidates = [i for i, n in counts.items() if n >= needed[i]]
        if not candidates:
            return None
        found: tuple[int, float] | None = None
        size = len(canon)
        heft = weight(canon) if heft is None else heft
        for i in candidates:
            other = self._canon[i]
            score = fuzz.ratio(canon, other, score_cutoff=CUTOFF)
            if not score and min(heft, self._weights[i]) >= PARTIAL_MIN_WEIGHT:
                short, long_ = sorted((size, len(other)))
                if short >= PARTIAL_SHARE * long_:
                    # One text holds most of the other: a template inside a longer message,
                    # or a long enough part of a template.
                    score = fuzz.partial_ratio(canon, other, score_cutoff=PARTIAL_CUTOFF)
            if score and (found is None or score > found[1]):
                found = (i, score)
        if found is None:
            return None
        return self.samples[found[0]], float(found[1])

    def match(self, text: str) -> tuple[Sample, float] | None:
        """The sample a raw text nearly repeats, if any (for tools and tests)."""
        canon = canonical(prepare(text).skeleton)
        if weight(canon) < MIN_WEIGHT:
            return None
        return self.best(canon, features(canon))

    def check(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        """A hit when the message nearly repeats a bundled sample or one of the chat's."""
        extra = context.samples if isinstance(context.samples, SampleIndex) else None
        if not self._canon and (extra is None or not extra._canon):
            return ()
        skeleton = message.text.skeleton
        # The canonical form is never much longer than the skeleton: short messages without
        # CJK characters cannot reach MIN_WEIGHT.
        if len(skeleton) < MIN_WEIGHT and not (
            len(skeleton) >= MIN_WEIGHT // 3 and _CJK.search(skeleton)
        ):
            return ()
        # A long message is first read by its head: when that alone is past the reach of
        # every sample, the rest need not be read (a template inside a long message is still
        # found while the message is within reach).
        reach = max(self.reach, extra.reach if extra is not None else 0)
        head = 2 * reach + _HEAD_MARGIN
        if (reach + _HEAD_MARGIN < MAX_CHARS and len(skeleton) > head
                and len(" ".join(_words(skeleton[:head]))) > reach + _HEAD_MARGIN):
            return ()
        words = _words(skeleton)
        canon = " ".join(words)[:MAX_CHARS]
        heft = weight(canon)
        if heft < MIN_WEIGHT:
            return ()
        feats = _features(words, bool(_UNSPACED.search(canon)))
        found = self.best(canon, feats, heft)
        if extra is not None:
            other = extra.best(canon, feats, heft)
            if other is not None and (found is None or other[1] > found[1]):
                found = other
        if found is None:
            return ()
        sample, score = found
        return (Hit(RULE, sample.category, Severity.HIGH, _reason(sample.category, score)),)


def _reason(category: str, score: float) -> str:
    what = "" if category == RUNTIME_CATEGORY else category.replace("_", " ") + " "
    return f"nearly the same text as a known {what}scam ({score:.0f}% alike)"


def parse_samples(data: Any, source: str) -> list[Sample]:
    """Samples from one parsed samples file; raises RuleSetError listing every problem."""
    errors: list[RuleFileError] = []
    if not isinstance(data, dict) or "samples" not in data:
        raise RuleSetError([RuleFileError(source, line_of(data, 1), "needs a 'samples' list")])
    for key in data:
        if key not in ("samples", "notes"):
            where = line_of(key, line_of(data))
            errors.append(RuleFileError(source, where, f"unknown key {key!r}"))
    items = data["samples"]
    if not isinstance(items, list):
        raise RuleSetError([RuleFileError(source, line_of(items, 1), "'samples' must be a list")])
    out: list[Sample] = []
    for item in items:
        line = line_of(item, line_of(items))
        if not isinstance(item, LDict | dict):
            errors.append(RuleFileError(source, line, "each sample must be a mapping"))
            continue
        unknown = [k for k in item if k not in _KEYS]
        for key in unknown:
            errors.append(RuleFileError(source, line_of(key, line), f"unknown key {key!r}"))
        text, category = item.get("text"), item.get("category")
        lang, note = item.get("lang", ""), item.get("note", "")
        problem = None
        if not isinstance(text, str) or not text.strip():
            problem = "'text' must be the scam message"
        elif not isinstance(category, str) or not _CATEGORY.match(category):
            problem = "'category' must be lower-case letters, digits and '_' (e.g. fake_support)"
        elif not isinstance(lang, str) or (lang and not _LANG.match(lang)):
            problem = "'lang' must be a language code such as en or vi"
        elif not isinstance(note, str):
            problem = "'note' must be text"
        elif not comparable(text):
            problem = (
                "'text' is too short to be matched safely: write the whole message "
                f"(at least {MIN_WEIGHT} characters, or {MIN_WEIGHT // 3} Chinese characters, "
                "not counting links, handles and numbers)"
            )
        if problem is not None:
            errors.append(RuleFileError(source, line, problem))
        elif not unknown:
            out.append(Sample(str(text), str(category), source, line, str(lang), str(note)))
    if errors:
        raise RuleSetError(errors)
    return out


def load_samples(rules_dir: Path) -> SampleIndex:
    """Read `samples/*.yaml` under the rules directory (none is an empty index)."""
    errors: list[RuleFileError] = []
    samples: list[Sample] = []
    seen: dict[str, Sample] = {}
    for path in sorted((Path(rules_dir) / "samples").glob("*.yaml")):
        try:
            found = parse_samples(read_yaml(path), str(path))
        except RuleFileError as exc:
            errors.append(exc)
            continue
        except RuleSetError as exc:
            errors.extend(exc.errors)
            continue
        for sample in found:
            key = canonical(prepare(sample.text).skeleton)
            first = seen.setdefault(key, sample)
            if first is not sample:
                errors.append(
                    RuleFileError(
                        sample.source,
                        sample.line,
                        f"same text as the sample at {first.source}:{first.line}",
                    )
                )
            else:
                samples.append(sample)
    if errors:
        raise RuleSetError(errors)
    return SampleIndex.build(samples, str(Path(rules_dir) / "samples"))
