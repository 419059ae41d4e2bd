"""Privacy for storage: message text with secrets and personal numbers masked.

`redact` removes recovery phrases and private keys entirely and masks phone numbers, cards,
bank accounts, one-time codes and e-mail addresses so that the rest stays readable:
`[recovery phrase removed]`, `+84 *** *** 678`, `**** **** **** 1111`, `j***@example.com`.
Crypto addresses, links and handles are evidence, not private data, and stay as they are.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata

from bot.core.indicators import BANK_ACCOUNT, CARD, PHONE, find_emails, find_numbers
from bot.core.secrets import MNEMONIC, find_secrets

PHRASE_REMOVED = "[recovery phrase removed]"
KEY_REMOVED = "[private key removed]"
CODE_REMOVED = "[code removed]"
PASSWORD_REMOVED = "[password removed]"

# A one-time code after a word that names it ("code is 123456", "mã OTP: 123456",
# "验证码 123456") or before one ("123456 is your code").
_CODE_WORDS = (
    r"otp|code|codes|pin|passcode|password|verification|security code|"
    r"mã(?: otp| xác nhận| xác minh| xác thực)?|kode(?: otp| verifikasi)?|kod|koden|"
    r"engångskod|säkerhetskod|bankid|tac|验证码|校验码|动态码|密码|รหัส(?: ?otp)?"
)
_CODE_AFTER = re.compile(
    rf"(?<![A-Za-z])(?:{_CODE_WORDS})(?![A-Za-z])[^\d\n]{{0,20}}?"
    r"(?<![A-Za-z\d])(\d(?:[ -]?\d){3,7})(?![A-Za-z\d])",
    re.IGNORECASE,
)
_CODE_BEFORE = re.compile(
    r"(?<![A-Za-z\d])(\d{4,8})(?![A-Za-z\d])\s*(?:is your|là|adalah|是您的|是你的|är din|คือ)"
    rf"[^\n\d]{{0,24}}?(?<![A-Za-z])(?:{_CODE_WORDS})(?![A-Za-z])",
    re.IGNORECASE,
)
# A password, PIN or ID number after a word that names it, in the eight languages:
# "password: hunter2", "mật khẩu: abc123", "密码是 abc", "PIN 1234", "my CCCD 079203001234".
# After ":", "=", "is", "là", "是" ... any value counts; without one, only a value with a digit
# ("password reset" stays).
_PASSWORD_WORDS = (
    r"passwords?|passwd|pwd|pass ?word|mật khẩu|mat khau|kata sandi|sandi|kata laluan|"
    r"lösenord|losenord|密码|密碼|口令|รหัสผ่าน"
)
_PIN_WORDS = r"pin|pin code|mã pin|pinkod|pin-kod|pinkoden|รหัส ?pin|pin码|pin 码"
_ID_WORDS = (
    r"cccd|cmnd|căn cước|can cuoc|nik|ktp|nric|mykad|ic|ssn|social security(?: number)?|"
    r"id number|id no|số định danh|nomor ktp|nombor ic|personnummer|"
    r"passport|hộ chiếu|paspor|pasaporte|philsys|umid|tin|"
    r"身份证(?:号码?)?|身份證(?:號碼?)?|护照|เลขบัตรประชาชน|บัตรประชาชน|เลขประจำตัวประชาชน"
)
_CONNECTOR = (
    r"(?:[^\S\n]*(?:[:=：]|(?<![A-Za-z])(?:is|là|adalah|ialah|ay|är|kaya)(?![A-Za-z])|"
    r"是|为|為|คือ|(?:của )?(?:tôi|mình|em|anh) là))+[^\S\n]*"
)
_CREDENTIAL = re.compile(
    r"(?<![A-Za-z])(?:(?P<pw>" + _PASSWORD_WORDS + r")|(?P<pin>" + _PIN_WORDS + r")|(?P<id>"
    + _ID_WORDS + r"))(?:[^\S\n]*(?:của tôi|của mình|của em|ku|saya|ko|min|mitt|我的|ของฉัน)"
    r"(?![A-Za-z]))?"
    r"(?:" + _CONNECTOR + r"(?P<after>(?!\[)[^\s,;.!?，。；！？]{3,64})"
    r"|[^\S\n]*(?P<bare>(?!\[)(?=[^\s,;!?]*\d)[^\s,;!?，。；！？]{4,64}))",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_BARE_NUMBER = re.compile(r"\s*\+?\d(?:[ .\-]?\d){6,}\s*")
_WS = re.compile(r"\s+")


def _mask_digits(value: str, keep_last: int, keep_first: int = 0) -> str:
    """Digits replaced by `*` except the first `keep_first` and last `keep_last`."""
    positions = [m.start() for m in _DIGIT.finditer(value)]
    hidden = set(positions[keep_first:len(positions) - keep_last])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def _mask_phone(raw: str) -> str:
    if raw.startswith("+"):
        first_group = re.match(r"\+ ?\d{1,3}(?=[ \u00a0.\-(])", raw)
        keep_first = len(_DIGIT.findall(first_group.group(0))) if first_group else 2
        return _mask_digits(raw, 3, keep_first)
    if raw.startswith("00"):
        return _mask_digits(raw, 3, 4)
    return _mask_digits(raw, 3)


def _mask_email(raw: str) -> str:
    local, _, domain = raw.partition("@")
    return f"{local[:1]}***@{domain}"


def _mask_number(kind: str, raw: str) -> str:
    if kind == PHONE:
        return _mask_phone(raw)
    if kind == CARD:
        return _mask_digits(raw, 4)
    if kind == BANK_ACCOUNT and raw[:2].isalpha():
        return raw[:2] + _mask_digits(raw[2:], 3)
    return _mask_digits(raw, 3)


def redact(text: str) -> str:
    """The text with secrets removed and personal numbers, codes and e-mails masked."""
    spans: list[tuple[int, int, str]] = []
    for secret in find_secrets(text, thorough=True):
        label = PHRASE_REMOVED if secret.kind == MNEMONIC else KEY_REMOVED
        spans.append((secret.start, secret.end, label))
    for found in find_numbers(text):
        raw = text[found.start:found.end]
        spans.append((found.start, found.end, _mask_number(found.kind, raw)))
    for found in find_emails(text):
        spans.append((found.start, found.end, _mask_email(text[found.start:found.end])))
    for m in _CREDENTIAL.finditer(text):
        group = "after" if m.group("after") is not None else "bare"
        value = m.group(group)
        if m.group("id") is not None:
            if _DIGIT.search(value):
                spans.append((m.start(group), m.end(group), _mask_digits(value.rstrip("."), 3)
                              + value[len(value.rstrip(".")):]))
        else:
            label = PASSWORD_REMOVED if m.group("pw") is not None else CODE_REMOVED
            spans.append((m.start(group), m.end(group), label))
    for pattern in (_CODE_AFTER, _CODE_BEFORE):
        for m in pattern.finditer(text):
            spans.append((m.start(1), m.end(1), CODE_REMOVED))
    if not spans:
        if _BARE_NUMBER.fullmatch(text) and not set(_DIGIT.findall(text)) <= {"0", "1"}:
            # A number on its own (an account taken out of its message) has no context to
            # tell what it is; masked like an account.
            return _mask_digits(text, 3)
        return text
    # Earlier sources win where spans overlap: secrets, numbers, e-mails, codes.
    kept: list[tuple[int, int, str]] = []
    for span in spans:
        i = bisect.bisect_left(kept, span)
        if (i and kept[i - 1][1] > span[0]) or (i < len(kept) and kept[i][0] < span[1]):
            continue
        kept.insert(i, span)
    out: list[str] = []
    pos = 0
    for start, end, replacement in kept:
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def text_hash(text: str) -> str:
    """SHA-256 hex digest of the NFC form of `text` (the same message typed the same way
    hashes the same)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def excerpt(text: str, limit: int = 280) -> str:
    """Redacted text on one line, cut to at most `limit` characters with an ellipsis."""
    flat = _WS.sub(" ", redact(text)).strip()
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"
