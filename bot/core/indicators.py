"""Evidence indicators of a message: what a police report or an incident record lists.

Links, domains and Telegram handles come from `bot.core.links.extract_links`; this module adds
crypto addresses with their chain, phone numbers, payment cards, bank accounts and e-mail
addresses, each found with its span in the raw text (`find_numbers`, `find_emails`) so that
`bot.core.redact` can mask the same things.

Crypto address decisions: base58 strings are tried as BTC (version 0/5), TRON (0x41),
Litecoin and Dogecoin with their base58check checksum first; a base58 string that decodes to
exactly 32 bytes and mixes digits, upper and lower case is a Solana address (random words and
BTC addresses never decode that way). bech32 (BTC, LTC) and TON user-friendly addresses are
checksum-verified too; EVM addresses (0x + 40 hex) have no checksum to rely on and are taken
by shape.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import phonenumbers

from bot.core.links import extract_links
from bot.core.links.extract import TELEGRAM_LINK_HOSTS
from bot.core.model import CheckRequest, ForwardOrigin, Person
from bot.core.secrets import B58_CHARS, base58_decode, base58check_decode

PHONE = "phone"
CARD = "card"
BANK_ACCOUNT = "bank_account"
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Found:
    """One indicator in a text: its kind, span in the raw text and normalised value."""

    kind: str
    start: int
    end: int
    value: str


@dataclass(frozen=True, slots=True)
class CryptoAddress:
    """A cryptocurrency address and the chain its format belongs to."""

    chain: str
    address: str

    def to_dict(self) -> dict[str, str]:
        return {"chain": self.chain, "address": self.address}


@dataclass(frozen=True, slots=True)
class Indicators:
    """Everything a message points to, deduplicated, in order of first appearance."""

    urls: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    addresses: tuple[CryptoAddress, ...] = ()
    phones: tuple[str, ...] = ()
    cards: tuple[str, ...] = ()
    bank_accounts: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    telegram_links: tuple[str, ...] = ()
    sender: Person | None = None
    forward_from: ForwardOrigin | None = None

    @property
    def is_empty(self) -> bool:
        """No indicator found in the message itself (sender and origin not counted)."""
        return not (
            self.urls or self.domains or self.addresses or self.phones or self.cards
            or self.bank_accounts or self.emails or self.handles or self.telegram_links
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form; every key present, lists possibly empty, sender/origin null if unknown."""
        return {
            "urls": list(self.urls),
            "domains": list(self.domains),
            "addresses": [a.to_dict() for a in self.addresses],
            "phones": list(self.phones),
            "cards": list(self.cards),
            "bank_accounts": list(self.bank_accounts),
            "emails": list(self.emails),
            "handles": list(self.handles),
            "telegram_links": list(self.telegram_links),
            "sender": self.sender.to_dict() if self.sender else None,
            "forward_from": self.forward_from.to_dict() if self.forward_from else None,
        }


