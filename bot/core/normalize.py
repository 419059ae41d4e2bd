"""Text normalisation before matching.

`fold` gives the form people read (NFKC, invisible and bidi controls removed, case folded,
whitespace collapsed, diacritics kept). `skeleton` goes further for matching against evasion:
Cyrillic/Greek/letterlike look-alikes folded to Latin, diacritics and Thai tone marks removed,
spaced-out letters joined (`s e e d` -> `seed`) and leetspeak undone inside words
(`s33d` -> `seed`). The skeleton keeps one newline where the text broke a line, because line
ends are sentence ends to the phrase rules. The work is done with precomputed tables, compiled
regular expressions and cheap prechecks; plain ASCII takes a shorter path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import opencc

from bot.core.confusables import letters


@dataclass(frozen=True, slots=True)
class PreparedText:
    """One message in its three forms: as sent, folded, and as a Latin skeleton."""

    raw: str
    folded: str
    skeleton: str


# Invisible characters: zero-width, bidi embeddings/overrides/isolates, soft hyphen, word
# joiners, variation selectors, Hangul fillers, tag characters and other format characters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)
_INVISIBLE = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _INVISIBLE_RANGES) + "]"
)

# Fullwidth ASCII and the ideographic space, the NFKC mappings seen most often; mapped a run
# at a time.
_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]+")
_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# C0/C1 control characters become spaces; tab and line breaks are whitespace already.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x85\u2028\u2029]+")

# Greek capitals whose look-alike differs from that of their small form (capital Nu looks
# like N, small nu like v); mapped before case folding. Every other capital folds to a small
# letter with the same look-alike.
_UPPER_CONFUSABLES = {"Η": "h", "Μ": "m", "Ν": "n", "Υ": "y"}

# Lower-case look-alikes of Latin letters that NFKC leaves alone: Unicode's confusables with the
# project's overrides (bot/core/confusables.py, shared with the host skeletons), and ligatures
# that read as two letters in running text.
_CONFUSABLES = letters() | {"æ": "ae", "œ": "oe", "þ": "th"}

# Combining marks removed from the decomposed text: Latin/Greek/Cyrillic diacritics, and the
# Thai marks people often leave out (tone marks, mai taikhu, thanthakhat, nikhahit, yamakkan).
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
                    "\u0e47-\u0e4e]")


def _build_confusables_table() -> dict[int, str]:
    table = {ord(char): out for char, out in _CONFUSABLES.items()}
    # Negative circled and squared Latin capitals (🅐, 🅰) have no NFKC mapping.
    for start in (0x1F150, 0x1F170):
        for i in range(26):
            table[start + i] = chr(ord("a") + i)
    return table


_CONFUSABLES_TABLE = _build_confusables_table()


def _char_class(codepoints: list[int]) -> re.Pattern[str]:
    """A regex for runs of `codepoints`, written as ranges (fast for astral runs)."""
    parts: list[str] = []
    cps = sorted(codepoints)
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return re.compile("[" + "".join(parts) + "]+")


# Runs of look-alikes are mapped a run at a time: ordinary text has none, evasive text a few.
_HAS_CONFUSABLE = _char_class(list(_CONFUSABLES_TABLE))
_HAS_UPPER_CONFUSABLE = _char_class([ord(c) for c in _UPPER_CONFUSABLES])
_UPPER_TABLE = str.maketrans(_UPPER_CONFUSABLES)

# Three or more single letters or digits with the same single separator between them
# (`s e e d`, `p.h.r.a.s.e`); two separators in a row end the run. `_SPACED_HINT` starts with
# a literal character class, so the scan of ordinary text that has no such run is fast.
_SPACED = re.compile(r"\b[a-z0-9]([ .\-*·])[a-z0-9](?:\1[a-z0-9])+\b")
_SPACED_HINT = re.compile(r"([ .\-*·])(?<=\b[a-z0-9].)[a-z0-9]\1[a-z0-9]\b")
_LETTER = re.compile(r"[a-z]")
# Single Chinese characters with the same single separator between them, three or more with
# spaces (`助 记 词`), two or more with a dot, hyphen or star (`私-钥`): Chinese is written
# without spaces, so a run like this is spaced out to slip past a filter, as `s e e d` is.
_SPACED_HAN = re.compile(
    r"[\u3400-\u9fff](?:( )[\u3400-\u9fff](?: [\u3400-\u9fff])+|([.\-*·])[\u3400-\u9fff]"
    r"(?:\2[\u3400-\u9fff])*)")

# Leetspeak between Latin letters only (`s33d`, `b1nance`, `p@ssw0rd`); numbers, `2fa`,
# `web3`, `$500`, e-mail addresses and digits next to Thai or Chinese letters stay as they are.
_LEET_RUN = re.compile(r"[013457$@!](?<=[a-z].)[013457$@!]{0,2}(?=[a-z])")
_EMAIL_DOMAIN = re.compile(r"[a-z0-9\-]+\.[a-z]")
_LEET_TABLE = str.maketrans({
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a", "!": "i",
})


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(_LETTER.findall(run)) < 2:
        return run
    return run.replace(match.group(1), "")


def _join_spaced_han(match: re.Match[str]) -> str:
    return match.group(0).replace(match.group(1) or match.group(2), "")


# OpenCC (the reference Traditional/Simplified converter) rather than a hand-kept table.
_T2S = opencc.OpenCC("t2s")
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
# Simplified variants OpenCC keeps apart that people use interchangeably.
_HAN_VARIANTS = {"帐": "账"}


def _unleet(match: re.Match[str]) -> str:
    run = match.group(0)
    at = run.find("@")
    if at >= 0 and _EMAIL_DOMAIN.match(match.string, match.start() + at + 1):
        return run
    # A doubled 1 stands for "ll" (wa11et, bi11ion); a single one for "i" (b1nance).
    return run.replace("11", "ll").translate(_LEET_TABLE)


def _halfwidth(match: re.Match[str]) -> str:
    return match.group(0).translate(_FULLWIDTH_TABLE)


def _confusables_run(match: re.Match[str]) -> str:
    return match.group(0).translate(_CONFUSABLES_TABLE)


def _upper_run(match: re.Match[str]) -> str:
    return match.group(0).translate(_UPPER_TABLE)


def _clean(text: str) -> str:
    """NFKC with invisible characters removed and control characters as spaces; not folded."""
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
        if not unicodedata.is_normalized("NFKC", text):
            # Fullwidth ASCII (common in Chinese text) is cheaper to map directly.
            text = _FULLWIDTH.sub(_halfwidth, text)
            if not unicodedata.is_normalized("NFKC", text):
                text = unicodedata.normalize("NFKC", text)
    return _CONTROLS.sub(" ", text)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _collapse_lines(text: str) -> str:
    """Whitespace runs to one space, or to one newline where the run breaks a line."""
    if not _LINE_BREAKS.search(text):
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in _LINE_BREAKS.split(text))
    return "\n".join(line for line in lines if line)


def simplified(text: str) -> str:
    """Traditional Chinese folded to Simplified, and Simplified variants to one form, so a
    phrase written either way matches both (這裡是警察局 / 这里是警察局)."""
    if not _HAN.search(text):
        return text
    text = _T2S.convert(text)
    # str.replace per variant: str.translate through a dict walks every character in Python
    for variant, common in _HAN_VARIANTS.items():
        text = text.replace(variant, common)
    return text


def _skeleton_of_clean(clean: str) -> str:
    """Skeleton of text that went through `_clean` (whitespace not yet collapsed)."""
    if clean.isascii():
        text = clean.lower()
    else:
        clean = simplified(_HAS_UPPER_CONFUSABLE.sub(_upper_run, clean))
        text = unicodedata.normalize("NFD", clean.casefold())
        text = unicodedata.normalize("NFC", _MARKS.sub("", text)).replace("đ", "d")
        if not text.isascii():
            text = _HAS_CONFUSABLE.sub(_confusables_run, text)
        if _HAN.search(text):
            text = _SPACED_HAN.sub(_join_spaced_han, text)
    if _SPACED_HINT.search(text):
        text = _SPACED.sub(_join_spaced, text)
    text = _LEET_RUN.sub(_unleet, text)
    return _collapse_lines(text)


def fold(text: str) -> str:
    """NFKC, invisible and bidi controls removed, case folded, whitespace collapsed."""
    clean = _clean(text)
    return _collapse(clean.lower() if clean.isascii() else clean.casefold())


def skeleton(text: str) -> str:
    """Latin skeleton for matching: look-alikes, diacritics, Thai tone marks, spaced letters
    and leetspeak folded away; whitespace collapsed, line breaks kept as one newline.

    Give it the raw text rather than `fold(text)`: capital look-alikes (Greek `Ν` is N, its
    small form `ν` is v) and line breaks are read before folding loses them."""
    return _skeleton_of_clean(_clean(text))


def prepare(text: str) -> PreparedText:
    """All forms of one message, computed once."""
    clean = _clean(text)
    folded = _collapse(clean.lower() if clean.isascii() else clean.casefold())
    return PreparedText(text, folded, _skeleton_of_clean(clean))
