"""Evidence indicators: links, addresses, phones, cards, accounts, handles, origin."""

import base64
import binascii
import hashlib

import pytest

from bot.core.indicators import (
    BANK_ACCOUNT,
    CARD,
    PHONE,
    CryptoAddress,
    Indicators,
    extract_indicators,
    falling_sums,
    find_addresses,
    find_emails,
    find_numbers,
    sums,
)
from bot.core.model import Anchor, CheckRequest, ForwardOrigin, Person
from bot.core.secrets import B58_ALPHABET


def _b58(data: bytes) -> str:
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = B58_ALPHABET[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _b58check(payload: bytes) -> str:
    return _b58(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


def _corrupt(value: str) -> str:
    """The same string with one character in the middle changed."""
    mid = len(value) // 2
    return value[:mid] + ("2" if value[mid] != "2" else "3") + value[mid + 1:]


def _bech32(hrp: str, program: bytes) -> str:
    """A witness version 0 bech32 address (BIP 173) for `program`."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    acc, bits, data = 0, 0, [0]
    for byte in program:
        acc, bits = acc << 8 | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append(acc >> bits & 31)
    if bits:
        data.append(acc << (5 - bits) & 31)

    def polymod(values: list[int]) -> int:
        chk = 1
        for value in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ value
            for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
                chk ^= gen if top >> i & 1 else 0
        return chk

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [mod >> 5 * (5 - i) & 31 for i in range(6)]
    return hrp + "1" + "".join(charset[d] for d in data + checksum)


HASH160 = hashlib.new("sha256", b"hash160 stand-in").digest()[:20]
BTC_P2PKH = _b58check(b"\x00" + HASH160)
BTC_P2SH = _b58check(b"\x05" + HASH160)
TRON = _b58check(b"\x41" + HASH160)
LTC = _b58check(b"\x30" + HASH160)
DOGE = _b58check(b"\x1e" + HASH160)
LTC_BECH32 = _bech32("ltc", HASH160)
BTC_BECH32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
EVM = "0x52908400098527886E0F7030069857D2E4169EE7"
SOL = _b58(hashlib.sha256(b"solana address").digest())
_TON_BODY = b"\x11\x00" + hashlib.sha256(b"ton account").digest()
TON = base64.urlsafe_b64encode(
    _TON_BODY + binascii.crc_hqx(_TON_BODY, 0).to_bytes(2, "big")
).decode()
TON_RAW = "0:" + hashlib.sha256(b"ton raw").hexdigest()

ADDRESSES = [
    ("btc-p2pkh", f"send to {BTC_P2PKH} now", [("BTC", BTC_P2PKH)]),
    ("btc-p2sh", f"{BTC_P2SH}", [("BTC", BTC_P2SH)]),
    ("btc-bech32", f"deposit: {BTC_BECH32}.", [("BTC", BTC_BECH32)]),
    ("btc-bech32-upper", BTC_BECH32.upper(), [("BTC", BTC_BECH32)]),
    ("evm", f"USDT (BEP20) {EVM}", [("EVM", EVM)]),
    ("tron", f"TRC20: {TRON}", [("TRON", TRON)]),
    ("ton-friendly", f"TON {TON}", [("TON", TON)]),
    ("ton-raw", f"raw {TON_RAW}", [("TON", TON_RAW)]),
    ("sol", f"SOL {SOL}", [("SOL", SOL)]),
    ("ltc", f"LTC {LTC}", [("LTC", LTC)]),
    ("doge", f"DOGE {DOGE}", [("DOGE", DOGE)]),
    ("ltc-bech32", f"LTC {LTC_BECH32}", [("LTC", LTC_BECH32)]),
    ("btc-bech32-built", _bech32("bc", HASH160), [("BTC", _bech32("bc", HASH160))]),
    ("in-explorer-url", f"https://tronscan.org/#/address/{TRON}", [("TRON", TRON)]),
    ("several-in-order", f"{EVM} then {TRON} then {BTC_P2PKH}",
     [("EVM", EVM), ("TRON", TRON), ("BTC", BTC_P2PKH)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in ADDRESSES],
                         ids=[c[0] for c in ADDRESSES])
def test_finds_addresses(text, expected):
    """Each chain's address format is found and named."""
    assert [(a.chain, a.address) for _, a in find_addresses(text)] == expected


NOT_ADDRESSES = [
    ("btc-bad-checksum", _corrupt(BTC_P2PKH)),
    ("tron-bad-checksum", _corrupt(TRON)),
    ("bech32-bad-checksum", BTC_BECH32[:-1] + ("q" if BTC_BECH32[-1] != "q" else "p")),
    ("ton-bad-crc", TON[:-2] + ("AA" if TON[-2:] != "AA" else "BB")),
    ("evm-too-short", EVM[:-1]),
    ("evm-too-long", EVM + "a"),
    ("tx-hash", "0x" + hashlib.sha256(b"tx").hexdigest()),
    ("long-english-word", "Incomprehensibilities and uncharacteristically"),
    ("all-letters-base58", "ThisIsJustAVeryLongCamelCaseIdentifierName"),
    ("all-digits", "1234567891234567891234567891234567"),
    ("sol-too-short", SOL[:20]),
    ("ordinary-text", "Send your payment to the admin, not to strangers."),
]


@pytest.mark.parametrize("text", [c[1] for c in NOT_ADDRESSES],
                         ids=[c[0] for c in NOT_ADDRESSES])
def test_no_false_addresses(text):
    """Broken checksums, hashes and words are not addresses."""
    assert find_addresses(text) == []


NUMBERS = [
    ("phone-vn-intl", "gọi +84 912 345 678 nhé", [(PHONE, "+84912345678")]),
    ("phone-vn-local", "Zalo 0912.345.678", [(PHONE, "0912345678")]),
    ("phone-id-local", "WA 0812-3456-7890", [(PHONE, "081234567890")]),
    ("phone-id-intl", "+62 812 3456 7890", [(PHONE, "+6281234567890")]),
    ("phone-cn", "电话13800138000联系", [(PHONE, "13800138000")]),
    ("phone-th", "โทร 081-234-5678", [(PHONE, "0812345678")]),
    ("phone-my", "call 012-345 6789", [(PHONE, "0123456789")]),
    ("phone-ph", "text 0917 123 4567", [(PHONE, "09171234567")]),
    ("phone-se", "ring 070-123 45 67", [(PHONE, "0701234567")]),
    ("phone-us", "call (555) 123-4567 today", [(PHONE, "5551234567")]),
    ("phone-00-prefix", "0046 70 123 45 67", [(PHONE, "+46701234567")]),
    ("phone-fullwidth-digits", "Zalo ０９１２３４５６７８", [(PHONE, "0912345678")]),
    ("phone-thai-digits", "โทร ๐๘๑๒๓๔๕๖๗๘", [(PHONE, "0812345678")]),
    ("phone-spaced-digits", "0 9 1 2 3 4 5 6 7 8", [(PHONE, "0912345678")]),
    ("phone-sg-after-word", "WhatsApp me at 9123 4567", [(PHONE, "91234567")]),
    ("phone-landline-after-word", "điện thoại: 028 3822 1234", [(PHONE, "02838221234")]),
    ("phone-hk-zh", "请致电 2345 6789", [(PHONE, "23456789")]),
    ("card-visa", "card 4111 1111 1111 1111", [(CARD, "4111111111111111")]),
    ("card-dashes", "5555-5555-5555-4444", [(CARD, "5555555555554444")]),
    ("card-amex", "378282246310005", [(CARD, "378282246310005")]),
    ("bank-vi", "STK: 0071001234567 Vietcombank", [(BANK_ACCOUNT, "0071001234567")]),
    ("bank-vi-words", "số tài khoản 19036543210011", [(BANK_ACCOUNT, "19036543210011")]),
    ("bank-id", "no rek BCA 1234567890", [(BANK_ACCOUNT, "1234567890")]),
    ("bank-zh", "收款账号 6222 0212 3456 7890", [(BANK_ACCOUNT, "6222021234567890")]),
    ("bank-th", "เลขบัญชี 123-4-56789-0", [(BANK_ACCOUNT, "1234567890")]),
    ("bank-account-looks-like-phone", "account number 0912345678",
     [(BANK_ACCOUNT, "0912345678")]),
    ("iban-se", "IBAN SE45 5000 0000 0583 9825 7466",
     [(BANK_ACCOUNT, "SE4550000000058398257466")]),
    ("iban-gb-compact", "GB82WEST12345698765432", [(BANK_ACCOUNT, "GB82WEST12345698765432")]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in NUMBERS],
                         ids=[c[0] for c in NUMBERS])
def test_finds_numbers(text, expected):
    """Phones (international and local), Luhn-valid cards and bank accounts are found."""
    assert [(f.kind, f.value) for f in find_numbers(text)] == expected


NOT_NUMBERS = [
    ("date", "on 2024-05-01 at 10:30"),
    ("amount-dots", "only 1.000.000 VND"),
    ("amount-commas", "$1,250,000 profit"),
    ("otp", "code 123456"),
    ("card-bad-luhn", "4111 1111 1111 1112"),
    ("order-id", "order 123456789"),
    ("year-range", "2019-2024"),
    ("version", "v1.2.3"),
    ("digits-in-word", "abc0912345678"),
    ("short-intl", "+84 12"),
    ("iban-bad-check", "SE45 5000 0000 0583 9825 7467"),
    ("binary", "00100000 01100001 01101101"),
    ("eight-digits-no-context", "ref 9123 4567"),
    ("phone-word-far-away", "call me later, the invoice total was 12345678"),
]


@pytest.mark.parametrize("text", [c[1] for c in NOT_NUMBERS], ids=[c[0] for c in NOT_NUMBERS])
def test_no_false_numbers(text):
    """Dates, amounts, codes and invalid cards are not phones, cards or accounts."""
    assert find_numbers(text) == []


def test_number_spans_point_into_raw_text():
    """Spans cover the number as written, so it can be masked in place."""
    text = "Call +84 912 345 678, card 4111-1111-1111-1111."
    phone, card = find_numbers(text)
    assert text[phone.start:phone.end] == "+84 912 345 678"
    assert text[card.start:card.end] == "4111-1111-1111-1111"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail John.Doe@Example.com now", ["john.doe@example.com"]),
        ("a@b.co and c.d+e@mail.example.org", ["a@b.co", "c.d+e@mail.example.org"]),
        ("@bnb_help is a handle", []),
        ("price 5@10 each", []),
    ],
    ids=["one", "two", "handle", "not-email"],
)
def test_finds_emails(text, expected):
    """E-mail addresses are found lower-cased; handles and odd text are not."""
    assert [f.value for f in find_emails(text)] == expected