def _unique(items: list[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


# --- crypto addresses ------------------------------------------------------------------------

_BASE58 = re.compile(rf"(?<![0-9A-Za-z])[{B58_CHARS}]{{25,44}}(?![0-9A-Za-z])")
_EVM = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")
_BECH32 = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:bc|ltc)1[02-9ac-hj-np-z]{11,71}|(?:BC|LTC)1[02-9AC-HJ-NP-Z]{11,71})"
    r"(?![0-9A-Za-z])"
)
_BECH32_CHAINS = {"bc": "BTC", "ltc": "LTC"}
# Other base58check version bytes of 21-byte payloads: Litecoin (L, M), Dogecoin (D, A, 9).
_BASE58_VERSIONS = {0x30: "LTC", 0x32: "LTC", 0x1E: "DOGE", 0x16: "DOGE"}
_TON_FRIENDLY = re.compile(r"(?<![\w+/-])[EUk0]Q[A-Za-z0-9_\-+/]{46}(?![\w+/=-])")
_TON_RAW = re.compile(r"(?<![\w:-])(?:0|-1):[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_HAS_DIGIT = re.compile(r"\d")
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONSTANTS = (1, 0x2BC830A3)  # bech32 (witness v0), bech32m (v1 and later)


def _bech32_valid(address: str) -> bool:
    low = address.lower()
    hrp, _, data = low.rpartition("1")
    values = [_BECH32_CHARSET.index(c) for c in data]
    checksum = 1
    for value in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            if (top >> i) & 1:
                checksum ^= gen
    return checksum in _BECH32_CONSTANTS


def _ton_valid(address: str) -> bool:
    try:
        raw = base64.urlsafe_b64decode(address.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        return False
    return len(raw) == 36 and binascii.crc_hqx(raw[:34], 0) == int.from_bytes(raw[34:], "big")


def _base58_chain(candidate: str) -> str | None:
    payload = base58check_decode(candidate)
    if payload is not None and len(payload) == 21:
        if payload[0] in (0x00, 0x05) and candidate[0] in "13":
            return "BTC"
        if payload[0] == 0x41 and candidate[0] == "T":
            return "TRON"
        chain = _BASE58_VERSIONS.get(payload[0])
        if chain:
            return chain
    if 32 <= len(candidate) <= 44 and _HAS_DIGIT.search(candidate) and not candidate.isdigit():
        has_upper = any(c.isupper() for c in candidate)
        has_lower = any(c.islower() for c in candidate)
        raw = base58_decode(candidate)
        if has_upper and has_lower and raw is not None and len(raw) == 32:
            return "SOL"
    return None


def find_addresses(text: str) -> list[tuple[int, CryptoAddress]]:
    """Crypto addresses in `text` with their position, in order of position."""
    found: list[tuple[int, CryptoAddress]] = []
    for m in _EVM.finditer(text):
        found.append((m.start(), CryptoAddress("EVM", m.group(0))))
    for m in _BECH32.finditer(text):
        if _bech32_valid(m.group(0)):
            address = m.group(0).lower()
            chain = _BECH32_CHAINS[address.partition("1")[0]]
            found.append((m.start(), CryptoAddress(chain, address)))
    for m in _TON_FRIENDLY.finditer(text):
        if _ton_valid(m.group(0)):
            found.append((m.start(), CryptoAddress("TON", m.group(0))))
    for m in _TON_RAW.finditer(text):
        found.append((m.start(), CryptoAddress("TON", m.group(0).lower())))
    for m in _BASE58.finditer(text):
        base58_chain = _base58_chain(m.group(0))
        if base58_chain:
            found.append((m.start(), CryptoAddress(base58_chain, m.group(0))))
    found.sort(key=lambda item: item[0])
    return found


# A crypto address is a run of 25 or more letters and digits: the test before decoding one.
_ADDRESS_RUN = re.compile(r"[0-9A-Za-z]{25,}")


def has_address(text: str) -> bool:
    """The text holds a crypto address whose format (and checksum, where it has one) holds:
    the phrase rules' `@crypto_address`."""
    return _ADDRESS_RUN.search(text) is not None and bool(find_addresses(text))


# --- coin amounts ------------------------------------------------------------------------------

# An amount of a coin ("0.5 BNB", "50 usdt"): `doubled_amounts` (the phrase rules'
# `@doubled`) finds an amount and exactly twice that amount of the same coin ("sent 0.5 BNB
# ... got 1 BNB back").
# (The digit is written first and the look-behind checks the character before it: an
# expression that starts with a character class lets the engine skip to the candidates.)
_COINS = ("btc", "eth", "bnb", "usdt", "usdc", "sol", "trx", "doge", "xrp", "ton", "ada", "shib",
          "ltc", "matic", "pepe", "arb", "op", "sui", "apt", "avax", "dot")
# A Chinese measure word may stand between the amount and the coin ("0.5个ETH"), and the coin
# may touch the letters of a script without spaces ("1个ETH到账"), so its end is told by the
# next Latin letter or digit, not by a word boundary.
_COIN_AMOUNT = re.compile(
    r"(\d(?<![\d.,]\d)\d{0,8}(?:[.,]\d{1,8})?)\s?(?:[个個枚颗顆]\s?)?("
    + "|".join(_COINS) + r")(?![a-z\d])")
_COIN_WORDS = ("bitcoin", "ethereum", "tether", "solana", "dogecoin")
_COIN_HAN = ("比特币", "以太坊", "泰达币", "v神")
_COIN_NAME = re.compile(r"\b(?:" + "|".join(_COINS + _COIN_WORDS) + r")\b|" + "|".join(_COIN_HAN))
_DECIMAL = re.compile(r"\d(?<![\d.,]\d)\d{0,8}[.,]\d{1,8}(?![\d.,])")
# every string _COIN_NAME can match, for a test by substring before the expressions run
_COINS_AND_NAMES = _COINS + _COIN_WORDS + _COIN_HAN


# "1,000" groups thousands; "0,5" is a decimal comma
_THOUSANDS = re.compile(r"\d{1,3},\d{3}")


def _amount(number: str) -> float:
    if _THOUSANDS.fullmatch(number):
        return float(number.replace(",", ""))
    return float(number.replace(",", "."))


def doubled_amounts(folded: str) -> bool:
    """The text names an amount of a coin and exactly twice that amount, of the same coin or
    as a bare decimal ("sent 0.1 ETH ... got 0.2 back"; a bare whole number is too often a
    time or a count: "5 USDT ... in 10 min")."""
    if _HAS_DIGIT.search(folded) is None or not any(coin in folded for coin in _COINS_AND_NAMES):
        return False
    amounts: dict[str, set[float]] = {}
    for m in _COIN_AMOUNT.finditer(folded):
        value = _amount(m.group(1))
        if value > 0:
            amounts.setdefault(m.group(2), set()).add(value)
    bare = {_amount(m.group(0)) for m in _DECIMAL.finditer(folded)}
    if not amounts:
        # two bare decimals, one twice the other, where a coin is named ("V神回馈 ETH ...
        # 转了0.2拿回0.4")
        return bool(_COIN_NAME.search(folded)) and any(
            v > 0 and any(abs(v * 2 - w) < 1e-9 for w in bare) for v in bare)
    return any(any(abs(v * 2 - w) < 1e-9 for w in values | bare)
               for values in amounts.values() for v in values)


# --- sums of money in a sentence ---------------------------------------------------------------

# A sum as chat writes it: thousands grouped by a comma, a dot or a space ("1,000", "100.000",
# "9 500"), or a decimal ("1,5", "2.5"), with the short words for thousands and millions of
# the region ("250rb", "1,5jt", "50tr", "5k", "3万"). A count of things ("12pcs"), a share
# ("15%") or a multiple ("5x") is no sum.
_SUM = re.compile(
    r"(\d{1,3}(?:[ .,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)\s?"
    r"(k|rb|ribu|jt|juta|tr|trieu|m|mil|million|万|千|w)?(?![a-z%\d])")
# Thousands grouped by a comma, a dot or a space. (`_amount` reads coin amounts, where
# "1.000" is a decimal; a sum of money in chat groups its thousands either way.)
_GROUPED = re.compile(r"\d{1,3}(?:[ .,]\d{3})+")
_GROUP_SEPARATORS = re.compile(r"[ .,]")
_SUM_SCALE = {"k": 1e3, "rb": 1e3, "ribu": 1e3, "千": 1e3, "jt": 1e6, "juta": 1e6, "tr": 1e6,
              "trieu": 1e6, "m": 1e6, "mil": 1e6, "million": 1e6, "万": 1e4, "w": 1e4}
# Digits, separators and the scale words that may run on past the end of a phrase's match
_SUM_TAIL = re.compile(r"[\d.,]*\s?(?:k|rb|ribu|jt|juta|tr|trieu|m|mil|million|万|千|w)?(?![a-z])")


def sums(text: str) -> list[float]:
    """The sums of money `text` names, in order ("250rb jadi 149rb": 250,000 and 149,000)."""
    out = []
    for m in _SUM.finditer(text):
        number, scale = m.group(1), m.group(2) or ""
        if _GROUPED.fullmatch(number):
            value = float(_GROUP_SEPARATORS.sub("", number))
        else:
            value = float(number.replace(",", "."))
        out.append(value * _SUM_SCALE.get(scale, 1.0))
    return out


def falling_sums(text: str, start: int, end: int) -> bool:
    """The match text[start:end] (run on to the end of the sum it stops inside) names two
    sums or more and the last is below the first: a price cut ("250rb jadi 149rb"), not a
    stake that grows."""
    tail = _SUM_TAIL.match(text, end)
    found = sums(text[start:tail.end() if tail else end])
    return len(found) >= 2 and found[-1] < found[0]


# --- numbers: cards, bank accounts, phones -----------------------------------------------------

# Digit runs with short separators; `+` or `00` may start an international number. Letters
# of scripts without spaces (Chinese, Thai) may touch the number; Latin letters and digits not.
_NUMBER = re.compile(
    r"(?<![A-Za-z\d+])(?:\+ ?)?\(?\d(?:[ \u00a0().\-]{0,2}\d){5,22}(?![A-Za-z\d])"
)
_DIGITS = re.compile(r"\d")
_CARD_PREFIX = re.compile(r"4|5[1-5]|2[2-7]|3[47]|35|6011|64[4-9]|65|62")
_LOCAL_PHONE = re.compile(
    r"0(?:[35789]\d{8}|8[1-9]\d{7,10}|[689]\d{8}|1\d{8,9}|9\d{9}|7\d{8,9})"  # vi id th ms ph sv uk
    r"|1[3-9]\d{9}"  # mainland China mobile
)
_US_PHONE = re.compile(r"\(?[2-9]\d\d\)?[ .\-]\d{3}[ .\-]\d{4}")
_BANK_CONTEXT = re.compile(
    r"(?:\b(?:account|acct|a/c|acc|bank|iban|stk|tk|số tài khoản|tài khoản|rekening|"
    r"no\.? ?rek|norek|akaun|no\.? akaun|kontonummer|konto|clearingnummer|bankgiro|"
    r"plusgiro|routing|bsb)\b|บัญชี|账号|账户|帐号|卡号|银行卡|收款)[^\n\d]{0,24}$",
    re.IGNORECASE,
)
_PHONE_CONTEXT = re.compile(
    r"(?:\b(?:tel|phone|mobile|call|whatsapp|wa|zalo|viber|line|sms|text|hotline|hp|sđt|sdt|"
    r"đt|điện thoại|gọi|nomor|telepon|hubungi|nombor|telefon|ring|mobil)\b|"
    r"电话|手机|致电|热线|โทร|เบอร์)[^\n\d]{0,16}$",
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_valid(value: str) -> bool:
    compact = value.replace(" ", "")
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ascii_digits(raw: str) -> str:
    """The digits of `raw` as ASCII (fullwidth and Thai digits included)."""
    if raw.isascii():
        return "".join(_DIGITS.findall(raw))
    return "".join(str(unicodedata.digit(d)) for d in _DIGITS.findall(raw))


def _classify_number(text: str, start: int, raw: str) -> str | None:
    digits = _ascii_digits(raw)
    international = raw.startswith("+") or (digits.startswith("00") and digits[2:3] != "0")
    if (
        13 <= len(digits) <= 19 and not international
        and _CARD_PREFIX.match(digits) and _luhn(digits)
    ):
        return CARD
    line_start = text.rfind("\n", 0, start) + 1
    if 6 <= len(digits) <= 20 and _BANK_CONTEXT.search(text, max(line_start, start - 48), start):
        return BANK_ACCOUNT
    if set(digits) <= {"0", "1"}:
        return None  # binary, not a number anyone dials
    if international and 8 <= len(digits) - (2 if raw.startswith("00") else 0) <= 15:
        return PHONE
    if _LOCAL_PHONE.fullmatch(digits) or _US_PHONE.fullmatch(raw):
        return PHONE
    # Any other 7 to 13 digits right after a word for phone or a messenger (landlines,
    # Singapore and Hong Kong 8-digit numbers).
    if 7 <= len(digits) <= 13 and _PHONE_CONTEXT.search(text, max(line_start, start - 40), start):
        return PHONE
    return None


def _normalise_number(kind: str, raw: str) -> str:
    digits = _ascii_digits(raw)
    if kind == PHONE and raw.startswith("+"):
        return "+" + digits
    if kind == PHONE and digits.startswith("00"):
        return "+" + digits[2:]
    return digits


def find_numbers(text: str) -> list[Found]:
    """Payment cards (Luhn-valid), bank accounts (IBAN, or digits after an account word) and
    phone numbers (international, a local format of the supported regions, or any number
    right after a word for phone)."""
    found: list[Found] = []
    for m in _NUMBER.finditer(text):
        raw = m.group(0).rstrip(" \u00a0.-(")
        if raw.count("(") != raw.count(")") and raw.startswith("("):
            raw = raw[1:]
            start = m.start() + 1
        else:
            start = m.start()
        if raw.endswith(")") and raw.count("(") < raw.count(")"):
            raw = raw[:-1]
        kind = _classify_number(text, start, raw)
        if kind:
            found.append(Found(kind, start, start + len(raw), _normalise_number(kind, raw)))
    for m in _IBAN.finditer(text):
        if _iban_valid(m.group(0)) and not any(f.start < m.end() and m.start() < f.end
                                               for f in found):
            found.append(Found(BANK_ACCOUNT, m.start(), m.end(), m.group(0).replace(" ", "")))
    found.sort(key=lambda f: f.start)
    return found


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def find_emails(text: str) -> list[Found]:
    """E-mail addresses, lower-cased."""
    return [Found(EMAIL, m.start(), m.end(), m.group(0).lower()) for m in _EMAIL.finditer(text)]


# --- everything --------------------------------------------------------------------------------


def phone_e164(number: str, region: str | None = None) -> str:
    """A phone number found in a text in E.164 (+84912345678): international numbers as
    written, local ones read in `region` (a two-letter country code, the chat's or the
    user's). Without a region, or when the number is not possible there, the digits as
    found."""
    region = region.upper() if region and len(region) == 2 and region.isalpha() else None
    if not number.startswith("+") and region is None:
        return number
    try:
        parsed = phonenumbers.parse(number, None if number.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def extract_indicators(request: CheckRequest, region: str | None = None) -> Indicators:
    """Indicators of one message: its text, hidden links and anchors, sender and origin;
    phone numbers in E.164, local ones read in `region` (the chat's or the user's)."""
    text = request.text
    urls: list[str] = []
    domains: list[str] = []
    handles: list[str] = []
    telegram_links: list[str] = []
    for link in extract_links(text, request.urls, request.anchors):
        if link.handle:
            handles.append("@" + link.handle.lower())
        if link.host in TELEGRAM_LINK_HOSTS:
            telegram_links.append(link.url)
        if link.host and link.source != "email":
            urls.append(link.url)
            if link.host not in TELEGRAM_LINK_HOSTS:
                domains.append(link.host)
    numbers = find_numbers(text)
    return Indicators(
        urls=_unique(urls),
        domains=_unique(domains),
        addresses=_unique([address for _, address in find_addresses(text)]),
        phones=_unique([phone_e164(f.value, region) for f in numbers if f.kind == PHONE]),
        cards=_unique([f.value for f in numbers if f.kind == CARD]),
        bank_accounts=_unique([f.value for f in numbers if f.kind == BANK_ACCOUNT]),
        emails=_unique([f.value for f in find_emails(text)]),
        handles=_unique(handles),
        telegram_links=_unique(telegram_links),
        sender=request.sender,
        forward_from=request.forward_from,
    )
