"""Impersonation of a chat's admins and of brands' support accounts."""

from __future__ import annotations

import pytest

from bot.core.detector import Message
from bot.core.impersonation import (
    ADMIN_RULE,
    BRAND_RULE,
    GENERIC_RULE,
    ImpersonationCheck,
    parse_name,
    screen_person,
)
from bot.core.links.brands import Brand
from bot.core.model import (
    ChatContext,
    ChatInfo,
    CheckRequest,
    ForwardOrigin,
    Person,
    Severity,
)
from bot.core.normalize import prepare

ALICE = Person("Alice", "alice", 1)
JOHN = Person("John Smith", "johnsmith", 2)
MINH = Person("Nguyễn Văn Minh", "minhnv", 3)
WANG = Person("王伟", "", 4)
SOMCHAI = Person("Somchai", "somchai", 5)
ADMINS = (ALICE, JOHN, MINH, WANG, SOMCHAI)
BRANDS = (
    Brand("binance", "Binance", aliases=("币安",), handles=("binance", "BinanceHelpDesk")),
    Brand("okx", "OKX", handles=("okx",)),
    Brand("trustwallet", "Trust Wallet", handles=("trustwallet",)),
    Brand("kucoin", "KuCoin", policy="exact"),
    Brand("curve", "Curve", policy="word"),
    Brand("mbbank", "MB Bank", aliases=("MB",)),
)
CHECK = ImpersonationCheck(BRANDS)
GROUP = ChatInfo("supergroup", "Crypto VN", ADMINS)


def run(
    sender: Person | None = None,
    forward: ForwardOrigin | None = None,
    chat: ChatInfo | None = GROUP,
    context: ChatContext | None = None,
) -> list[tuple[str, Severity, str]]:
    request = CheckRequest("gm everyone", sender=sender, forward_from=forward, chat=chat)
    message = Message(request, prepare(request.text), ())
    hits = CHECK(message, context or ChatContext())
    return [(h.rule, h.severity, h.reason) for h in hits]


def rules(**kwargs: object) -> list[str]:
    return [rule for rule, _, _ in run(**kwargs)]  # type: ignore[arg-type]


ADMIN_IMITATIONS = [
    ("support-word", Person("Alice Support", "ali_help_desk", 10)),
    ("username-support", Person("A.", "alice_support", 11)),
    ("username-digits", Person("Jo", "johnsmith88", 12)),
    ("username-underscore", Person("Ally", "a_lice", 13)),
    ("username-leet", Person("Ally", "al1ce_admin", 14)),
    ("swapped-letters", Person("Jonh Smith", "", 15)),
    ("copied-full-name", Person("John Smith", "johnny_s", 16)),
    ("name-plus-role", Person("John Smith | Admin", "", 17)),
    ("crossed-username", Person("Minhnv Moderator", "", 18)),
    ("vietnamese-role", Person("Nguyen Van Minh Hỗ Trợ", "", 19)),
    ("without-diacritics", Person("Nguyen Van Mihn", "", 20)),
    ("chinese-role", Person("Alice 客服", "", 21)),
    ("thai-role", Person("Alice แอดมิน", "", 22)),
    ("swedish-role", Person("Alice kundtjänst", "", 23)),
    ("cyrillic-a-and-role", Person("Аlice Support", "", 24)),
    ("cyrillic-copy", Person("Јоhn Ѕmith", "", 25)),
    ("greek-copy", Person("Jοhn Smιth", "", 26)),
    ("filler-words", Person("The real John Smith", "", 27)),
    ("from-support", Person("Alice from Support", "", 28)),
    ("emoji-badge", Person("John Smith ✅", "", 29)),
    ("chinese-name-role", Person("王伟客服", "", 30)),
    ("chinese-name-official", Person("王伟 官方", "", 31)),
]


@pytest.mark.parametrize(
    "sender", [s for _, s in ADMIN_IMITATIONS], ids=[i for i, _ in ADMIN_IMITATIONS]
)
def test_sender_imitating_an_admin_is_flagged(sender: Person) -> None:
    """A non-admin whose name or username imitates an admin gets impersonation.admin."""
    found = run(sender=sender)
    assert [(r, s) for r, s, _ in found] == [(ADMIN_RULE, Severity.HIGH)]


def test_admin_reason_names_the_field_and_the_admin() -> None:
    """The reason quotes the imitating name and the admin it imitates."""
    ((_, _, reason),) = run(sender=Person("Alice Support", "", 10))
    assert reason == 'display name "Alice Support" imitates admin Alice (@alice)'
    ((_, _, reason),) = run(sender=Person("Al", "alice_support", 11))
    assert reason == "username @alice_support imitates admin Alice (@alice)"


def test_forward_origin_imitating_an_admin_is_flagged() -> None:
    """A forwarded message whose origin imitates an admin is flagged and says so."""
    origin = ForwardOrigin("user", "Alice | Admin", "", 99)
    ((rule, _, reason),) = run(forward=origin)
    assert rule == ADMIN_RULE
    assert reason == 'forwarded from "Alice | Admin" imitates admin Alice (@alice)'


