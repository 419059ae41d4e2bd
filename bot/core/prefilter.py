"""Which regular expressions can match a text, told by the literal strings they need.

Every expression is read once, at load, into the strings at least one of which occurs in any
text it matches ("send\\s+(?:otp|code)" needs "send"; "(?:两|三)倍" needs "两倍" or "三倍").
One Aho-Corasick automaton of all those strings then finds, in one linear pass, the
expressions worth running on a message; an expression with no such string (only classes,
optional parts) always runs.

RE2's own filter does the same, but matches the strings through one RE2 set whose automaton
states are built lazily and flushed when its memory fills: on varied long messages it cost
1-15 ms a message. An Aho-Corasick automaton is built whole at load and costs the same on
every text.

The reading is conservative: whatever is not understood (a syntax Python's parser does not
share with RE2, case-insensitive flags, negated or large classes) makes the part need
nothing, never something it does not need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import ahocorasick

# Bounds on the strings kept for one part of an expression: past them the part is read as
# needing nothing more specific than what came before it.
MAX_ALTERNATIVES = 64
MAX_CLASS = 8
# The largest class of characters kept as a requirement (`required_chars`): ASCII digits,
# letters of one case, a script's block of signs.
MAX_CHARS = 128
_DIGITS = frozenset("0123456789")
MAX_LENGTH = 24
# Single characters of alphabets are no test (nearly every text has them, and each of their
# occurrences would cost a step of the pass); a Chinese or Japanese character is about a word.
_IDEOGRAPHS = "\u3000"

Strings = frozenset[str]


def _worth(string: str) -> bool:
    return len(string) > 1 or string >= _IDEOGRAPHS


class _Info:
    """What a part of an expression matches: `exact` is every string it can match (when
    few), `needs` sets of strings each of which has a member in any match (all of them are
    needed; empty: nothing known)."""

    __slots__ = ("exact", "needs")

    def __init__(self, exact: Strings | None = None, needs: tuple[Strings, ...] = ()) -> None:
        self.exact = exact
        self.needs = needs

    def best(self) -> Strings | None:
        """The most selective single set of strings one of which any match holds."""
        found = _useful(self.exact)
        for strings in self.needs:
            found = _better(found, strings)
        return found

    def every(self) -> tuple[Strings, ...]:
        """Every set needed, the most selective first."""
        sets = set(self.needs)
        exact = _useful(self.exact)
        if exact is not None:
            sets.add(exact)
        return tuple(sorted(sets, key=_selectivity, reverse=True))


def _selectivity(strings: Strings) -> tuple[int, int, tuple[str, ...]]:
    """How well a set of strings filters: the longer its shortest string, then the fewer
    strings, the better (the strings themselves only make the order total)."""
    return (min(map(len, strings)), -len(strings), tuple(sorted(strings)))


def _useful(strings: Strings | None) -> Strings | None:
    """A set of strings worth filtering on: none of them empty."""
    if not strings or "" in strings:
        return None
    return strings


def _better(a: Strings | None, b: Strings | None) -> Strings | None:
    """The more selective of two requirements (see `_selectivity`)."""
    if a is None:
        return b
    if b is None:
        return a
    return a if _selectivity(a) >= _selectivity(b) else b


def _cross(a: Strings, b: Strings) -> Strings | None:
    if len(a) * len(b) > MAX_ALTERNATIVES:
        return None
    out = frozenset(x + y for x in a for y in b)
    if any(len(s) > MAX_LENGTH for s in out):
        return None
    return out


def _class(items: Sequence[tuple[Any, Any]], limit: int) -> Strings | None:
    """The characters a class matches, when it is a positive set of at most `limit` (RE2's
    \\d is the ASCII digits)."""
    chars: set[str] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            lo, hi = arg
            if hi - lo >= limit:
                return None
            chars.update(map(chr, range(lo, hi + 1)))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_DIGIT:
            chars.update(_DIGITS)
        else:  # NEGATE, other categories
            return None
        if len(chars) > limit:
            return None
    return frozenset(chars) if chars else None


def _sequence(items: Iterable[tuple[Any, Any]]) -> _Info:
    needs: list[Strings] = []
    run: Strings | None = frozenset({""})
    whole = True
    for op, arg in items:
        info = _node(op, arg)
        if run is not None and info.exact is not None:
            joined = _cross(run, info.exact)
            if joined is not None:
                run = joined
                continue
        # the run of exact strings ends here
        whole = False
        useful = _useful(run)
        if useful is not None:
            needs.append(useful)
        needs.extend(info.needs)
        run = info.exact
    if whole:
        return _Info(exact=run, needs=tuple(needs))
    useful = _useful(run)
    if useful is not None:
        needs.append(useful)
    return _Info(needs=tuple(dict.fromkeys(needs)))


def _node(op: Any, arg: Any) -> _Info:
    if op is sre.LITERAL:
        return _Info(exact=frozenset({chr(arg)}))
    if op is sre.AT:  # anchors and word boundaries match the empty string
        return _Info(exact=frozenset({""}))
    if op is sre.IN:
        return _Info(exact=_class(arg, MAX_CLASS))
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        if add_flags or del_flags:
            return _Info()
        return _sequence(sub)
    if op is sre.BRANCH:
        _unused, branches = arg
        exact: Strings | None = frozenset()
        union: Strings | None = frozenset()
        for branch in branches:
            info = _sequence(branch)
            if exact is not None:
                exact = None if info.exact is None else exact | info.exact
            best = info.best()
            union = None if best is None or union is None else union | best
        if exact is not None and len(exact) > MAX_ALTERNATIVES:
            exact = None
        if union is not None and len(union) > MAX_ALTERNATIVES:
            union = None
        return _Info(exact=exact, needs=(union,) if union else ())
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = arg
        if lo == 0:
            return _Info()
        info = _sequence(sub)
        if lo == hi == 1:
            return info
        return _Info(needs=info.every())
    return _Info()


# RE2's Unicode classes (\p{Han}, \PL), which Python's parser does not know: read as \W,
# a class too large to need anything (and, negated in a class, nothing either), so the rest
# of the expression is still read ("\bnames?\b[^.\p{Han}]{0,40}" needs "name").
_UNICODE_CLASS = re.compile(r"(?<!\\)\\[pP](?:\{\w+\}|[A-Za-z])")


def _parts(pattern: str) -> list[tuple[Any, Any]] | None:
    """The expression's top-level parts as Python's parser reads them; None when it cannot
    (RE2 syntax it does not share) or when letters could be of either case."""
    try:
        tree = sre_parse.parse(_UNICODE_CLASS.sub(r"\\W", pattern))
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    if tree.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    return list(tree)


def _conditions(pattern: str) -> tuple[Strings, ...]:
    parts = _parts(pattern)
    return () if parts is None else _sequence(parts).every()


def required_strings(pattern: str) -> Strings | None:
    """The most selective set of strings at least one of which occurs in every text
    `pattern` matches (None: the expression may match without any)."""
    conditions = _conditions(pattern)
    return conditions[0] if conditions else None


def required_sets(pattern: str) -> tuple[Strings, ...]:
    """Every set of strings of which `pattern` needs one member, in any text it matches
    (all of them at once), the most selective first; () when nothing is known."""
    return _conditions(pattern)




def _sequence_chars(items: Iterable[tuple[Any, Any]]) -> tuple[Strings, ...]:
    """Sets of characters of which every match of the sequence holds one member each (the
    sequence needs every part)."""
    needs: list[Strings] = []
    for op, arg in items:
        needs.extend(_node_chars(op, arg))
    return tuple(dict.fromkeys(needs))


def _node_chars(op: Any, arg: Any) -> tuple[Strings, ...]:
    if op is sre.LITERAL:
        return (frozenset({chr(arg)}),)
    if op is sre.IN:
        chars = _class(arg, MAX_CHARS)
        return () if chars is None else (chars,)
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        return () if add_flags or del_flags else _sequence_chars(sub)
    if op is sre.BRANCH:
        # one of each branch's characters: the union of each branch's smallest set
        union: set[str] = set()
        for branch in arg[1]:
            needs = _sequence_chars(branch)
            if not needs:
                return ()
            union |= min(needs, key=len)
        return (frozenset(union),) if len(union) <= MAX_CHARS else ()
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
        lo, _hi, sub = arg
        return _sequence_chars(sub) if lo > 0 else ()
    return ()  # anchors, any character, back references and the rest


def required_chars(pattern: str) -> tuple[Strings, ...]:
    """Sets of characters of which every text `pattern` matches holds at least one member
    each (): nothing known). Cruder than `required_sets` but it knows classes: an expression
    of digits and spaces needs a digit."""
    parts = _parts(pattern)
    return () if parts is None else _sequence_chars(parts)


_VALUE = itemgetter(1)


class Prefilter:
    """The expressions (by index) worth running on a text: those with a member of each of
    their needed sets in it (the first, most selective set finds them; the others are
    checked on the few found), and those that need no string known; either kind is left out
    when it needs a character the text lacks (a digit: a text without one skips the
    expressions of numbers)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        ids: dict[str, int] = {}
        by_first: dict[int, list[int]] = {}
        always: list[int] = []
        by_chars: dict[tuple[Strings, ...], list[int]] = {}
        char_needs: dict[int, tuple[Strings, ...]] = {}
        rest: dict[int, tuple[frozenset[int], ...]] = {}
        for index, pattern in enumerate(patterns):
            # (sets holding a single character of an alphabet are left out: see _worth)
            conditions = [c for c in _conditions(pattern) if all(map(_worth, c))]
            if not conditions:
                needs = required_chars(pattern)
                if needs:
                    by_chars.setdefault(needs, []).append(index)
                else:
                    always.append(index)
                continue
            sets = [frozenset(ids.setdefault(s, len(ids)) for s in strings)
                    for strings in conditions]
            for string_id in sets[0]:
                by_first.setdefault(string_id, []).append(index)
            if len(sets) > 1:
                rest[index] = tuple(sets[1:])
            # characters it needs that no string of it holds, none of them a letter (a
            # digit, an asterisk): the strings' own characters are tested by the strings
            classes = tuple(c for c in required_chars(pattern)
                            if not any(ch.isalpha() for ch in c))
            if classes:
                char_needs[index] = classes
        self.always = tuple(always)
        # the expressions that need no string but characters: every distinct set of
        # characters once, and each group of expressions by the numbers of the sets it needs
        char_sets: dict[Strings, int] = {}
        for needs in (*by_chars, *char_needs.values()):
            for chars in needs:
                char_sets.setdefault(chars, len(char_sets))
        self._char_sets = tuple(char_sets)
        self._by_chars = tuple((frozenset(char_sets[c] for c in needs), tuple(v))
                               for needs, v in by_chars.items())
        self._char_needs = {i: frozenset(char_sets[c] for c in needs)
                            for i, needs in char_needs.items()}
        self._rest = rest
        self._by_first = {k: tuple(v) for k, v in by_first.items()}
        self._automaton: ahocorasick.Automaton | None = None
        if ids:
            automaton = ahocorasick.Automaton()
            for s, string_id in ids.items():
                automaton.add_word(s, string_id)
            automaton.make_automaton()
            self._automaton = automaton

    def candidates(self, text: str) -> list[int]:
        """Indices, ascending, of the expressions that may match `text`."""
        out = set(self.always)
        missing: set[int] = set()
        if self._char_sets and text:
            present_chars = set(text)
            missing = {k for k, chars in enumerate(self._char_sets)
                       if chars.isdisjoint(present_chars)}
            for needs, indices in self._by_chars:
                if missing.isdisjoint(needs):
                    out.update(indices)
        if self._automaton is None or not text:
            return sorted(out)
        # (a C-level map over the matches: a long message has thousands of them)
        present = set(map(_VALUE, self._automaton.iter(text)))
        by_first = self._by_first
        triggered = {i for string_id in present if string_id in by_first
                     for i in by_first[string_id]}
        rest, char_needs = self._rest, self._char_needs
        for index in triggered:
            others = rest.get(index)
            if others is not None and any(s.isdisjoint(present) for s in others):
                continue
            char_need = char_needs.get(index)
            if char_need is None or missing.isdisjoint(char_need):
                out.add(index)
        return sorted(out)
