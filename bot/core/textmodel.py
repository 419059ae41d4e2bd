"""The learned text layer: a linear model over hashed character n-grams of the skeleton.

Character n-grams need no word segmentation (Chinese and Thai are written without spaces)
and see through the spelling games the skeleton already undoes. Features are hashed into a
fixed number of buckets with a rolling polynomial hash computed by NumPy, so a message costs a
few vectorised operations and no Python loop over its characters. The same function turns a
line into features at training time (`bot.training`), so what was fitted is what runs.

A message's feature vector has 1 / sqrt(n) for each of its n distinct buckets (a repeated
n-gram counts once), so the score is `bias + sum(weights[buckets]) / sqrt(n)`.

The model also says which phrases made its score: every n-gram's weight is spread over its
characters, and the best windows of one to four words (or up to eight CJK / Thai
characters) are quoted in the hit's evidence.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.model import ChatContext, Hit, Message, Severity
from bot.core.secrets import find_secrets
from bot.errors import RuleFileError

MODEL_DIR = "model"
WEIGHTS_FILE = "text-model.npz"
FORMAT = 1

ORDERS = (1, 2, 3, 4, 5)
MAX_CHARS = 2_000
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_ORDER_SALT = {n: np.uint64((n * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF) for n in ORDERS}
_SALTS = np.array([_ORDER_SALT[n] for n in ORDERS], dtype=np.uint64)
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
# A phrase the model quotes: a run of letters / digits of a spaced script, or one character
# of a script written without spaces.
_TOKEN = re.compile(r"[^\s\u0e00-\u0e7f\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+|\S")
# Characters of scripts written without spaces between words.
_SPACELESS_RANGES = ((0x0E00, 0x0E7F), (0x2E80, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))
# From this length on, tokens are found with array operations (see _token_spans).
_ARRAY_TOKENS = 200
# How many of the heaviest windows are looked at for the phrases.
_TOP_WINDOWS = 200
# Trailing punctuation is not part of a quoted phrase.
_EDGE_PUNCT = " .,;:!?()[]{}\"'“”‘’«»「」『』，。！？：；、…-"


def features_text(skeleton: str) -> str:
    """The text the model sees: the skeleton, digits as 0, spaces collapsed, padded."""
    text = _SPACES.sub(" ", _DIGITS.sub("0", skeleton[:MAX_CHARS])).strip()
    return f" {text} "


def _hashes(text: str, bits: int) -> np.ndarray:
    """Bucket of every character n-gram of `text`: all of order 1 by position, then all of
    order 2, and so on (uint64)."""
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    size = len(cps)
    orders = [n for n in ORDERS if size >= n]
    counts = [size - n + 1 for n in orders]
    out = np.empty(sum(counts), dtype=np.uint64)
    # the rolling hashes of every order, each order's written after the previous one's
    # (from which it is computed), then salted per order and mixed in three passes
    pos = 0
    prev = cps
    for n, count in zip(orders, counts, strict=True):
        seg = out[pos:pos + count]
        if n == 1:
            seg[:] = cps
        else:
            np.multiply(prev[:count], _PRIME, out=seg)
            seg += cps[n - 1:]
        prev = seg
        pos += count
    out ^= np.repeat(_SALTS[: len(orders)], counts)
    out *= _MIX
    out >>= np.uint64(64 - bits)
    return out


def _token_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends of the `_TOKEN` matches of a `features_text` (whose only whitespace
    is single spaces): runs of characters of spaced scripts, and each character of a
    spaceless one; computed over the code points at once (from a few hundred characters on;
    on a shorter text the regex is cheaper than the array operations)."""
    if len(text) < _ARRAY_TOKENS:
        spans = np.array([m.span() for m in _TOKEN.finditer(text)], dtype=np.int64)
        if not len(spans):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return spans[:, 0], spans[:, 1]
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    spaceless = np.zeros(len(cps), dtype=bool)
    for lo, hi in _SPACELESS_RANGES:
        spaceless |= (cps >= lo) & (cps <= hi)
    spaced = ~spaceless & (cps != 32)
    before = np.empty_like(spaced)
    after = np.empty_like(spaced)
    if len(cps):
        before[0] = after[-1] = False
        before[1:] = spaced[:-1]
        after[:-1] = spaced[1:]
    starts = np.flatnonzero(spaced & ~before | spaceless)
    ends = np.flatnonzero(spaced & ~after | spaceless) + 1
    return starts.astype(np.int64), ends.astype(np.int64)


