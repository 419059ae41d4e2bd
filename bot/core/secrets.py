"""Secrets posted in the open: wallet recovery phrases and private keys.

A message that itself contains a secret is dangerous whoever sent it: a victim pasting a phrase
into a group, or a scammer's "honeypot" wallet. `find_secrets` locates them in the raw text;
`check_secrets` turns them into hits. The BIP39 list and checksum come from `mnemonic`.

Decisions:
- A recovery phrase is 12 to 24 consecutive BIP39 words (numbered, comma- or line-separated
  lists count). A 12/15/18/21/24-word window with a valid checksum (BIP39, or Electrum's
  seed version for 12 words) is a phrase wherever it stands. Without a valid checksum (a
  typo, a word left out, a TON phrase) the run must have a phrase length (12, 15, 18, 21 or
  24 words) and look like a posted phrase:
  numbered, one word per line or comma-separated, or the bulk of the message in one case.
  Sentences written with list words ("you can also...") are told apart by the everyday words
  they hold, which random phrases almost never do.
- 64 hex digits are a private key unless the words before them say transaction, hash, block,
  address, wallet (Sui and Aptos addresses are 64 hex too) or similar, or they sit inside a
  URL (block explorers); a nearer "private key" / "私钥" wins over those words.
- Chinese phrases (simplified or traditional list) are single characters written with spaces,
  commas or numbers between them; ordinary Chinese text has no such runs.
- WIF keys need a valid base58check checksum; extended private keys (`xprv`...) are
  recognised by their prefix and length; a Solana secret key (64 bytes, base58 or a JSON
  byte array) only when its second half is the public key of its first half.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnemonic import Mnemonic

from bot.core.model import ChatContext, Hit, Severity

if TYPE_CHECKING:
    from bot.core.model import Message

MNEMONIC = "mnemonic"
HEX_KEY = "hex_key"
WIF = "wif"
EXTENDED_KEY = "extended_key"
SOLANA_KEY = "solana_key"
PRIVATE_KEY_KINDS = frozenset({HEX_KEY, WIF, EXTENDED_KEY, SOLANA_KEY})


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret found in a text: its kind, its span in the raw text, and whether a checksum
    (or key derivation) confirmed it."""

    kind: str
    start: int
    end: int
    verified: bool = True

    @property
    def is_private_key(self) -> bool:
        return self.kind in PRIVATE_KEY_KINDS


# --- BIP39 ---------------------------------------------------------------------------------

PHRASE_LENGTHS = (24, 21, 18, 15, 12)
# Runs of list words longer than this are word salad, not a posted phrase; their windows are
# not checksummed (that would cost time on adversarial input for nothing).
MAX_RUN = 96


def _index(language: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(Mnemonic(language).wordlist)}


