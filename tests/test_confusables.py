"""One confusables source: Unicode's data plus the project's overrides feed both the text
normalisation and the host skeletons, and the two agree."""

from __future__ import annotations

import pytest

from bot.core import confusables, normalize
from bot.core.links import hosts


def test_unicode_data_is_the_base():
    """Most look-alike letters come from Unicode's data, not from the project's table."""
    table = confusables.unicode_table()
    assert len(table) > 150
    assert table["а"] == "a" and table["ο"] == "o" and table["ѕ"] == "s"  # Cyrillic, Greek
    assert len(confusables.OVERRIDES) < len(table)


def test_overrides_are_not_redundant():
    """An override either adds a letter Unicode's data lacks or settles a different reading."""
    table = confusables.unicode_table()
    same = [ch for ch, out in confusables.OVERRIDES.items() if table.get(ch) == out]
    assert same == []


def test_text_and_host_tables_agree():
    """Every letter both tables fold reads as the same Latin letter in both, except the
    ligatures that running text spells as two letters."""
    text = normalize._CONFUSABLES
    host = {ch: out for ch, out in hosts._SINGLE.items() if not ch.isascii()}
    both = (set(text) & set(host)) - {"æ", "œ", "þ"}
    assert len(both) > 150
    assert {ch: (text[ch], host[ch]) for ch in both if text[ch] != host[ch]} == {}
    assert set(confusables.letters()) <= set(host) and set(confusables.letters()) <= set(text)


@pytest.mark.parametrize(("shown", "latin"), [
    ("bіnаnсе", "binance"),      # Cyrillic і а с е
    ("mеtаmаѕk", "metamask"),
    ("ꮪꭼꭼd", "seed"),            # Cherokee small letters: from Unicode's data
    ("ρhrаѕе", "phrase"),
])
def test_both_forms_read_the_same_word(shown, latin):
    """A word spelt with look-alikes is the same word to the phrase rules and to the host
    skeleton."""
    assert normalize.skeleton(shown) == latin
    assert hosts.skeleton(shown) == hosts.skeleton(latin)