def _best_first(keys: np.ndarray, ties: np.ndarray, count: int) -> np.ndarray:
    """The first `count` of `np.lexsort((ties, keys))` (the same order, ties kept): only the
    candidates up to the count-th smallest key are sorted."""
    if len(keys) <= count:
        return np.lexsort((ties, keys))
    cut = np.partition(keys, count - 1)[count - 1]
    candidates = np.flatnonzero(keys <= cut)
    return candidates[np.lexsort((ties[candidates], keys[candidates]))][:count]


def _starts_lengths(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of every n-gram of a text of `size` characters, in `_hashes` order."""
    counts = [size - n + 1 for n in ORDERS if size >= n]
    if not counts:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty
    if size > _TEMPLATE_SIZE:
        starts = [np.arange(count, dtype=np.int32) for count in counts]
        lengths = [np.full(count, n, dtype=np.int32) for n, count in enumerate(counts, 1)]
    else:
        starts = [_POSITIONS[:count] for count in counts]
        lengths = [_LENGTHS[n - 1, :count] for n, count in enumerate(counts, 1)]
    return np.concatenate(starts), np.concatenate(lengths)


# Phrase windows: widths of 1-8 tokens (more than 4 only in a spaceless script), and the last
# token of each window for messages of up to _GRID_TOKENS tokens.
_WIDTHS = np.arange(1, 9)[:, None]
_NARROW = _WIDTHS <= 4
_GRID_TOKENS = 512
_LAST_TOKEN = np.arange(_GRID_TOKENS)[None, :] + _WIDTHS - 1

# Positions and lengths for texts as long as the model reads (MAX_CHARS and the padding),
# sliced instead of built for each message.
_TEMPLATE_SIZE = MAX_CHARS + 2
_POSITIONS = np.arange(_TEMPLATE_SIZE, dtype=np.int32)
_LENGTHS = np.repeat(np.array(ORDERS, dtype=np.int32)[:, None], _TEMPLATE_SIZE, axis=1)


def ngram_buckets(text: str, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bucket, start and length of every character n-gram of `text` (orders 1-5)."""
    starts, lengths = _starts_lengths(len(text))
    return _hashes(text, bits).astype(np.int64), starts, lengths


def _distinct(buckets: np.ndarray) -> np.ndarray:
    """The distinct buckets in ascending order (what `np.unique` gives, without its
    general-purpose overhead)."""
    ordered = np.sort(buckets)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def _featurize(skeleton: str, bits: int, text: str | None = None
               ) -> tuple[np.ndarray, float, np.ndarray]:
    every = _hashes(features_text(skeleton) if text is None else text, bits)
    # Each n-gram counts once: a text that repeats itself ("x" * 50,000, a pasted salad)
    # weighs no more than saying it once.
    buckets = _distinct(every)
    n = len(buckets)
    return buckets, (1.0 / float(np.sqrt(n)) if n else 0.0), every


def featurize(skeleton: str, bits: int) -> tuple[np.ndarray, float]:
    """Distinct buckets of a message's n-grams (ascending) and the value of one occurrence
    (1 / sqrt(n)): the buckets of `ngram_buckets`, each once."""
    buckets, value, _every = _featurize(skeleton, bits)
    return buckets, value


@dataclass(frozen=True, slots=True)
class ModelScore:
    """What the model says of one message: scam probability and its logit, with the
    message's n-gram buckets (the category model reads the same ones, and the phrases read
    every n-gram's bucket in text order)."""

    probability: float
    logit: float
    buckets: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    value: float = 0.0
    ngrams: np.ndarray | None = None
    # the text the n-grams were read from (`features_text` of the skeleton)
    text: str | None = None


class TextModel:
    """Weights of the scam / not-scam model and of the category model, loaded from the rules
    directory; immutable once loaded."""

    def __init__(self, bits: int, weights: np.ndarray, bias: float,
                 categories: tuple[str, ...], cat_weights: np.ndarray, cat_bias: np.ndarray,
                 card: dict[str, Any], digest: str) -> None:
        self.bits = bits
        # the category model may read fewer bits of the same buckets (their top bits): it only
        # names a category to explain a verdict, and its weights are one row per category
        self.cat_shift = bits - (int(np.log2(cat_weights.shape[1])) if cat_weights.size else bits)
        self.weights = weights
        self.bias = bias
        self.categories = categories
        # Held bucket-major: a message's buckets are then rows next to each other in memory
        # rather than scattered over every category's row (a gather 10 times faster).
        self._cat_rows = np.ascontiguousarray(cat_weights.T)
        self.cat_bias = cat_bias
        self.card = card
        self.digest = digest

    @property
    def cat_weights(self) -> np.ndarray:
        """Category weights, one row per category (a view)."""
        return self._cat_rows.T

    @property
    def size(self) -> int:
        return int(self.weights.nbytes + self.cat_weights.nbytes)

    def logit(self, skeleton: str) -> float:
        buckets, value = featurize(skeleton, self.bits)
        if not len(buckets):
            return self.bias
        return float(self.bias + self.weights[buckets.view(np.int64)].sum() * value)

    def score(self, skeleton: str) -> ModelScore:
        text = features_text(skeleton)
        buckets, value, every = _featurize(skeleton, self.bits, text)
        # as signed indices (the same values, below 2**bits): NumPy gathers them directly
        buckets, every = buckets.view(np.int64), every.view(np.int64)
        z = self.bias + (float(self.weights[buckets].sum()) * value if len(buckets) else 0.0)
        z = max(-30.0, min(30.0, z))
        return ModelScore(1.0 / (1.0 + float(np.exp(-z))), z, buckets, value, every, text)

    def category(self, score: ModelScore) -> str | None:
        """The scam category the scored text reads most like."""
        buckets, value = score.buckets, score.value
        if not len(buckets) or not self.categories:
            return None
        # the same (categories x buckets) array as `cat_weights[:, buckets]`, summed alike
        rows = buckets >> self.cat_shift if self.cat_shift else buckets
        gathered = np.ascontiguousarray(self._cat_rows[rows].T)
        cat_z = gathered.sum(axis=1) * value
        return self.categories[int(np.argmax(cat_z + self.cat_bias))]

    def phrases(self, skeleton: str, limit: int = 2, ngrams: np.ndarray | None = None,
                text: str | None = None) -> tuple[str, ...]:
        """The windows of the message that weigh most towards 'scam', best first. `ngrams`
        and `text`: the buckets and the text `score` already computed for this skeleton
        (ModelScore.ngrams and .text)."""
        if text is None or ngrams is None:
            text = features_text(skeleton)
        if ngrams is None:
            ngrams = _hashes(text, self.bits).view(np.int64)
        if not len(ngrams):
            return ()
        starts, lengths = _starts_lengths(len(text))
        share = self.weights[ngrams].astype(np.float64) / lengths
        # spread each n-gram's weight evenly over its characters (difference array)
        size = len(text) + 1
        per_char = (np.bincount(starts, weights=share, minlength=size)
                    - np.bincount(starts + lengths, weights=share, minlength=size))
        per_char = np.cumsum(per_char)[: len(text)]
        prefix = np.concatenate(([0.0], np.cumsum(per_char)))
        starts_t, ends_t = _token_spans(text)
        if not len(starts_t):
            return ()
        # windows of 1-8 tokens (more than 4 only from a token of a spaceless script) and
        # at most 40 characters, by width, then by first token: one (width x token) grid
        count = len(starts_t)
        if count <= _GRID_TOKENS:
            last_token = _LAST_TOKEN[:, :count]
        else:
            last_token = np.arange(count)[None, :] + _WIDTHS - 1
        last = ends_t[np.minimum(last_token, count - 1)]
        first = np.broadcast_to(starts_t, last.shape)
        ok = (last_token < count) & ((last - first) <= 40)
        if text.isascii():
            ok &= _NARROW
        else:
            cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)[starts_t]
            spaceless = np.zeros(count, dtype=bool)
            for lo, hi in _SPACELESS_RANGES:
                spaceless |= (cps >= lo) & (cps <= hi)
            ok &= _NARROW | spaceless
        first_all, last_all = first[ok], last[ok]
        sums = prefix[last_all] - prefix[first_all]
        order = _best_first(-sums, first_all, _TOP_WINDOWS)
        chosen: list[tuple[float, int, int]] = []
        for k in order[:_TOP_WINDOWS].tolist():
            total, start, end = float(sums[k]), int(first_all[k]), int(last_all[k])
            if total <= 0 or (chosen and total < 0.35 * chosen[0][0]):
                break
            if any(start < e and s < end for _t, s, e in chosen):
                continue
            chosen.append((total, start, end))
            if len(chosen) >= limit:
                break
        out = []
        for _t, start, end in chosen:
            phrase = text[start:end].strip(_EDGE_PUNCT)
            if phrase and phrase not in out:
                out.append(phrase)
        return tuple(out)


