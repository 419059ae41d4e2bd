"""Secrets posted in the open: recovery phrases and private keys."""

import hashlib
import json

import pytest
from mnemonic import Mnemonic

from bot.core.detector import Message
from bot.core.model import DEFAULT_CONTEXT, CheckRequest, Severity
from bot.core.normalize import prepare
from bot.core.secrets import (
    B58_ALPHABET,
    ENGLISH,
    EXTENDED_KEY,
    HEX_KEY,
    MNEMONIC,
    SOLANA_KEY,
    WIF,
    base58_decode,
    base58check_decode,
    check_secrets,
    checksum_ok,
    ed25519_public_key,
    electrum_seed,
    find_secrets,
)

BIP39 = Mnemonic("english")
WORDS = set(BIP39.wordlist)
PHRASE12 = BIP39.to_mnemonic(bytes(range(16)))
PHRASE24 = BIP39.to_mnemonic(bytes(range(100, 132)))
KEY_HEX = hashlib.sha256(b"scamguard test key").hexdigest()


def _broken(phrase: str) -> str:
    """The phrase with its last word replaced so that the checksum fails."""
    words = phrase.split()
    for candidate in BIP39.wordlist:
        attempt = " ".join([*words[:-1], candidate])
        if not BIP39.check(attempt):
            return attempt
    raise AssertionError("no failing checksum found")


BROKEN12 = _broken(PHRASE12)


def _electrum_seed() -> str:
    """A 12-word Electrum standard seed that fails the BIP39 checksum."""
    import hmac
    import random

    rng = random.Random(12)
    while True:
        words = [rng.choice(BIP39.wordlist) for _ in range(12)]
        phrase = " ".join(words)
        version = hmac.new(b"Seed version", phrase.encode(), hashlib.sha512).hexdigest()
        if version.startswith("01") and not BIP39.check(phrase):
            return phrase


ELECTRUM12 = _electrum_seed()
ZH = Mnemonic("chinese_simplified")
ZH_PHRASE = ZH.to_mnemonic(bytes(range(16)))
ZH_TRAD_PHRASE = Mnemonic("chinese_traditional").to_mnemonic(bytes(range(50, 66)))
ZH_BROKEN = next(
    f"{ZH_PHRASE[:-1]}{w}" for w in ZH.wordlist if not ZH.check(f"{ZH_PHRASE[:-1]}{w}")
)