def checksum_ok(words: list[str], index: dict[str, int]) -> bool:
    """BIP39 checksum of a 12-24 word phrase whose words are all in `index` (word -> number):
    the last bits are the first bits of the SHA-256 of the rest."""
    value = 0
    for word in words:
        value = value << 11 | index[word]
    check_bits = len(words) * 11 // 33
    entropy = value >> check_bits
    digest = hashlib.sha256(entropy.to_bytes(len(words) * 4 // 3, "big")).digest()
    return digest[0] >> (8 - check_bits) == value & ((1 << check_bits) - 1)


# Electrum seeds use the same English list with their own check: the HMAC-SHA512 of the
# phrase under "Seed version" starts with the seed type's prefix.
_ELECTRUM_PREFIXES = ("01", "100", "101", "102")


def electrum_seed(words: list[str]) -> bool:
    """Whether the words form an Electrum seed (standard, segwit or two-factor)."""
    digest = hmac.new(b"Seed version", " ".join(words).encode(), hashlib.sha512).hexdigest()
    return digest.startswith(_ELECTRUM_PREFIXES)


ENGLISH = _index("english")
_WORDS = frozenset(ENGLISH)
# BIP39 English words are unique in their first four letters; wallets accept the prefix.
_PREFIX4 = {w[:4]: w for w in ENGLISH if len(w) >= 4}

# Everyday function words that happen to be on the list. A random phrase rarely holds three of
# them (about 0.2% of 12-word phrases); a sentence written with list words almost always does.
_FUNCTION_WORDS = _WORDS & {
    "about", "again", "all", "also", "any", "because", "before", "can", "have", "just",
    "like", "more", "now", "one", "only", "other", "over", "own", "real", "right", "same",
    "still", "such", "sure", "that", "then", "there", "they", "this", "two", "very", "what",
    "when", "where", "will", "you",
}
_PROSE_MIN = 3

_WORD = re.compile(r"[A-Za-z]+")
_SEP = r"[\s,;|/*•·\-–—:]"
_GAP = re.compile(rf"{_SEP}*(?:\(?#?\d{{1,2}}\s*[.):\-]?\)?{_SEP}*)?")
_NUMBERED = re.compile(r"\d")
_LEAD_NUMBER = re.compile(r"(?<![\w.])\(?#?1\s*[.):\-]?\)?[ \t]*$")
_LISTED = re.compile(r"[,;\n|]")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    word: str  # the BIP39 word it stands for, "" when unknown
    exact: bool


def _resolve(token: str) -> tuple[str, bool]:
    """The BIP39 word a token stands for and whether it is spelled exactly."""
    low = token.lower()
    if low in _WORDS:
        return low, True
    if 4 <= len(low) <= 10:
        word = _PREFIX4.get(low[:4], "")
        return word, False
    return "", False


def _runs(text: str) -> Iterator[list[_Token]]:
    """Maximal runs of list words joined by list-like gaps; one unknown word may sit inside."""
    run: list[_Token] = []
    unknown = 0
    prev_end = -1
    for match in _WORD.finditer(text):
        word, exact = _resolve(match.group(0))
        token = _Token(match.start(), match.end(), word, exact)
        joined = bool(run) and _GAP.fullmatch(text, prev_end, match.start()) is not None
        prev_end = match.end()
        if joined and (word or (unknown == 0 and len(match.group(0)) <= 10)):
            run.append(token)
            unknown += not word
            continue
        if run:
            yield _trim(run)
        run = [token] if word else []
        unknown = 0
    if run:
        yield _trim(run)


def _trim(run: list[_Token]) -> list[_Token]:
    while run and not run[-1].word:
        run = run[:-1]
    return run


def _is_prose(words: list[str]) -> bool:
    return sum(1 for w in words if w in _FUNCTION_WORDS) >= _PROSE_MIN


def _valid_windows(run: list[_Token], structured: bool) -> list[tuple[int, int]]:
    """Non-overlapping windows of `run` (index ranges) whose words pass the BIP39 checksum;
    unless the run is a numbered or separated list, windows that read like prose are left."""
    found: list[tuple[int, int]] = []
    i = 0
    while i + PHRASE_LENGTHS[-1] <= len(run):
        for size in PHRASE_LENGTHS:
            words = [t.word for t in run[i:i + size]]
            if (
                len(words) == size
                and all(words)
                and (structured or not _is_prose(words))
                and (checksum_ok(words, ENGLISH) or (size == 12 and electrum_seed(words)))
            ):
                found.append((i, i + size))
                i += size
                break
        else:
            i += 1
    return found


def _structured(text: str, run: list[_Token]) -> bool:
    """Whether the run is written as a list: numbered, or one word per line or comma."""
    gaps = [text[a.end:b.start] for a, b in itertools.pairwise(run)]
    half = len(gaps) // 2
    return (
        sum(1 for g in gaps if _NUMBERED.search(g)) >= half
        or sum(1 for g in gaps if _LISTED.search(g)) >= half
    )


def _looks_posted(text: str, run: list[_Token], structured: bool) -> bool:
    """A run without a valid checksum that still reads like a posted phrase, not prose."""
    n = len(run)
    if n not in PHRASE_LENGTHS:
        return False
    inexact = sum(1 for t in run if not t.exact)
    repeated = n - len({t.word for t in run})
    if inexact > 1 or repeated > 1:
        return False
    if structured:
        return True
    # Otherwise the run must be most of the message, in one case (a pasted phrase, not a
    # capitalised sentence), and not read like prose.
    words = text[run[0].start:run[-1].end]
    one_case = words.islower() or words.isupper()
    letters = sum(1 for c in text if not c.isspace())
    return (
        one_case
        and len(words) >= 0.75 * letters
        and not _is_prose([t.word for t in run])
    )


def _may_hold_phrase(text: str, minimum: int) -> bool:
    """Cheap filter: `minimum` or more list words in a row (one unknown allowed), gaps
    ignored."""
    words = _WORD.findall(text.lower())
    if len(words) < minimum:
        return False
    before = current = 0
    for low in words:
        if low in _WORDS or low[:4] in _PREFIX4:
            current += 1
            if before + current >= minimum:
                return True
        else:
            before, current = current + 1, 0
    return False


def _lead(text: str, start: int) -> int:
    """Start of the list number written before a phrase's first word ("1. abandon")."""
    m = _LEAD_NUMBER.search(text, max(0, start - 8), start)
    return m.start() if m else start


# With `thorough`, for redaction: also part of a phrase (eight or more words written one per
# line or numbered leave only a few words to guess) and twelve list words in a row that do not
# read like prose.
_THOROUGH_LIST_MIN = 8
_LINE_OR_NUMBER = re.compile(r"[\n\d]")


def _partial(text: str, run: list[_Token]) -> bool:
    gaps = [text[a.end:b.start] for a, b in itertools.pairwise(run)]
    if sum(1 for g in gaps if _LINE_OR_NUMBER.search(g)) >= len(gaps) // 2:
        return True
    return len(run) >= PHRASE_LENGTHS[-1] and not _is_prose([t.word for t in run])


_LIST_ITEM = re.compile(r"(?<![\w.])(\d{1,2})\s*[.):\-]?\s*([A-Za-z]+)")


def _numbered_lists(text: str) -> list[Secret]:
    """Numbered lists ("1. word 2. word ...") of eight or more items, mostly list words,
    whatever the typos: for redaction only."""
    found: list[Secret] = []
    items: list[re.Match[str]] = []

    def close() -> None:
        known = sum(1 for m in items if _resolve(m.group(2))[0])
        if len(items) >= _THOROUGH_LIST_MIN and known >= 0.75 * len(items):
            found.append(Secret(MNEMONIC, items[0].start(), items[-1].end(), False))

    for m in _LIST_ITEM.finditer(text):
        number = int(m.group(1))
        if items and number == int(items[-1].group(1)) + 1:
            items.append(m)
            continue
        close()
        items = [m] if number == 1 else []
    close()
    return found


def _find_mnemonics(text: str, thorough: bool = False) -> list[Secret]:
    found: list[Secret] = []
    minimum = _THOROUGH_LIST_MIN if thorough else PHRASE_LENGTHS[-1]
    if not _may_hold_phrase(text, minimum):
        return found
    for run in _runs(text):
        if len(run) < minimum:
            continue
        structured = _structured(text, run)
        windows = (
            _valid_windows(run, structured) if PHRASE_LENGTHS[-1] <= len(run) <= MAX_RUN else []
        )
        if windows:
            found.extend(
                Secret(MNEMONIC, _lead(text, run[a].start), run[b - 1].end) for a, b in windows
            )
        elif _looks_posted(text, run, structured) or (thorough and _partial(text, run)):
            found.append(Secret(MNEMONIC, _lead(text, run[0].start), run[-1].end, False))
    return found


# --- base58 --------------------------------------------------------------------------------

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
B58_CHARS = "1-9A-HJ-NP-Za-km-z"


def base58_decode(value: str) -> bytes | None:
    """Bytes of a base58 string, or None when a character is outside the alphabet."""
    num = 0
    for char in value:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return None
        num = num * 58 + digit
    pad = len(value) - len(value.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\x00" * pad + body


def base58check_decode(value: str) -> bytes | None:
    """Payload of a base58check string (checksum removed), or None when the checksum fails."""
    raw = base58_decode(value)
    if raw is None or len(raw) < 5:
        return None
    payload, check = raw[:-4], raw[-4:]
    if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != check:
        return None
    return payload


# --- ed25519 public key of a seed (RFC 8032), to confirm a 64-byte Solana secret key --------

_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202
_BY = 46316835694926478169428394003475163141307993866256225615783033603165251855960
_Point = tuple[int, int, int, int]


def _add(p: _Point, q: _Point) -> _Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * _D * p[3] * q[3] % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _base_powers() -> tuple[_Point, ...]:
    """2^i times the base point for i < 255, so a key needs additions only."""
    point: _Point = (_BX, _BY, 1, _BX * _BY % _P)
    powers = []
    for _ in range(255):
        powers.append(point)
        point = _add(point, point)
    return tuple(powers)


_BASE_POWERS = _base_powers()
# Each candidate costs about a millisecond; a message gets this many, so that a wall of
# 88-character strings cannot stall the bot.
MAX_KEYPAIR_CHECKS = 4


def ed25519_public_key(seed: bytes) -> bytes:
    """The 32-byte ed25519 public key of a 32-byte seed."""
    digest = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar = (scalar & ((1 << 254) - 8)) | (1 << 254)
    result: _Point = (0, 1, 1, 0)
    for i in range(255):
        if scalar >> i & 1:
            result = _add(result, _BASE_POWERS[i])
    z_inv = pow(result[2], _P - 2, _P)
    x, y = result[0] * z_inv % _P, result[1] * z_inv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _is_ed25519_keypair(raw: bytes) -> bool:
    return len(raw) == 64 and ed25519_public_key(raw[:32]) == raw[32:]


# --- private keys --------------------------------------------------------------------------

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_HEX64 = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?([0-9a-fA-F]{64})(?![0-9A-Za-z])")
_WIF = re.compile(rf"(?<![{B58_CHARS}])(?:5[{B58_CHARS}]{{50}}|[KL][{B58_CHARS}]{{51}})"
                  rf"(?![{B58_CHARS}])")
_XPRV = re.compile(rf"(?<![{B58_CHARS}])[xyztuvYZUV]prv[{B58_CHARS}]{{100,112}}"
                   rf"(?![{B58_CHARS}])")
_B58_64 = re.compile(rf"(?<![{B58_CHARS}])[{B58_CHARS}]{{85,88}}(?![{B58_CHARS}])")
_LONG_TOKEN = re.compile(r"[0-9A-Za-z]{51}|\[\s*\d")
_BYTE_ARRAY = re.compile(r"\[\s*\d{1,3}(?:\s*,\s*\d{1,3}){63}\s*\]")

# Words before a 64-hex value that make it something other than a key. The nearer of a
# "not a key" and an "is a key" word decides.
_NOT_KEY = re.compile(
    r"\b(?:txid|txn|txhash|tx|hash|transaction|transfer|block|blockhash|address|addr|"
    r"contract|ca|deposit|withdrawal|sha-?256|sha|checksum|commit|digest|order|id|"
    r"wallet|sui|aptos|ví|dompet|plånbok|pitaka|"
    r"giao dịch|địa chỉ|transaksi|alamat|transaktion|adress|transaksyon)\b|"
    r"交易|哈希|地址|区块|钱包|錢包|ธุรกรรม|ที่อยู่|แฮช|กระเป๋า",
    re.IGNORECASE,
)
_IS_KEY = re.compile(
    r"\b(?:private|priv|privkey|secret|pk|key|keys|seed|private_key|privatekey|secret_key|"
    r"priv_key|khóa|khoá|kunci|nyckel|"
    r"nyckeln|susi|pribadi|peribadi)\b|私钥|密钥|秘钥|คีย์|กุญแจ",
    re.IGNORECASE,
)
_CONTEXT = 48


def _in_url(text: str, start: int, end: int) -> bool:
    """Whether the span sits inside a whitespace-delimited token that looks like a URL."""
    left = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start), text.rfind("\t", 0, start))
    token_start = left + 1
    token_end = len(text)
    for sep in (" ", "\n", "\t"):
        pos = text.find(sep, end)
        if pos >= 0:
            token_end = min(token_end, pos)
    token = text[token_start:token_end]
    rest = token.replace(text[start:end], " ")
    return "/" in rest or "?" in rest or rest.lower().startswith("www.")


def _hex_is_key(text: str, start: int, end: int, digits: str) -> bool:
    value = int(digits, 16)
    if not 0 < value < _SECP256K1_N or len(set(digits.lower())) < 8:
        return False
    if _in_url(text, start, end):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - _CONTEXT):start]
    not_key = [m.end() for m in _NOT_KEY.finditer(before)]
    is_key = [m.end() for m in _IS_KEY.finditer(before)]
    return not (not_key and (not is_key or not_key[-1] > is_key[-1]))