def test_extract_indicators_whole_message():
    """A full scam message yields every kind, in order of appearance, deduplicated."""
    text = (
        "Binance support: verify at https://binance-verify.example.com/login or "
        f"t.me/bnb_help_desk, DM @BNB_Help_Desk. Send 50 USDT to {TRON} "
        f"or {EVM}. WhatsApp +84 912 345 678 / 0912 345 678. Mail help@binance-verify.example.com."
        f" Again: {TRON}"
    )
    request = CheckRequest(
        text,
        urls=("https://hidden.example.org/claim",),
        anchors=(Anchor("binance.com", "https://binance-claim.example.net/"),),
        sender=Person("Binance Support", "bnb_support_247", 42),
        forward_from=ForwardOrigin("channel", "Binance Official", "binance_officiai"),
    )
    found = extract_indicators(request)
    assert found.domains == (
        "binance-verify.example.com", "binance-claim.example.net", "hidden.example.org",
    )
    assert found.urls[0] == "https://binance-verify.example.com/login"
    assert "t.me/bnb_help_desk" in found.telegram_links
    assert found.handles == ("@bnb_help_desk",)
    assert found.addresses == (CryptoAddress("TRON", TRON), CryptoAddress("EVM", EVM))
    assert found.phones == ("+84912345678", "0912345678")
    assert found.emails == ("help@binance-verify.example.com",)
    assert found.sender == request.sender
    assert found.forward_from == request.forward_from
    assert not found.is_empty


