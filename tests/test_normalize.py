"""Text normalisation: folded and skeleton forms."""

import pytest

from bot.core.normalize import PreparedText, fold, prepare, skeleton

FOLD_CASES = [
    ("case", "Send Your SEED", "send your seed"),
    ("whitespace", "  send\t\tyour \n\n seed  ", "send your seed"),
    ("nfkc-fullwidth", "ＳＥＮＤ　ｓｅｅｄ", "send seed"),
    ("zero-width", "se\u200bed phr\u200case\ufeff", "seed phrase"),
    ("soft-hyphen", "pass\u00adword", "password"),
    ("word-joiner", "seed\u2060phrase", "seedphrase"),
    ("bidi-override", "\u202edrowssap\u202c ok", "drowssap ok"),
    ("bidi-isolate", "\u2066admin\u2069 here", "admin here"),
    ("control-chars", "send\x00your\x07seed", "send your seed"),
    ("line-breaks", "send\r\n\nyour\u2029seed", "send your seed"),
    ("keeps-diacritics", "Cụm Từ Khôi Phục", "cụm từ khôi phục"),
    ("keeps-thai-tones", "ส่งรหัสผ่าน", "ส่งรหัสผ่าน"),
    ("keeps-leet", "S33D phr4se", "s33d phr4se"),
    ("casefold-sharp-s", "STRAßE", "strasse"),
    ("chinese-punctuation", "请发送助记词，谢谢！", "请发送助记词,谢谢!"),
    ("empty", "", ""),
    ("only-invisible", "\u200b\u200c\u2060", ""),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in FOLD_CASES],
                         ids=[c[0] for c in FOLD_CASES])
def test_fold(text, expected):
    """fold() applies NFKC, removes invisibles and bidi controls, casefolds, collapses."""
    assert fold(text) == expected