NOT_IMPERSONATION = [
    ("admin-by-id", Person("Alice Support", "", 1), ChatContext()),
    ("admin-by-username", Person("Alice Support", "alice", None), ChatContext()),
    (
        "trusted",
        Person("Alice Support", "ali_helper", 50),
        ChatContext(trusted_user_ids=frozenset({50})),
    ),
    (
        "allowed-handle",
        Person("Alice Support", "ali_helper", 51),
        ChatContext(allow_handles=frozenset({"ali_helper"})),
    ),
    ("same-first-name", Person("John Doe", "jdoe", 52), ChatContext()),
    ("first-name-and-more", Person("Alice Chen", "alicechen", 53), ChatContext()),
    ("same-short-first-name", Person("Alice", "ali_c", 54), ChatContext()),
    ("first-name-and-digits", Person("Alice", "alice2024", 54), ChatContext()),
    ("one-letter-substituted", Person("Joan Smith", "joan_s", 54), ChatContext()),
    ("common-first-name-copy", Person("Somchai", "somchai_t", 54), ChatContext()),
    ("other-minh", Person("Minh Trần", "minh_tran", 55), ChatContext()),
    ("word-with-team-inside", Person("Steam Deals", "steamdeals", 56), ChatContext()),
    ("indonesian-name-tim", Person("Tim", "tim_hartono", 57), ChatContext()),
    ("brand-fan-no-claim", Person("Binance Fan", "bnb_lover", 58), ChatContext()),
    ("team-rocket", Person("Team Rocket", "", 59), ChatContext()),
    ("vi-name", Person("Trần Thị Hoa", "hoatran", 60), ChatContext()),
    ("id-name", Person("Budi Santoso", "budis", 61), ChatContext()),
    ("zh-name", Person("王小明", "", 62), ChatContext()),
    ("th-admin-first-name", Person("Somchai", "", 62), ChatContext()),
    ("zh-namesake", Person("王伟", "wangwei88", 62), ChatContext()),
    ("th-name", Person("สมชาย ใจดี", "", 63), ChatContext()),
    ("ms-name", Person("Siti Aminah", "", 64), ChatContext()),
    ("tl-name", Person("Juan dela Cruz", "", 65), ChatContext()),
    ("sv-name", Person("Erik Johansson", "erikj", 66), ChatContext()),
    (
        "official-brand-handle",
        Person("Binance Customer Support", "BinanceHelpDesk", 67),
        ChatContext(),
    ),
    ("exact-policy-brand-typo", Person("KuKoin Support", "", 68), ChatContext()),
    ("word-policy-brand-typo", Person("Curvee Support", "", 69), ChatContext()),
    ("two-letter-alias", Person("MB Support", "", 69), ChatContext()),
]


@pytest.mark.parametrize(
    ("sender", "context"),
    [(s, c) for _, s, c in NOT_IMPERSONATION],
    ids=[i for i, _, _ in NOT_IMPERSONATION],
)
def test_not_impersonation(sender: Person, context: ChatContext) -> None:
    """Admins, trusted users, namesakes, ordinary names and official handles are not flagged."""
    assert run(sender=sender, context=context) == []


BRAND_SUPPORT = [
    ("customer-support", Person("Binance Customer Support", "bnb_desk_77", 70)),
    ("helpdesk", Person("OKX Helpdesk", "", 71)),
    ("team", Person("Trust Wallet Team", "", 72)),
    ("chinese-alias", Person("币安客服", "", 73)),
    ("typo", Person("Binnance Support", "", 74)),
    ("username-only", Person("Help", "binancesupport_official", 75)),
    ("indonesian", Person("Dukungan OKX", "", 76)),
    ("malay", Person("Sokongan Pelanggan Binance", "", 77)),
    ("exact-policy", Person("KuCoin Support", "", 78)),
    ("word-policy", Person("Curve Support", "", 79)),
    ("full-name-of-short-alias", Person("MB Bank Support", "", 79)),
]


@pytest.mark.parametrize(
    "sender", [s for _, s in BRAND_SUPPORT], ids=[i for i, _ in BRAND_SUPPORT]
)
def test_brand_support_name_is_flagged(sender: Person) -> None:
    """A name that claims a brand's support and is not its official handle is flagged."""
    assert [(r, s) for r, s, _ in run(sender=sender)] == [(BRAND_RULE, Severity.HIGH)]


def test_brand_reason_lists_official_handles() -> None:
    """The brand reason names the brand and its official accounts."""
    ((_, _, reason),) = run(sender=Person("Binance Customer Support", "bnb_desk", 70))
    assert reason == (
        "the name claims to be Binance support, but Binance's official accounts are "
        "@binance, @BinanceHelpDesk"
    )


def test_forwarded_channel_posing_as_brand_support() -> None:
    """A message forwarded from a channel titled like a brand's support is flagged."""
    origin = ForwardOrigin("channel", "Binance Support", "binance_support_vn", -100)
    assert rules(forward=origin, chat=ChatInfo("private")) == [BRAND_RULE]