def _find_keys(text: str) -> list[Secret]:
    found: list[Secret] = []
    # A key is a run of 51 letters and digits (or a byte array): a text whose every
    # whitespace-separated chunk is shorter has none, which is cheaper to tell than the
    # regex's attempt at every letter.
    if not (("[" in text or max(map(len, text.split()), default=0) >= 51)
            and _LONG_TOKEN.search(text)):
        return found
    for m in _HEX64.finditer(text):
        if _hex_is_key(text, m.start(), m.end(), m.group(1)):
            found.append(Secret(HEX_KEY, m.start(), m.end()))
    for m in _WIF.finditer(text):
        payload = base58check_decode(m.group(0))
        if payload and payload[0] == 0x80 and (
            len(payload) == 33 or (len(payload) == 34 and payload[-1] == 0x01)
        ):
            found.append(Secret(WIF, m.start(), m.end()))
    for m in _XPRV.finditer(text):
        payload = base58check_decode(m.group(0))
        verified = payload is not None and len(payload) == 78
        if verified or len(m.group(0)) == 111:
            found.append(Secret(EXTENDED_KEY, m.start(), m.end(), verified=verified))
    candidates: list[tuple[int, int, bytes]] = []
    for m in _B58_64.finditer(text):
        raw = base58_decode(m.group(0))
        if raw is not None and len(raw) == 64:
            candidates.append((m.start(), m.end(), raw))
    for m in _BYTE_ARRAY.finditer(text):
        numbers = json.loads(m.group(0))
        if all(n < 256 for n in numbers):
            candidates.append((m.start(), m.end(), bytes(numbers)))
    for start, end, raw in candidates[:MAX_KEYPAIR_CHECKS]:
        if _is_ed25519_keypair(raw):
            found.append(Secret(SOLANA_KEY, start, end))
    return found