# Verdict-time reason of a model hit, in the detector's own (English) words; replies use the
# reader's language (rules/messages: model.reads_like).
_CATEGORY_WORDS = {
    "key_request": "a request for a wallet recovery phrase, private key or password",
    "otp_request": "a request for a login or one-time code",
    "fake_support": "a fake support agent pulling you into a private chat",
    "lookalike_link": "a message sending you to a fake site",
    "giveaway": "a fake giveaway",
    "wallet_drainer": "a request to connect or \"validate\" your wallet",
    "recovery": "a fund-recovery scam",
    "job_task": "a paid-task job scam",
    "investment": "an investment scam with promised profits",
    "official_impersonation": "a fake notice from a bank, the police or an authority",
}


def model_reason(category: str | None, phrases: Iterable[str]) -> str:
    what = _CATEGORY_WORDS.get(category or "", "a typical scam message")
    quoted = ", ".join(f"'{p}'" for p in phrases)
    return f"reads like {what}: {quoted}" if quoted else f"reads like {what}"


def model_severity(probability: float) -> Severity:
    if probability >= 0.9:
        return Severity.HIGH
    if probability >= 0.6:
        return Severity.MEDIUM
    return Severity.LOW


class ModelCheck:
    """The learned layer as a check: one hit naming the category the text reads like and
    the phrases that made it, when the model's probability reaches `floor`."""

    def __init__(self, model: TextModel, floor: float = 0.5) -> None:
        self.model = model
        self.floor = floor

    def __call__(self, message: Message, context: ChatContext) -> list[Hit]:
        score = message.model_score
        if score is None or score.probability < self.floor:
            return []
        # never quote a posted recovery phrase or key back, even in part
        secrets = message.secrets
        if secrets is None:
            secrets = find_secrets(message.text.raw)
        phrases = () if secrets else self.model.phrases(
            message.text.skeleton, ngrams=score.ngrams, text=score.text)
        category = self.model.category(score)
        return [Hit(f"model.{category or 'other'}", category or "other",
                    model_severity(score.probability), model_reason(category, phrases),
                    evidence=phrases)]