GENERIC = [
    ("en", "Support"),
    ("en-phrase", "Customer Service"),
    ("en-digits", "Admin 24/7"),
    ("vi", "Hỗ trợ khách hàng"),
    ("id", "Layanan Pelanggan"),
    ("zh", "客服"),
    ("th", "ฝ่ายบริการลูกค้า"),
    ("ms", "Khidmat Pelanggan"),
    ("tl", "Suporta"),
    ("sv", "Kundtjänst"),
]


@pytest.mark.parametrize("name", [n for _, n in GENERIC], ids=[i for i, _ in GENERIC])
def test_generic_support_name_in_a_group(name: str) -> None:
    """A non-admin called just "Support" (in any language) in a group is a medium hit."""
    assert [(r, s) for r, s, _ in run(sender=Person(name, "", 80))] == [
        (GENERIC_RULE, Severity.MEDIUM)
    ]


def test_generic_support_name_not_flagged_in_private_chat() -> None:
    """In a private chat the sender is the user asking the bot and is not screened."""
    assert run(sender=Person("Support", "", 80), chat=ChatInfo("private")) == []


def test_side_words_alone_are_not_a_support_claim() -> None:
    """A name made only of side words ("Team", "Help") is not posing as support."""
    assert run(sender=Person("Help", "", 81)) == []
    assert run(sender=Person("The Team", "", 82)) == []


def test_without_admin_list_only_brand_and_generic_apply() -> None:
    """Without admins, an admin-like name is not matched but brand support still is."""
    chat = ChatInfo("supergroup", "t", ())
    assert run(sender=Person("Alice Support", "", 10), chat=chat) == []
    assert rules(sender=Person("OKX Helpdesk", "", 71), chat=chat) == [BRAND_RULE]


SCREEN = [
    ("admin-imitation", Person("Alice Support", "", 90), frozenset(), [ADMIN_RULE]),
    ("brand", Person("OKX Helpdesk", "", 91), frozenset(), [BRAND_RULE]),
    ("generic", Person("Admin", "", 92), frozenset(), [GENERIC_RULE]),
    ("trusted", Person("Admin", "", 93), frozenset({93}), []),
    ("ordinary", Person("Linh", "linh_nguyen", 94), frozenset(), []),
    ("the-admin", Person("Alice", "alice", 1), frozenset(), []),
]


@pytest.mark.parametrize(
    ("person", "trusted", "expected"),
    [(p, t, e) for _, p, t, e in SCREEN],
    ids=[i for i, *_ in SCREEN],
)
def test_screen_person(person: Person, trusted: frozenset[int], expected: list[str]) -> None:
    """Join screening applies the same rules to one person without a message."""
    hits = screen_person(person, ADMINS, BRANDS, trusted)
    assert [h.rule for h in hits] == expected
    assert all(h.category == "fake_support" for h in hits)


@pytest.mark.parametrize(
    ("text", "core", "role"),
    [
        ("binancesupport", "binance", True),
        ("币安客服", "币安", True),
        ("Trust Wallet Team", "trustwallet", False),
        ("al1ce2024", "alice", False),
        ("Steam", "steam", False),
    ],
    ids=["glued-role", "chinese-glued", "side-word", "leet-digits", "no-false-affix"],
)
def test_parse_name_reduces_to_core(text: str, core: str, role: bool) -> None:
    """Names reduce to their core words, with role words and digits taken off."""
    name = parse_name(text)
    assert (name.core, name.role) == (core, role)


@pytest.mark.parametrize(
    "text",
    ["I'm staff here, DM me if your withdrawal is stuck",
     "Tôi là admin ở đây, nhắn riêng cho tôi nếu rút tiền bị kẹt"],
)
def test_admin_impostor_offering_help_is_a_scam(text: str) -> None:
    """A sender named like the admin who offers help or pulls readers into a private chat is
    a scam (a critical offer hit beside the name hit), in any language of the lexicon."""
    from bot.core.detector import Detector
    from bot.core.model import ChatInfo, CheckRequest, Person
    from bot.core.ruleset import load_ruleset
    from rules import RULES_DIR

    detector = Detector(load_ruleset(RULES_DIR))
    chat = ChatInfo("supergroup", "G", (Person("Mai", "mai_admin", 1),))
    impostor = Person("Mai Admin | Help", "mai_adm1n", 55)
    verdict = detector.check(CheckRequest(text, sender=impostor, chat=chat))
    assert verdict.verdict == "scam"
    rules = {h.rule for h in verdict.hits if not h.rule.startswith("model.")}
    # the name and the offer; the claim to be staff may also meet the phrase rules
    assert {"impersonation.admin", "impersonation.offers-help"} <= rules
    # any other hit is one of the fake-support phrase rules, never another category's
    assert {h.category for h in verdict.hits if not h.rule.startswith("model.")
            and h.rule not in ("impersonation.admin", "impersonation.offers-help")} <= {
        "fake_support"}
    plain = detector.check(CheckRequest("gm everyone", sender=impostor, chat=chat))
    assert "impersonation.offers-help" not in {h.rule for h in plain.hits}
    advice = detector.check(CheckRequest("Admins will never DM you first, beware of fakes",
                                         sender=impostor, chat=chat))
    assert "impersonation.offers-help" not in {h.rule for h in advice.hits}