# Chinese BIP39 phrases: single characters from the simplified or traditional list, written
# with spaces, commas or list numbers between them (ordinary Chinese text has none).
_CJK = "\u4e00-\u9fff"
_CJK_GAP = r"(?:[\s,，、;；|/]+(?:\d{1,2}\s*[.)、:：]?\s*)?|\d{1,2}\s*[.)、:：]?\s*)"
# (the look-behind after the first character: see bot/core/scope.py, _SINGLE)
_CJK_RUN = re.compile(
    rf"[{_CJK}](?<![{_CJK}][{_CJK}])(?:{_CJK_GAP}[{_CJK}](?![{_CJK}])){{11,29}}"
)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_CJK_LISTS = (_index("chinese_simplified"), _index("chinese_traditional"))


def _find_cjk_mnemonics(text: str) -> list[Secret]:
    found: list[Secret] = []
    for run in _CJK_RUN.finditer(text):
        chars = list(_CJK_CHAR.finditer(text, run.start(), run.end()))
        words = [c.group(0) for c in chars]
        if len(words) > MAX_RUN:
            continue
        for index in _CJK_LISTS:
            if not all(w in index for w in words):
                continue
            spans = []
            i = 0
            while i + PHRASE_LENGTHS[-1] <= len(words):
                size = next(
                    (n for n in PHRASE_LENGTHS
                     if i + n <= len(words) and checksum_ok(words[i:i + n], index)),
                    0,
                )
                if size:
                    spans.append(Secret(MNEMONIC, chars[i].start(), chars[i + size - 1].end()))
                    i += size
                else:
                    i += 1
            if not spans and len(words) in PHRASE_LENGTHS:
                spans.append(Secret(MNEMONIC, chars[0].start(), chars[-1].end(), False))
            found.extend(spans)
            break
    return found