SKELETON_CASES = [
    # look-alikes
    ("cyrillic-lower", "віnаnсе ѕuррогt", "binance support"),
    ("cyrillic-upper", "ВІNАNСЕ", "binance"),
    ("cyrillic-tmkbnp", "тмквьнрсухѕіјԁ", "tmkbbhpcyxsijd"),
    ("greek-lower", "ονιαρτκ", "oviaptk"),
    ("greek-upper", "ΒΙΝΑΝCΕ", "binance"),
    ("latin-script-g", "ɡoogle", "google"),
    ("math-bold", "𝐬𝐞𝐞𝐝 𝒑𝒉𝒓𝒂𝒔𝒆", "seed phrase"),
    ("small-capitals", "ᴡᴀʟʟᴇᴛ", "wallet"),
    ("negative-squared", "🅱🅸🅽🅰🅽🅲🅴", "binance"),
    ("letterlike", "ℯxample ℮", "example e"),
    ("dotless-i", "bınance", "binance"),
    ("fullwidth", "ｓｅｅｄ　ｐｈｒａｓｅ", "seed phrase"),
    # diacritics
    ("vietnamese", "Cụm từ khôi phục", "cum tu khoi phuc"),
    ("vietnamese-d", "Đăng nhập ví để nhận thưởng", "dang nhap vi de nhan thuong"),
    ("vietnamese-plain", "cum tu khoi phuc", "cum tu khoi phuc"),
    ("swedish", "Lösenord och BankID-säkerhetskod", "losenord och bankid-sakerhetskod"),
    ("decomposed-input", "khôi phục", "khoi phuc"),
    # Thai: tone marks and other often-omitted marks go, vowels stay
    ("thai-tones", "ส่งรหัสผ่านให้ฉัน", "สงรหัสผานใหฉัน"),
    ("thai-without-tones", "สงรหัสผานใหฉัน", "สงรหัสผานใหฉัน"),
    ("thai-vowels-kept", "กรุณายืนยัน", "กรุณายืนยัน"),
    ("thai-digits-untouched", "โอน1000บาท", "โอน1000บาท"),
    ("chinese-untouched", "请发送助记词给我", "请发送助记词给我"),
    ("hangul-kana-untouched", "지갑 ウォレットが", "지갑 ウォレットが"),
    # leetspeak only inside words that mix letters with digits or symbols
    ("leet-seed-phrase", "s33d phr4se", "seed phrase"),
    ("leet-password", "p@ssw0rd", "password"),
    ("leet-binance", "b1nance cl@im fr3e", "binance claim free"),
    ("leet-trust", "tru5t w4ll3t", "trust wallet"),
    ("leet-dollar-in-word", "ca$h", "cash"),
    ("leet-double-one-is-ll", "wa11et bi11ion", "wallet billion"),
    ("numbers-stay", "12 words 24 words 100 000", "12 words 24 words 100 000"),
    ("money-stays", "$500 500$ 1,000.50", "$500 500$ 1,000.50"),
    ("2fa-stays", "2FA 2fa", "2fa 2fa"),
    ("tokens-stay", "usdt x2 web3 bep20 erc20 trc20 100k 24h mp3 1inch", None),
    ("email-stays", "john@gmail.com", "john@gmail.com"),
    ("handle-stays", "@bnb_help", "@bnb_help"),
    # spaced or dotted letters
    ("spaced", "s e e d  p.h.r.a.s.e", "seed phrase"),
    ("dotted", "p.r.i.v.a.t.e k.e.y", "private key"),
    ("dashed", "S-E-E-D p h r a s e", "seed phrase"),
    ("spaced-leet", "s 3 3 d", "seed"),
    ("spaced-cyrillic", "Ѕ е е d", "seed"),
    ("two-singles-stay", "a b test", "a b test"),
    ("digit-lists-stay", "1 2 3 go", "1 2 3 go"),
    ("abbreviation-two", "e.g. this", "e.g. this"),
    ("mixed-separators-break", "s.e.e.d p.h.r.a.s.e", "seed phrase"),
    # Chinese characters spaced out: three or more with spaces, two or more with a symbol
    ("spaced-han", "助 记 词 私 发", "助记词私发"),
    ("dashed-han", "私-钥 发我", "私钥 发我"),
    ("han-words-stay", "正常的中文 句子", "正常的中文 句子"),
    ("two-spaced-han-stay", "好 的", "好 的"),
    # noise
    ("emoji-flood", "🚀🚀🚀 send 🔥🔥 seed 💰💰💰", "🚀🚀🚀 send 🔥🔥 seed 💰💰💰"),
    ("zero-width-inside", "se\u200bed ph\u200dra\u2063se", "seed phrase"),
    ("rtl-override", "\u202eesarhp\u202c deed", "esarhp deed"),
    # whitespace: collapsed, but a line break stays one newline (a sentence end to the rules)
    ("line-breaks-kept", "Binance  support \n\n  never share\r\nyour seed", None),
    ("line-separator", "one\u2028two", "one\ntwo"),
    ("blank-lines-dropped", "\n\n  top \n \n bottom \n", "top\nbottom"),
    ("control-not-a-break", "send\x00your\x1bseed", "send your seed"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SKELETON_CASES],
                         ids=[c[0] for c in SKELETON_CASES])
def test_skeleton(text, expected):
    """skeleton() folds look-alikes, diacritics, Thai marks, spacing and leetspeak."""
    if expected is None:
        expected = "\n".join(fold(line) for line in text.splitlines() if line.strip())
    assert skeleton(text) == expected


@pytest.mark.parametrize(
    ("with_marks", "without_marks"),
    [
        ("gửi cụm từ khôi phục cho mình", "gui cum tu khoi phuc cho minh"),
        ("xác minh tài khoản ngay", "xac minh tai khoan ngay"),
        ("ส่งรหัส OTP ให้เจ้าหน้าที่", "สงรหัส OTP ใหเจาหนาที"),
        ("กรุณายืนยันบัญชี", "กรุณายืนยันบัญชี"),
        ("Skicka din säkerhetskod", "skicka din sakerhetskod"),
        ("ВАШ ПАРОЛЬ", "ВАШ ПАРОЛЬ"),
    ],
    ids=["vi-seed", "vi-verify", "th-otp", "th-vowels", "sv", "cyrillic-same"],
)
def test_marked_and_unmarked_meet(with_marks, without_marks):
    """Text typed with and without diacritics or tone marks has the same skeleton."""
    assert skeleton(with_marks) == skeleton(without_marks)