def test_to_dict_is_stable_json():
    """to_dict has every key, lists for the indicators and null for a missing origin."""
    data = extract_indicators(CheckRequest(f"pay {EVM}", sender=Person("A", "a", 1))).to_dict()
    assert data == {
        "urls": [], "domains": [], "addresses": [{"chain": "EVM", "address": EVM}],
        "phones": [], "cards": [], "bank_accounts": [], "emails": [], "handles": [],
        "telegram_links": [], "sender": {"name": "A", "username": "a", "id": 1},
        "forward_from": None,
    }


def test_clean_message_has_no_indicators():
    """An ordinary message has no indicators at all."""
    found = extract_indicators(CheckRequest("Good morning everyone, the meetup is at 10:30."))
    assert found == Indicators()
    assert found.is_empty


def test_extraction_is_deterministic():
    """The same request always gives the same indicators."""
    request = CheckRequest(f"{SOL} {TON} +62 812 3456 7890 @someone_here t.me/other_one")
    assert extract_indicators(request) == extract_indicators(request)


@pytest.mark.parametrize(
    ("text", "region", "expected"),
    [
        ("Zalo 0912.345.678", "VN", "+84912345678"),
        ("WA 0812-3456-7890", "ID", "+6281234567890"),
        ("โทร 081-234-5678", "TH", "+66812345678"),
        ("text 0917 123 4567", "PH", "+639171234567"),
        ("ring 070-123 45 67", "SE", "+46701234567"),
        ("gọi +84 912 345 678 nhé", "SE", "+84912345678"),
        ("0046 70 123 45 67", None, "+46701234567"),
        ("Zalo 0912.345.678", None, "0912345678"),
        ("Zalo 0912.345.678", "global", "0912345678"),
    ],
    ids=["vn", "id", "th", "ph", "se", "intl-ignores-region", "00-prefix", "no-region",
         "global-region"],
)
def test_phones_are_e164_in_the_readers_region(text, region, expected):
    """Local numbers are read in the chat's or user's region and kept in E.164; numbers
    written internationally keep their own country; without a country, the digits stay."""
    from bot.core.indicators import extract_indicators

    assert extract_indicators(CheckRequest(text), region).phones == (expected,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250rb jadi 149rb", [250_000, 149_000]),
        ("1,5jt jadi 3jt", [1_500_000, 3_000_000]),
        ("rm1,000 jadi rm5,000", [1_000, 5_000]),
        ("hyra 9 500 kr/man", [9_500]),
        ("biến 50tr thành 500tr", [50_000_000, 500_000_000]),
        ("3万变10万", [30_000, 100_000]),
        # a count, a share and a multiple are no sums
        ("12pcs, 15% off, 5x", []),
    ],
)
def test_sums_read_the_regions_scale_words(text: str, expected: list[float]) -> None:
    assert sums(text) == expected


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("250rb jadi 149rb", None, True),
        ("1jt jadi 3jt", None, False),
        # the match stops inside the last sum: it is read to its end
        ("rm100 jadi rm30", len("rm100 jadi rm3"), True),
        ("rm100 jadi rm300", len("rm100 jadi rm3"), False),
        # one sum is no fall
        ("lai 3jt", None, False),
    ],
)
def test_falling_sums(text: str, end: int | None, expected: bool) -> None:
    assert falling_sums(text, 0, len(text) if end is None else end) is expected