def find_secrets(text: str, *, thorough: bool = False) -> list[Secret]:
    """Every recovery phrase and private key in `text`, ordered by position, not overlapping.

    `thorough` (for redaction) also returns, as unverified, partial phrases written one word
    per line or numbered (8+ words) and 12+ list words in a row that do not read like prose."""
    found = _find_keys(text) + _find_mnemonics(text, thorough)
    if thorough:
        found.extend(_numbered_lists(text))
    if not text.isascii():
        found.extend(_find_cjk_mnemonics(text))
    found.sort(key=lambda s: (s.start, -s.end))
    merged: list[Secret] = []
    for secret in found:
        if merged and secret.start < merged[-1].end:
            continue
        merged.append(secret)
    return merged


MNEMONIC_REASON = (
    "contains what looks like a wallet recovery phrase; anyone who sees it can empty the wallet"
)
PRIVATE_KEY_REASON = (
    "contains what looks like a wallet private key; anyone who sees it can empty the wallet"
)


def check_secrets(message: Message, context: ChatContext) -> Iterable[Hit]:
    """Hits for a message that itself contains a recovery phrase or a private key."""
    secrets = message.secrets
    if secrets is None:
        secrets = find_secrets(message.text.raw)
    hits: list[Hit] = []
    if any(s.kind == MNEMONIC for s in secrets):
        hits.append(Hit("secret-leak.mnemonic", "secret_leak", Severity.CRITICAL,
                        MNEMONIC_REASON))
    if any(s.is_private_key for s in secrets):
        hits.append(Hit("secret-leak.private-key", "secret_leak", Severity.CRITICAL,
                        PRIVATE_KEY_REASON))
    return hits
