"""Near-duplicates of known scam messages: bundled samples and a chat's own samples."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from bot.core import Detector, load_ruleset
from bot.core.detector import Message
from bot.core.model import ChatContext, CheckRequest, Severity
from bot.core.normalize import prepare
from bot.core.similarity import (
    RULE,
    SampleIndex,
    comparable,
    load_samples,
    parse_samples,
)
from bot.core.yamlfile import load_yaml
from bot.errors import RuleSetError
from rules import RULES_DIR

BUNDLED = load_samples(RULES_DIR)
LANGUAGES = {"en", "vi", "id", "zh", "th", "ms", "tl", "sv"}

TEMPLATE_EN = (
    "Dear member, this is the official support desk. Your withdrawal is on hold because your "
    "wallet is not verified yet. Message our agent @Desk_Help_01 and pay the 25 USDT "
    "unlocking fee at https://unlock-wallet.example/pay to receive your 1,200 USDT today."
)
TEMPLATE_ZH = (
    "您好，我是交易所官方客服，您的提现因钱包未认证被暂停，"
    "请联系专员并支付解冻费用，今天即可到账。"
)
TEMPLATE_VI = (
    "Chào bạn, đây là bộ phận hỗ trợ chính thức. Khoản rút tiền của bạn đang bị giữ vì ví chưa "
    "được xác minh, hãy nhắn cho nhân viên và nộp phí mở khóa để nhận tiền ngay hôm nay."
)
INDEX = SampleIndex.build(
    parse_samples(
        {
            "samples": [
                {"text": TEMPLATE_EN, "category": "fake_support"},
                {"text": TEMPLATE_ZH, "category": "fake_support"},
                {"text": TEMPLATE_VI, "category": "advance_fee"},
            ]
        },
        "test.yaml",
    )
)


def hits(text: str, index: SampleIndex = INDEX, context: ChatContext | None = None) -> list:
    message = Message(CheckRequest(text), prepare(text), ())
    return list(index.check(message, context or ChatContext()))


VARIANTS = [
    ("verbatim", TEMPLATE_EN, "fake_support"),
    ("other-handle", TEMPLATE_EN.replace("@Desk_Help_01", "@wallet_desk_support"), "fake_support"),
    ("other-amounts", TEMPLATE_EN.replace("25", "40").replace("1,200", "3,750"), "fake_support"),
    (
        "other-link",
        TEMPLATE_EN.replace("https://unlock-wallet.example/pay", "hxxps://bit.example/xy7"),
        "fake_support",
    ),
    ("emoji", "🚨🚨 " + TEMPLATE_EN.replace(". ", " ✅. ") + " 💰💰💰", "fake_support"),
    ("homoglyphs", TEMPLATE_EN.replace("a", "а").replace("o", "о"), "fake_support"),
    (
        "a-few-words",
        TEMPLATE_EN.replace("Dear member", "Hello friend").replace("today", "within one hour"),
        "fake_support",
    ),
    ("upper-case", TEMPLATE_EN.upper(), "fake_support"),
    ("greeting-added", "Good evening all, important notice for everyone here. " + TEMPLATE_EN,
     "fake_support"),
    ("truncated", TEMPLATE_EN[:150], "fake_support"),
    ("zh-verbatim", TEMPLATE_ZH, "fake_support"),
    ("zh-edited", TEMPLATE_ZH.replace("今天即可到账", "马上到账").replace("专员", "客服专员"),
     "fake_support"),
    ("vi-no-diacritics",
     "Chao ban, day la bo phan ho tro chinh thuc. Khoan rut tien cua ban dang bi giu vi vi chua "
     "duoc xac minh, hay nhan cho nhan vien va nop phi mo khoa de nhan tien ngay hom nay.",
     "advance_fee"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "category"), [(t, c) for _, t, c in VARIANTS], ids=[i for i, _, _ in VARIANTS]
)
def test_edited_copies_of_a_sample_are_caught(text: str, category: str) -> None:
    """A template with another handle, amount, link, emoji, letters or a few words matches."""
    found = hits(text)
    assert [(h.rule, h.category, h.severity) for h in found] == [(RULE, category, Severity.HIGH)]
    assert found[0].reason.startswith(
        f"nearly the same text as a known {category.replace('_', ' ')} scam"
    )


NEGATIVES = [
    ("hello-admin", "hello admin"),
    ("thanks", "thanks!"),
    ("emoji-flood", "🚀" * 300),
    ("empty", ""),
    (
        "safety-advice-en",
        "Reminder: the official support desk will never message you first or ask for a fee to "
        "unlock a withdrawal. If someone does, report them to the admins.",
    ),
    (
        "support-question-en",
        "My withdrawal has been pending for two hours, is that normal? I used the official app "
        "and the wallet shows the transaction as confirmed.",
    ),
    (
        "trading-talk-en",
        "BTC broke the weekly resistance again, I'm holding my position and adding a bit more on "
        "the dip if it comes back to the previous range.",
    ),
    ("zh-chat", "今天晚上我们去吃火锅吧，记得叫上小王，他上次说想去那家新开的店看看。"),
    (
        "vi-chat",
        "Hôm nay trời mưa to quá, mọi người đi làm nhớ mang áo mưa nhé, đường Nguyễn Trãi ngập "
        "hết rồi.",
    ),
    (
        "id-chat",
        "Besok kita rapat jam sembilan pagi di kantor ya, jangan lupa bawa laporan bulan ini "
        "dan laptop masing-masing.",
    ),
    ("th-chat", "วันนี้ฝนตกหนักมาก ทุกคนเดินทางกลับบ้านอย่างปลอดภัยนะครับ แล้วเจอกันพรุ่งนี้"),
    (
        "ms-chat",
        "Esok kita berjumpa di kedai kopi dekat stesen pukul lapan pagi, saya belanja sarapan "
        "sebab menang pertandingan semalam.",
    ),
    (
        "tl-chat",
        "Mamaya na lang tayo mag-usap pagkatapos ng trabaho, may meeting pa ako hanggang alas "
        "singko at traffic pa pauwi.",
    ),
    (
        "sv-chat",
        "Vi ses på fredag efter jobbet, jag bokar bord på restaurangen vid torget och tar med "
        "kameran till fotona.",
    ),
]


@pytest.mark.parametrize("text", [t for _, t in NEGATIVES], ids=[i for i, _ in NEGATIVES])
def test_ordinary_messages_do_not_match(text: str) -> None:
    """Short, generic and ordinary messages in every language match neither index."""
    assert hits(text) == []
    assert hits(text, BUNDLED) == []


def test_bundled_samples_cover_languages_and_categories() -> None:
    """Between 40 and 80 bundled samples, in all eight languages and many categories."""
    assert 40 <= len(BUNDLED) <= 80
    assert {s.lang for s in BUNDLED.samples} == LANGUAGES
    assert len(Counter(s.category for s in BUNDLED.samples)) >= 9


@pytest.mark.parametrize(
    "sample", BUNDLED.samples, ids=lambda s: f"{Path(s.source).name}:{s.line}"
)
def test_each_bundled_sample_matches_itself_only(sample) -> None:  # type: ignore[no-untyped-def]
    """A bundled sample, lightly edited, is found as itself and as no other sample."""
    edited = "⚠️ " + sample.text.replace("5", "7") + " 👉"
    found = BUNDLED.match(edited)
    assert found is not None
    assert found[0] == sample
    others = SampleIndex.build(s for s in BUNDLED.samples if s != sample)
    assert others.match(sample.text) is None


def test_chat_samples_from_context_are_checked() -> None:
    """Samples a chat added at run time are matched too, with the generic category."""
    chat = SampleIndex.from_texts(
        ["Exclusive offer for our group: deposit 100 USDT in the new pool and withdraw 300 "
         "USDT tomorrow, only today, write to @pool_manager_x for the address"],
        source="chat:-1001",
    )  # fmt: skip
    text = (
        "Exclusive offer for our group: deposit 250 USDT in the new pool and withdraw 750 "
        "USDT tomorrow, only today, write to @pool_boss for the address"
    )
    assert hits(text, SampleIndex()) == []
    found = hits(text, SampleIndex(), ChatContext(samples=chat))
    assert [(h.rule, h.category) for h in found] == [(RULE, "known_scam")]
    assert found[0].reason.startswith("nearly the same text as a known scam (")


def test_best_of_bundled_and_chat_samples_wins() -> None:
    """When both indexes match, the closer sample names the category."""
    chat = SampleIndex.from_texts([TEMPLATE_EN[:-5]])
    found = hits(TEMPLATE_EN, INDEX, ChatContext(samples=chat))
    assert [h.category for h in found] == ["fake_support"]


def test_runtime_texts_too_short_are_left_out() -> None:
    """from_texts keeps only texts long enough to compare."""
    index = SampleIndex.from_texts(["hello admin", "   ", TEMPLATE_EN])
    assert index.texts == (TEMPLATE_EN,)
    assert not comparable("send me your seed phrase now")
    assert comparable(TEMPLATE_ZH)


def test_huge_message_gets_an_answer() -> None:
    """A 100 KB message with control and bidi characters is handled without error."""
    text = ("\u202e\x00 " + TEMPLATE_EN + " ") * 300
    assert isinstance(hits(text), list)


def test_detector_reports_similar_known_scam_with_shipped_rules() -> None:
    """The full detector over the shipped rules flags an edited bundled sample."""
    detector = Detector(load_ruleset(RULES_DIR))
    sample = next(s for s in BUNDLED.samples if s.lang == "en" and s.category == "job_task")
    verdict = detector.check(CheckRequest(sample.text.replace("300", "450") + " 🔥"))
    assert RULE in {h.rule for h in verdict.hits}


BAD_FILES = [
    ("no-samples-key", "items: []\n", 1, "needs a 'samples' list"),
    ("samples-not-list", "samples: {text: x}\n", 1, "'samples' must be a list"),
    ("item-not-mapping", "samples:\n  - just a string\n", 2, "each sample must be a mapping"),
    ("unknown-key", f"samples:\n  - text: {TEMPLATE_EN}\n    category: x\n    lang_: en\n", 4,
     "unknown key 'lang_'"),
    ("missing-category", f"samples:\n  - text: {TEMPLATE_EN}\n", 2, "'category' must be"),
    ("bad-category", f"samples:\n  - text: {TEMPLATE_EN}\n    category: Fake Support\n", 2,
     "'category' must be"),
    ("bad-lang", f"samples:\n  - text: {TEMPLATE_EN}\n    category: x\n    lang: English\n", 2,
     "'lang' must be"),
    ("too-short", "samples:\n  - text: send me your seed phrase\n    category: key_request\n", 2,
     "too short"),
    ("yaml-syntax", "samples:\n  - text: [unclosed\n", 3, "YAML"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [(c, ln, m) for _, c, ln, m in BAD_FILES],
    ids=[i for i, *_ in BAD_FILES],
)
def test_bad_sample_files_are_reported_with_line(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    """Every problem in a samples file is reported as path:line: message."""
    (tmp_path / "samples").mkdir()
    path = tmp_path / "samples" / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_samples(tmp_path)
    (error,) = info.value.errors
    assert (error.path, error.line) == (str(path), line)
    assert message in error.message


SCHEMA = Draft202012Validator(
    json.loads((RULES_DIR / "schema" / "samples.schema.json").read_text(encoding="utf-8"))
)


@pytest.mark.parametrize(
    "content",
    [c for i, c, _, _ in BAD_FILES if i not in ("too-short", "yaml-syntax")],
    ids=[i for i, *_ in BAD_FILES if i not in ("too-short", "yaml-syntax")],
)
def test_schema_rejects_what_the_loader_rejects(content: str) -> None:
    """Editors see the same structural problems the loader reports."""
    data = json.loads(json.dumps(load_yaml(content, "x.yaml")))
    assert list(SCHEMA.iter_errors(data)) != []


def test_duplicate_samples_across_files_are_reported(tmp_path: Path) -> None:
    """The same text in two files is an error pointing at the first one."""
    (tmp_path / "samples").mkdir()
    body = f"samples:\n  - text: {TEMPLATE_EN}\n    category: fake_support\n"
    (tmp_path / "samples" / "a.yaml").write_text(body, encoding="utf-8")
    (tmp_path / "samples" / "b.yaml").write_text(body.replace("25", "99"), encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_samples(tmp_path)
    (error,) = info.value.errors
    assert error.path.endswith("b.yaml")
    assert error.message == f"same text as the sample at {tmp_path / 'samples' / 'a.yaml'}:2"


def test_missing_samples_folder_is_an_empty_index(tmp_path: Path) -> None:
    """A rules directory without samples/ loads an empty index that never hits."""
    index = load_samples(tmp_path)
    assert len(index) == 0
    assert hits(TEMPLATE_EN, index) == []


def test_bench_scale_adds_loadable_synthetic_samples(tmp_path: Path) -> None:
    """The benchmark hook writes synthetic samples that load and match no real message."""
    BUNDLED.bench_scale(tmp_path, 2, random.Random(5))
    index = load_samples(tmp_path)
    assert len(index) == 2 * len(BUNDLED)
    assert {s.category for s in index.samples} == {"bench"}
    assert all(index.match(s.text) is None for s in BUNDLED.samples)


PROJECT_CORPUS = Path(__file__).parent / "corpus" / "train"


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_project_corpus_ham_matches_no_sample(lang: str) -> None:
    """No ordinary line of the project's own corpus (hard negatives included) is a sample."""
    lines = (PROJECT_CORPUS / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    ham = [row["text"] for row in rows if row["label"] == "ham"]
    assert ham
    assert [t for t in ham if BUNDLED.match(t) is not None] == []


def _padded(length: int) -> str:
    """TEMPLATE_EN after ordinary chat, `length` characters in all."""
    filler = "ok see you at the meetup tomorrow, bring the slides and the charger please. "
    head = (filler * (length // len(filler) + 1))[: max(0, length - len(TEMPLATE_EN) - 1)]
    return head + " " + TEMPLATE_EN


def test_template_in_a_longer_message_is_found_while_within_reach() -> None:
    """A sample inside a message up to 1/PARTIAL_SHARE times its length still matches, and the
    head-only reading of long messages agrees with reading them whole."""
    from bot.core.similarity import PARTIAL_SHARE, canonical, features

    reach = INDEX.reach
    assert reach == int(max(len(canonical(prepare(t).skeleton)) for t in INDEX.texts)
                        / PARTIAL_SHARE) + 1
    inside = _padded(int(len(TEMPLATE_EN) * 2))
    assert [h.category for h in hits(inside)] == ["fake_support"]
    for length in (int(reach * 0.9), reach * 2, reach * 3, 4_096):
        text = _padded(length)
        canon = canonical(prepare(text).skeleton)
        whole = INDEX.best(canon, features(canon))  # every step, no head reading
        assert [h.category for h in hits(text)] == ([whole[0].category] if whole else [])
    # past the reach nothing can match, whichever way it is read
    assert hits(_padded(reach * 3)) == []


def test_chat_samples_widen_the_reach() -> None:
    """A chat's long sample is still found inside a long message the bundled ones could not
    reach."""
    long_sample = " ".join([TEMPLATE_EN.replace("25 USDT", "30 USDT")] * 4)
    chat = SampleIndex.from_texts([long_sample])
    assert chat.reach > 3 * INDEX.reach
    text = "hi all, forwarding what I got today: " + long_sample
    assert hits(text) == []  # too long for the bundled samples' reach
    found = hits(text, INDEX, ChatContext(samples=chat))
    assert [h.category for h in found] == ["known_scam"]