def test_prepare_holds_all_forms():
    """prepare() keeps the raw text and gives the same folded and skeleton forms."""
    raw = "  Send your S33D \u200bphrase to @bnb_help  "
    prepared = prepare(raw)
    assert prepared == PreparedText(raw, fold(raw), skeleton(raw))
    assert prepared.folded == "send your s33d phrase to @bnb_help"
    assert prepared.skeleton == "send your seed phrase to @bnb_help"


def test_prepared_text_is_frozen():
    """PreparedText cannot be changed after it is built."""
    prepared = prepare("x")
    with pytest.raises(AttributeError):
        prepared.folded = "y"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    [
        "send 12 words to @x " * 5_000,
        "ví của bạn đã bị khóa 🚀 " * 4_000,
        "请发送助记词，" * 15_000,
        "a " * 50_000,
        "s.e.e.d " * 12_000 + "aa",
        "\u200b" * 100_000,
    ],
    ids=["ascii", "vietnamese", "chinese", "single-letters", "dotted-runs", "invisible"],
)
def test_large_inputs(text):
    """100 KB inputs are handled and stay bounded in size."""
    prepared = prepare(text)
    assert len(prepared.folded) <= len(text)
    assert len(prepared.skeleton) <= len(prepared.folded) + 1
    assert "  " not in prepared.skeleton


@pytest.mark.parametrize(
    "text",
    ["S33D phr4se", "ВІNАNСЕ", "cụm từ khôi phục", "s e e d", "ส่งรหัส", "p@ssw0rd"],
    ids=["leet", "cyrillic", "vietnamese", "spaced", "thai", "password"],
)
def test_skeleton_is_idempotent(text):
    """A skeleton passed through skeleton() again does not change."""
    once = skeleton(text)
    assert skeleton(once) == once


def _random_texts(seed: int, count: int) -> list[str]:
    """Deterministic random strings mixing every script and trick the normaliser handles."""
    import random

    rng = random.Random(seed)
    pool = (
        "abcdefghijklmnopqrstuvwxyz0134579 .-*@$!\n\t\r"
        "ВІNАNСЕтмквьнрсухѕіјԁονιαρτκΒΙΝ" "cụm từ khôi phục đ" "ส่งรหัสผ่าน" "请发送助记词，"
        "\u200b\u202e\u2066\u00ad\ufeff\x00\x07\u2028" "🚀💰👨‍👩‍👧" "ｓｅｅｄ１" "𝐬🅱ℯ"
    )
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 120))) for _ in range(count)]


@pytest.mark.parametrize("text", _random_texts(20261124, 300), ids=lambda t: f"len{len(t)}")
def test_random_text_invariants(text):
    """On any text: folded has single spaces, no invisibles; skeleton is stable and lower."""
    prepared = prepare(text)
    assert "  " not in prepared.folded and prepared.folded == prepared.folded.strip()
    assert not any(c in prepared.folded for c in "\u200b\u202e\u2066\u00ad\ufeff\x00\n")
    assert "  " not in prepared.skeleton and "\n\n" not in prepared.skeleton
    assert prepared.skeleton == prepared.skeleton.lower()
    assert skeleton(prepared.skeleton) == prepared.skeleton


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("這裡是警察局", "这里是警察局"),
        ("請立即把錢轉到安全帳戶", "请立即把钱转到安全账户"),
        ("驗證碼", "验证码"),
    ],
    ids=["police", "safe-account", "code"],
)
def test_traditional_chinese_folds_to_simplified(traditional: str, simplified: str) -> None:
    """Traditional and Simplified Chinese share one skeleton, so one phrase matches both."""
    assert skeleton(traditional) == skeleton(simplified)