def _b58encode(data: bytes) -> str:
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = B58_ALPHABET[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _b58check(payload: bytes) -> str:
    return _b58encode(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


WIF_UNCOMPRESSED = _b58check(b"\x80" + bytes.fromhex(KEY_HEX))
WIF_COMPRESSED = _b58check(b"\x80" + bytes.fromhex(KEY_HEX) + b"\x01")
XPRV = BIP39.to_hd_master_key(BIP39.to_seed(PHRASE12))
SOL_SEED = hashlib.sha256(b"solana test seed").digest()
SOL_KEYPAIR = SOL_SEED + ed25519_public_key(SOL_SEED)
SOL_B58 = _b58encode(SOL_KEYPAIR)
NOT_KEYPAIR_B58 = _b58encode(hashlib.sha512(b"a signature, not a keypair").digest())


def _numbered(phrase: str, style: str) -> str:
    return " ".join(f"{i}{style} {w}" for i, w in enumerate(phrase.split(), 1))


def _kinds(text: str) -> list[tuple[str, bool]]:
    return [(s.kind, s.verified) for s in find_secrets(text)]


LEAKS = [
    ("phrase-plain", PHRASE12, [(MNEMONIC, True)]),
    ("phrase-24", PHRASE24, [(MNEMONIC, True)]),
    ("phrase-in-sentence", f"here is my seed {PHRASE12} please help", [(MNEMONIC, True)]),
    ("phrase-numbered-dot", _numbered(PHRASE12, "."), [(MNEMONIC, True)]),
    ("phrase-numbered-paren", _numbered(PHRASE12, ")"), [(MNEMONIC, True)]),
    ("phrase-commas", PHRASE12.replace(" ", ", "), [(MNEMONIC, True)]),
    ("phrase-lines", PHRASE12.replace(" ", "\n"), [(MNEMONIC, True)]),
    ("phrase-capitalised", PHRASE12.title(), [(MNEMONIC, True)]),
    ("phrase-upper", "SEED: " + PHRASE12.upper(), [(MNEMONIC, True)]),
    ("two-phrases", f"{PHRASE12}\n\nand the other one\n\n{PHRASE24}",
     [(MNEMONIC, True), (MNEMONIC, True)]),
    # A typo'd or otherwise non-checksummed phrase that is clearly posted as a phrase.
    ("bad-checksum-numbered", _numbered(BROKEN12, "."), [(MNEMONIC, False)]),
    ("bad-checksum-lines", BROKEN12.replace(" ", "\n"), [(MNEMONIC, False)]),
    ("bad-checksum-alone", BROKEN12, [(MNEMONIC, False)]),
    ("four-letter-prefix-still-valid",
     _numbered(PHRASE12.replace("liar", "liarr", 1), "."), [(MNEMONIC, True)]),
    ("misspelt-word-numbered",
     _numbered(PHRASE12.replace("liar", "lisr", 1), "."), [(MNEMONIC, False)]),
    ("unknown-word-numbered",
     _numbered(PHRASE12.replace("cage", "xq", 1), "."), [(MNEMONIC, False)]),
    # private keys
    ("hex-key-labelled", f"private key: {KEY_HEX}", [(HEX_KEY, True)]),
    ("hex-key-0x", f"my key 0x{KEY_HEX} pls help", [(HEX_KEY, True)]),
    ("hex-key-bare", KEY_HEX, [(HEX_KEY, True)]),
    ("hex-key-vi", f"khóa riêng của mình: {KEY_HEX}", [(HEX_KEY, True)]),
    ("hex-key-zh", f"私钥 {KEY_HEX}", [(HEX_KEY, True)]),
    ("hex-key-after-address-word", f"wallet address lost, private key {KEY_HEX}",
     [(HEX_KEY, True)]),
    ("wif-uncompressed", f"wif {WIF_UNCOMPRESSED}", [(WIF, True)]),
    ("wif-compressed", WIF_COMPRESSED, [(WIF, True)]),
    ("xprv", f"backup: {XPRV}", [(EXTENDED_KEY, True)]),
    ("xprv-typo", XPRV[:-1] + ("a" if XPRV[-1] != "a" else "b"), [(EXTENDED_KEY, False)]),
    ("solana-base58", f"phantom key {SOL_B58}", [(SOLANA_KEY, True)]),
    ("solana-json", json.dumps(list(SOL_KEYPAIR)), [(SOLANA_KEY, True)]),
    ("phrase-and-key", f"{PHRASE12}\nkey {KEY_HEX}", [(MNEMONIC, True), (HEX_KEY, True)]),
    ("electrum-seed-in-sentence", f"my electrum seed {ELECTRUM12} please check it",
     [(MNEMONIC, True)]),
    ("phrase-zh", f"我的助记词：{ZH_PHRASE} 帮我看看", [(MNEMONIC, True)]),
    ("phrase-zh-numbered", _numbered(ZH_PHRASE, "."), [(MNEMONIC, True)]),
    ("phrase-zh-commas", ZH_PHRASE.replace(" ", "，"), [(MNEMONIC, True)]),
    ("phrase-zh-traditional", ZH_TRAD_PHRASE, [(MNEMONIC, True)]),
    ("phrase-zh-bad-checksum", ZH_BROKEN, [(MNEMONIC, False)]),
    ("hex-key-after-wallet-word", f"wallet private key {KEY_HEX}", [(HEX_KEY, True)]),
    ("hex-key-env-file", f"RPC_URL=http://localhost:8545\nPRIVATE_KEY={KEY_HEX}",
     [(HEX_KEY, True)]),
    ("hex-key-env-after-address", f"WALLET_ADDRESS=0x12\nPRIVATE_KEY=0x{KEY_HEX}",
     [(HEX_KEY, True)]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in LEAKS],
                         ids=[c[0] for c in LEAKS])
def test_finds_secrets(text, expected):
    """Recovery phrases and private keys are found with their kind and verification."""
    assert _kinds(text) == expected


NOT_LEAKS = [
    ("advice-12-words", "Never share your 12 words or seed phrase with anyone, admins never DM"),
    ("question", "Someone asked for my 24 word recovery phrase, is that a scam?"),
    ("eleven-words", " ".join(PHRASE12.split()[:11])),
    ("list-words-prose",
     "Honestly, you can also build real fun when this project will always have great "
     "support from the team and the community."),
    ("prose-capitalised", "You can also build real fun when this project will always have great"),
    ("prose-lowercase-alone", "you can also build real fun when this project will always have"),
    ("bad-checksum-in-prose",
     "Yesterday at the meetup " + BROKEN12 + " was what the speaker kept repeating, odd talk"),
    ("txid", f"txid: {KEY_HEX}"),
    ("tx-hash-0x", f"Transaction hash 0x{KEY_HEX}"),
    ("tx-short", f"tx 0x{KEY_HEX} still pending"),
    ("etherscan-url", f"https://etherscan.io/tx/0x{KEY_HEX}"),
    ("explorer-url-bare", f"see bscscan.com/tx/0x{KEY_HEX} thanks"),
    ("url-query", f"https://explorer.example/search?q={KEY_HEX}"),
    ("sha256", f"sha256: {KEY_HEX}"),
    ("block-hash", f"block hash {KEY_HEX}"),
    ("vi-transaction", f"mã giao dịch {KEY_HEX}"),
    ("zh-transaction", f"交易哈希 {KEY_HEX}"),
    ("hex-65", KEY_HEX + "a"),
    ("hex-63", KEY_HEX[:-1]),
    ("hex-zero", "0" * 64),
    ("hex-above-curve-order", "f" * 64),
    ("wif-bad-checksum", WIF_COMPRESSED[:-1] + ("a" if WIF_COMPRESSED[-1] != "a" else "b")),
    ("xpub", XPRV.replace("xprv", "xpub")[:60]),
    ("solana-signature", f"sig {NOT_KEYPAIR_B58}"),
    ("byte-array-not-keypair", json.dumps(list(range(64)))),
    ("evm-address", "0x52908400098527886E0F7030069857D2E4169EE7"),
    ("sui-address", f"my Sui wallet 0x{KEY_HEX}"),
    ("zh-prose", "我的钱包被盗了，请问怎么办？客服说需要助记词，这是骗局吗？" * 3),
    ("zh-spaced-eleven", " ".join(ZH_PHRASE.split()[:11])),
    ("zh-spaced-not-list", " ".join("魑魅魍魉饕餮龘靐齉麤爩鱻"[:12])),
    ("empty", ""),
    ("bad-checksum-wrong-length", _numbered(BROKEN12 + " zoo", ".")),
]


@pytest.mark.parametrize("text", [c[1] for c in NOT_LEAKS], ids=[c[0] for c in NOT_LEAKS])
def test_no_false_positives(text):
    """Advice, prose, hashes and addresses are not taken for secrets."""
    assert find_secrets(text) == []


def test_prose_fixture_uses_only_list_words():
    """The prose negatives really are twelve or more BIP39 words in a row."""
    sentence = "You can also build real fun when this project will always have great"
    assert all(w.lower() in WORDS for w in sentence.split())
    assert len(sentence.split()) >= 12


def test_prose_with_valid_checksum_is_not_a_phrase():
    """A sentence of list words stays clean even when its words happen to pass the checksum."""
    start = "You can also build real fun when this project will always"
    ending = next(w for w in BIP39.wordlist if BIP39.check(f"{start} {w}".lower()))
    sentence = f"{start} {ending}."
    assert BIP39.check(sentence[:-1].lower())
    assert find_secrets(sentence) == []
    assert _kinds(_numbered(sentence[:-1].lower(), ".")) == [(MNEMONIC, True)]


def test_spans_point_into_raw_text():
    """Spans cover the phrase and the key exactly, so they can be masked."""
    text = f"1. start\n{PHRASE12}\nthen 0x{KEY_HEX} end"
    phrase, key = find_secrets(text)
    assert text[phrase.start:phrase.end] == PHRASE12
    assert text[key.start:key.end] == f"0x{KEY_HEX}"


def test_ed25519_matches_rfc8032_vector():
    """The public key derivation gives RFC 8032's first test vector."""
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    expected = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert ed25519_public_key(seed).hex() == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", b"\0"), ("11", b"\0\0"), ("2", b"\x01"), ("z", b"\x39"), ("0", None), ("", b"")],
    ids=["one-zero", "two-zeros", "digit", "last-letter", "not-alphabet", "empty"],
)
def test_base58_decode(value, expected):
    """Base58 keeps leading zero bytes and rejects characters outside the alphabet."""
    assert base58_decode(value) == expected


def test_base58check_rejects_bad_checksum():
    """A base58check string decodes to its payload only with a valid checksum."""
    good = _b58check(b"\x00hello")
    assert base58check_decode(good) == b"\x00hello"
    assert base58check_decode(good[:-1] + ("2" if good[-1] != "2" else "3")) is None


def _message(text: str) -> Message:
    return Message(CheckRequest(text), prepare(text), ())


CHECKS = [
    ("phrase", PHRASE12, ["secret-leak.mnemonic"]),
    ("key", f"pk {KEY_HEX}", ["secret-leak.private-key"]),
    ("both", f"{PHRASE12} {WIF_COMPRESSED}", ["secret-leak.mnemonic", "secret-leak.private-key"]),
    ("clean", "never share your seed phrase", []),
]


@pytest.mark.parametrize(("text", "rules"), [c[1:] for c in CHECKS], ids=[c[0] for c in CHECKS])
def test_check_secrets_hits(text, rules):
    """check_secrets reports one critical secret_leak hit per kind, without the secret."""
    hits = list(check_secrets(_message(text), DEFAULT_CONTEXT))
    assert [h.rule for h in hits] == rules
    for hit in hits:
        assert hit.category == "secret_leak"
        assert hit.severity is Severity.CRITICAL
        assert "anyone who sees it" in hit.reason
        assert not any(w in hit.reason.split() for w in PHRASE12.split())
        assert KEY_HEX not in hit.reason and WIF_COMPRESSED not in hit.reason


def test_large_input_is_handled():
    """A 100 KB message of list words and hex is scanned without error."""
    text = ("about above absent " * 2000) + (KEY_HEX[:60] + " ") * 500
    assert find_secrets(text) == []


def test_numbered_span_includes_first_number():
    """A numbered phrase's span starts at its first list number, so no stray "1." is left."""
    text = "Seed:\n" + _numbered(PHRASE12, ".")
    (secret,) = find_secrets(text)
    assert text[secret.start:secret.end].startswith("1. ")
    assert secret.end == len(text)


THOROUGH = [
    ("partial-numbered", _numbered(" ".join(PHRASE12.split()[:9]), "."), True),
    ("partial-lines", "\n".join(PHRASE12.split()[:8]), True),
    ("run-of-list-words-in-text", "Notes from today, in no order: pumpkin tired fossil "
     "enroll frozen neck sample debris kite quiz mirror zone. Please keep these notes for the "
     "workshop next Monday morning at our office.", True),
    ("prose-of-list-words",
     "You can also build real fun when this project will always have great", False),
    ("comma-list-prose", "shaders, procedural graph generation, multiple formations, color "
     "themes, bloom, film grain, and smooth orbit controls", False),
    ("two-typos-in-a-phrase",
     _numbered(PHRASE12.replace("liar", "lisr").replace("cage", "cxge"), "."), True),
    ("numbered-three-typos",
     _numbered(PHRASE12.replace("liar", "lisr").replace("cage", "cxge").replace("drum", "drun"),
               ")"), True),
    ("seven-list-words", "\n".join(PHRASE12.split()[:7]), False),
    ("numbered-ordinary-list",
     "1. Open the app 2. Tap Settings 3. Choose Security 4. Enable 2FA 5. Done 6. Log out "
     "7. Restart 8. Log in again", False),
    ("advice", "Never share your 12 words or seed phrase with anyone", False),
]


@pytest.mark.parametrize(("text", "masked"), [c[1:] for c in THOROUGH],
                         ids=[c[0] for c in THOROUGH])
def test_thorough_mode_for_redaction(text, masked):
    """thorough=True also finds partial or prose-shaped phrases; the default does not."""
    thorough = find_secrets(text, thorough=True)
    assert bool(thorough) is masked
    assert all(s.kind == MNEMONIC and not s.verified for s in thorough)
    if masked:
        assert find_secrets(text) == []


def _phrases(count: int) -> list[str]:
    """Deterministic phrases of every length, half of them with a broken checksum."""
    import random

    rng = random.Random(39)
    out = []
    for i in range(count):
        size = (16, 20, 24, 28, 32)[i % 5]
        phrase = BIP39.to_mnemonic(bytes(rng.randrange(256) for _ in range(size)))
        if i % 2:
            words = phrase.split()
            words[-1] = rng.choice(BIP39.wordlist)
            phrase = " ".join(words)
        out.append(phrase)
    return out


@pytest.mark.parametrize("phrase", _phrases(60), ids=lambda p: f"{len(p.split())}w")
def test_checksum_agrees_with_reference(phrase):
    """The fast checksum gives the same answer as the mnemonic package."""
    assert checksum_ok(phrase.split(), ENGLISH) is BIP39.check(phrase)


def test_word_salad_is_not_a_phrase():
    """A long run of list words (spam, adversarial input) yields nothing and stays bounded."""
    words = [BIP39.wordlist[(i * 7919) % 2048] for i in range(400)]
    assert find_secrets(" ".join(words)) == []


def test_electrum_check():
    """The Electrum seed-version check accepts a real seed and rejects a BIP39 phrase."""
    assert electrum_seed(ELECTRUM12.split())
    assert not electrum_seed(PHRASE12.split())
