"""One source of look-alike letters for text normalisation and host skeletons.

The base is Unicode's confusables data (UTS 39, shipped by the `confusable-homoglyphs`
package): every letter of the Basic Multilingual Plane that NFKC leaves alone, that is its own
case fold (or a Cherokee capital, which case folding keeps), and that Unicode lists as
confusable with one ASCII letter maps to that letter in lower case. The project's overrides
(`OVERRIDES`) add what Unicode's table leaves out and settle the few letters where a reader of
chat text sees another Latin letter than Unicode's prototype. Both tables are built once, at
import.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources

# Letters Unicode's data leaves out or maps elsewhere, as they read in lower-case chat text and
# domain names. The look-alike of each is the Latin letter a reader takes it for.
OVERRIDES: dict[str, str] = {
    # Cyrillic
    "ӏ": "l", "в": "b", "ё": "e", "к": "k", "м": "m", "н": "h", "п": "n", "т": "t",
    "ь": "b", "ї": "i", "ә": "e", "ԍ": "g", "ꭓ": "x",
    # Greek
    "β": "b", "ε": "e", "ζ": "z", "η": "n", "κ": "k", "μ": "u",
    "ς": "c", "τ": "t", "χ": "x", "ω": "w", "ϱ": "p", "ϰ": "k",
    # Armenian
    "ք": "p",
    # Latin letters with hooks, IPA and small capitals
    "ƈ": "c", "ɗ": "d", "ɛ": "e", "ƒ": "f", "ɠ": "g", "ɦ": "h", "ʝ": "j",
    "ƙ": "k", "ɭ": "l", "ɱ": "m", "ɲ": "n", "ɵ": "o", "ƥ": "p", "ʠ": "q", "ɽ": "r",
    "ʂ": "s", "ƭ": "t", "ʋ": "v", "ⱳ": "w", "ƴ": "y", "ʐ": "z", "ɒ": "a", "ɔ": "c",
    "ǝ": "e", "ɾ": "r", "ʀ": "r", "ʙ": "b", "ᴅ": "d", "ᴇ": "e", "ғ": "f",
    "ɢ": "g", "ʜ": "h", "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴘ": "p",
    "ǫ": "q", "ᴛ": "t", "ᴀ": "a",
    # Latin letters without a decomposition
    "đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i",
    "ƶ": "z", "ǥ": "g", "ɇ": "e", "ɍ": "r", "ʉ": "u", "ɏ": "y", "ŋ": "n", "ĸ": "k",
    # Letterlike symbols
    "℮": "e", "℘": "p", "℧": "u", "ⅎ": "f",
    # Greek lunate sigma, dotless j, b with hook, Cherokee O
    "ϲ": "c", "ȷ": "j", "ɓ": "b", "Ꮎ": "o",
}


@lru_cache(maxsize=1)
def unicode_table() -> dict[str, str]:
    """Unicode's confusables reduced to single letters that look like one ASCII letter."""
    data = json.loads(
        resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    )
    out: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        if ord(char) > 0xFFFF:
            continue  # historic scripts (Old Italic, Carian) disguise no chat text
        if unicodedata.normalize("NFKC", char) != char:
            continue
        if char.casefold() != char and not "\u13a0" <= char <= "\u13f5":
            continue  # capitals fold first; Cherokee capitals are what case folding keeps
        targets = {
            e["c"].lower() for e in entries if len(e["c"]) == 1 and "a" <= e["c"].lower() <= "z"
        }
        if len(targets) == 1:
            out[char] = targets.pop()
    return out


@lru_cache(maxsize=1)
def letters() -> dict[str, str]:
    """Every look-alike letter and the ASCII letter it reads as: Unicode's data, then the
    project's overrides."""
    return unicode_table() | OVERRIDES
