"""Redaction for storage: secrets removed, personal numbers and codes masked."""

import hashlib
import re
import unicodedata

import pytest
from mnemonic import Mnemonic

from bot.core.redact import (
    CODE_REMOVED,
    KEY_REMOVED,
    PASSWORD_REMOVED,
    PHRASE_REMOVED,
    excerpt,
    redact,
    text_hash,
)

BIP39 = Mnemonic("english")
PHRASE = BIP39.to_mnemonic(bytes(range(40, 56)))
KEY_HEX = hashlib.sha256(b"redaction test key").hexdigest()
NUMBERED = "\n".join(f"{i}. {w}" for i, w in enumerate(PHRASE.split(), 1))

CASES = [
    ("phrase", f"my seed is {PHRASE} help", f"my seed is {PHRASE_REMOVED} help"),
    ("numbered-phrase", f"Seed:\n{NUMBERED}\nthanks", None),
    ("private-key", f"private key: 0x{KEY_HEX}", f"private key: {KEY_REMOVED}"),
    ("phone-intl", "call +84 912 345 678 now", "call +84 *** *** 678 now"),
    ("phone-intl-compact", "WA +6281234567890", "WA +62********890"),
    ("phone-local", "Zalo 0912.345.678", "Zalo ****.***.678"),
    ("phone-cn", "电话13800138000", "电话********000"),
    ("card", "card 4111 1111 1111 1111 exp 12/27", "card **** **** **** 1111 exp 12/27"),
    ("bank-account", "STK: 0071001234567 VCB", "STK: **********567 VCB"),
    ("iban", "IBAN GB82WEST12345698765432", "IBAN GB**WEST***********432"),
    ("otp-en", "Your code is 123456.", f"Your code is {CODE_REMOVED}."),
    ("otp-en-before", "482913 is your verification code",
     f"{CODE_REMOVED} is your verification code"),
    ("otp-vi", "Mã OTP của bạn là 482913", f"Mã OTP của bạn là {CODE_REMOVED}"),
    ("otp-id", "Kode OTP: 7731 jangan dibagikan", f"Kode OTP: {CODE_REMOVED} jangan dibagikan"),
    ("otp-zh", "您的验证码是654321", f"您的验证码是{CODE_REMOVED}"),
    ("otp-th", "รหัส OTP คือ 998877", f"รหัส OTP คือ {CODE_REMOVED}"),
    ("otp-sv", "Din säkerhetskod: 5521", f"Din säkerhetskod: {CODE_REMOVED}"),
    ("otp-spaced", "code 123 456", f"code {CODE_REMOVED}"),
    ("otp-zh-before", "654321是您的验证码", f"{CODE_REMOVED}是您的验证码"),
    ("otp-pin", "Masukkan PIN: 1111 jika diminta", f"Masukkan PIN: {CODE_REMOVED} jika diminta"),
    ("email", "write to John.Doe@example.com", "write to J***@example.com"),
    ("bare-number", "1234567890", "*******890"),
    ("password-en", "password: hunter2hunter2", f"password: {PASSWORD_REMOVED}"),
    ("password-en-is", "my password is hunter2hunter2, ok",
     f"my password is {PASSWORD_REMOVED}, ok"),
    ("password-vi", "mật khẩu: matkhau123", f"mật khẩu: {PASSWORD_REMOVED}"),
    ("password-vi-owner", "mật khẩu của tôi là abcxyz", f"mật khẩu của tôi là {PASSWORD_REMOVED}"),
    ("password-zh", "密码是 abcdef", f"密码是 {PASSWORD_REMOVED}"),
    ("password-zh-nospace", "我的密码是abcdef。", f"我的密码是{PASSWORD_REMOVED}。"),
    ("password-id", "kata sandi: rahasia99", f"kata sandi: {PASSWORD_REMOVED}"),
    ("password-sv", "lösenord: sommar2024", f"lösenord: {PASSWORD_REMOVED}"),
    ("password-th", "รหัสผ่าน คือ abc12345", f"รหัสผ่าน คือ {PASSWORD_REMOVED}"),
    ("password-tl", "ang password ko ay tagalog123", f"ang password ko ay {PASSWORD_REMOVED}"),
    ("pin-bare", "PIN 1234", f"PIN {CODE_REMOVED}"),
    ("pin-sv", "PIN-kod 4321", f"PIN-kod {CODE_REMOVED}"),
    ("id-cccd", "my CCCD 079203001234", "my CCCD *********234"),
    ("id-nik", "NIK saya 3174012345678901", "NIK saya *************901"),
    ("id-ms", "Nombor IC saya: 900101145678", "Nombor IC saya: *********678"),
    ("id-zh", "身份证号 110101199003071234", "身份证号 ***************234"),
    ("id-sv", "personnummer 19900101-1234", "personnummer ********-*234"),
    ("id-passport", "passport B1234567.", "passport B****567."),
    ("bare-account-with-dashes", "123-4-56789-0", "***-*-***89-0"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_masks_each_kind(text, expected):
    """Every kind of secret or personal number is masked in place."""
    if expected is None:
        expected = f"Seed:\n{PHRASE_REMOVED}\nthanks"
    assert redact(text) == expected


SECRET_TEXTS = [
    ("phrase", PHRASE, PHRASE.split()),
    ("key", f"pk {KEY_HEX}", [KEY_HEX[:16], KEY_HEX[-16:]]),
    ("phone", "+84 912 345 678", ["912", "345", "912345"]),
    ("card", "4111 1111 1111 1111", ["4111 1111 1111", "411111111111"]),
    ("account", "số tài khoản 19036543210011", ["1903654321"]),
    ("otp", "verification code: 839201", ["839201", "839"]),
    ("email", "send to alice.secret@mail.example", ["alice.secret"]),
    ("partial-phrase", "\n".join(f"{i}) {w}" for i, w in enumerate(PHRASE.split()[:10], 1)),
     PHRASE.split()[:10]),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in SECRET_TEXTS],
                         ids=[c[0] for c in SECRET_TEXTS])
def test_nothing_secret_survives(text, fragments):
    """No fragment of a masked secret is left in the redacted text."""
    out = redact(text)
    for fragment in fragments:
        assert fragment not in out


def test_everything_in_one_message():
    """A message with every kind keeps its ordinary words and loses every secret."""
    text = (
        f"Hi, my phrase: {PHRASE}. Key {KEY_HEX}. Call +84 912 345 678, "
        "card 4111 1111 1111 1111, STK 0071001234567, OTP 112233, mail bob@example.org. Thanks!"
    )
    out = redact(text)
    assert out.startswith("Hi, my phrase: ") and out.endswith("Thanks!")
    assert PHRASE_REMOVED in out and KEY_REMOVED in out and CODE_REMOVED in out
    assert not re.search(r"\d{4}", out.replace("1111", "").replace("2345", ""))
    for word in PHRASE.split():
        assert not re.search(rf"\b{word}\b", out)


UNCHANGED = [
    ("plain", "Good morning everyone, see you at the meetup!"),
    ("advice", "Never share your 12 words or your seed phrase. Admins never DM first."),
    ("amounts-dates", "Price 1.000.000 VND on 2024-05-01 at 10:30, up 12% in 24h"),
    ("addresses", "Official deposit 0x52908400098527886E0F7030069857D2E4169EE7 only"),
    ("links-handles", "See https://example.com/faq and ask @support_team"),
    ("vietnamese", "Ví của bạn an toàn, đừng gửi cụm từ khôi phục cho ai."),
    ("chinese", "请不要把助记词发给任何人。"),
    ("tx-hash", f"txid {KEY_HEX}"),
    ("year-sentence", "2026 is the year we take back control"),
    ("word-starting-with-code-word", "Kodim 0318/Natuna, Pinang 1234"),
    ("binary", "01001001 00100000 01100001 01101101"),
    ("empty", ""),
    ("short-bare-number", "123456"),
    ("year", "2024"),
    ("password-advice", "Never share your password with anyone"),
    ("password-reset", "Use the password reset link on the official site"),
    ("pin-no-value", "I lost my pin yesterday"),
    ("id-no-digits", "ID number is fine, passport photo too"),
]


@pytest.mark.parametrize("text", [c[1] for c in UNCHANGED], ids=[c[0] for c in UNCHANGED])
def test_ordinary_text_unchanged(text):
    """Text without secrets or personal numbers comes back unchanged."""
    assert redact(text) == text


def test_text_hash_is_sha256_of_nfc():
    """text_hash is the SHA-256 of the NFC form, so composed and decomposed text agree."""
    composed = "khôi phục"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    assert text_hash(composed) == text_hash(decomposed)
    assert text_hash(composed) == hashlib.sha256(composed.encode()).hexdigest()
    assert text_hash("a") != text_hash("b")


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short  text\nhere", 280, "short text here"),
        ("abcdefghij", 5, "abcd…"),
        ("call +84 912 345 678 now", 280, "call +84 *** *** 678 now"),
        (f"{PHRASE} and more words", 30, f"{PHRASE_REMOVED} and…"),
    ],
    ids=["flattens", "truncates", "redacts", "redacts-before-cut"],
)
def test_excerpt(text, limit, expected):
    """excerpt redacts first, flattens whitespace and cuts to the limit with an ellipsis."""
    out = excerpt(text, limit)
    assert out == expected
    assert len(out) <= limit


def test_large_input():
    """A 100 KB text with many numbers is redacted completely."""
    text = "call +84 912 345 678 or mail a.b@example.com; " * 2000
    out = redact(text)
    assert "912 345" not in out and "a.b@" not in out
    assert out.count("+84 *** *** 678") == 2000


def _random_texts(seed: int, count: int) -> list[str]:
    """Deterministic random strings full of digits, separators and code words."""
    import random

    rng = random.Random(seed)
    pool = "0123456789 +-.()abc code OTP STK: @x.com\n"
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 80))) for _ in range(count)]


@pytest.mark.parametrize("text", _random_texts(20261124, 300), ids=lambda t: f"len{len(t)}")
def test_redact_is_idempotent(text):
    """Redacting redacted text changes nothing: masks are never mistaken for new secrets."""
    once = redact(text)
    assert redact(once) == once