# -- loading ------------------------------------------------------------------------------


def model_files(directory: Path) -> Path:
    return directory / MODEL_DIR / WEIGHTS_FILE


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_text_model(directory: Path) -> TextModel | None:
    """The model of a rules directory; None when it ships none. A file that is there but
    broken raises RuleFileError naming it."""
    return load_text_model_file(model_files(directory))


def load_text_model_file(path: Path) -> TextModel | None:
    """The model in this text-model.npz; None when there is no such file."""
    if not path.exists():
        return None
    source = str(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT:
                raise RuleFileError(source, 0, f"model format {meta.get('format')!r} is not "
                                    f"{FORMAT}: retrain with `scamguard model train`")
            bits = int(meta["bits"])
            cat_bits = int(meta.get("cat_bits", bits))
            weights = np.asarray(data["weights"], dtype=np.float32)
            # stored as float16, held as float32 (a gather of float16 is slow to sum)
            cat_weights = np.asarray(data["cat_weights"], dtype=np.float32)
            cat_bias = np.asarray(data["cat_bias"], dtype=np.float32)
            categories = tuple(str(c) for c in meta["categories"])
            bias = float(meta["bias"])
    except RuleFileError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise RuleFileError(source, 0, f"model file cannot be read: {exc}") from exc
    if not 10 <= bits <= 24 or weights.shape != (1 << bits,):
        raise RuleFileError(source, 0, "model weights do not match their declared size")
    if not 10 <= cat_bits <= bits or cat_weights.shape != (
            len(categories), 1 << cat_bits) or cat_bias.shape != (
            len(categories),):
        raise RuleFileError(source, 0, "category weights do not match their declared size")
    if not (np.isfinite(weights).all() and np.isfinite(bias)):
        raise RuleFileError(source, 0, "model weights are not finite numbers")
    return TextModel(bits, weights, bias, categories, cat_weights, cat_bias, meta,
                     file_digest(path))
