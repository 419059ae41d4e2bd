"""Reply texts, contacts and rendering: what people read, in every language, escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.core.model import ForwardOrigin, Hit, Person, Severity, Verdict
from bot.errors import RuleSetError
from bot.replies import (
    Html,
    Texts,
    contacts_for,
    escape,
    hit_reason,
    inert,
    load_texts,
    parse_contacts,
    parse_messages,
    render_evidence,
    render_group_warning,
    render_private_verdict,
)
from rules import RULES_DIR

LANGS = ("en", "vi", "id", "zh", "th", "ms", "tl", "sv")
REGIONS = ("VN", "ID", "CN", "HK", "TW", "SG", "TH", "MY", "PH", "SE")
HOSTILE = "<b>Admin</b> & \u202eevil\u202c"

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
LOOKALIKE = Hit("link.lookalike", "lookalike_link", Severity.HIGH,
                "binance-support.xyz imitates binance.com")
UNKNOWN_RULE = Hit("brand-new-family.rule", "investment", Severity.MEDIUM,
                   "promises fixed daily profits")
SCAM = Verdict("scam", 0.99, (SEED, LOOKALIKE))
SUSPICIOUS = Verdict("suspicious", 0.5, (UNKNOWN_RULE,))
CLEAN = Verdict("clean", 0.0, ())


@pytest.fixture(scope="module")
def texts() -> Texts:
    return load_texts(RULES_DIR)


def _tags_balanced(text: str) -> bool:
    stack: list[str] = []
    for closing, tag in re.findall(r"<(/?)([a-z]+)[^>]*>", text):
        if not closing:
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return False
    return not stack


def test_every_language_is_bundled(texts: Texts) -> None:
    """The eight languages load from the bundled rules folder with the same keys."""
    assert set(texts.languages) == set(LANGS)
    keys = {lang: set(texts.catalogs[lang]) for lang in LANGS}
    assert all(keys[lang] == keys["en"] for lang in LANGS)


def test_translations_differ_from_english(texts: Texts) -> None:
    """Each language has its own wording for the verdicts, not a copy of English."""
    for lang in LANGS[1:]:
        for key in ("verdict.scam", "verdict.clean", "private.start", "tip.key_request"):
            assert texts.raw(lang, key) != texts.raw("en", key), (lang, key)


def test_contacts_file_structure() -> None:
    """Every contact has a region, a kind, a source URL and is confirmed."""
    data = yaml.safe_load((RULES_DIR / "contacts.yaml").read_text(encoding="utf-8"))
    entries = data["contacts"]
    assert entries
    for entry in entries:
        assert re.fullmatch(r"[A-Z]{2}", entry["region"]), entry
        assert entry["kind"] in ("phone", "web", "app", "email", "telegram"), entry
        assert re.match(r"https?://\S+$", entry["source_url"]), entry
        assert entry["confirmed"] is True, entry
        assert str(entry["value"]).strip() and str(entry["agency"]).strip(), entry
    regions = {e["region"] for e in entries}
    assert set(REGIONS) <= regions
    everyone = {e["value"] for e in entries if e.get("everyone")}
    assert "@NoToScam" in everyone
    assert any("Report" in value for value in everyone)


@pytest.mark.parametrize("region", REGIONS)
def test_contacts_for_region_end_with_telegram(region: str) -> None:
    """A region's own contacts come first, then Telegram's for everyone."""
    found = contacts_for(region)
    assert found[0].region == region
    assert found[-1].everyone and found[-2].everyone
    assert {c.value for c in found if c.everyone} >= {"@NoToScam"}


def test_unknown_region_gets_telegram_contacts() -> None:
    """A region without contacts still gets @NoToScam and the in-app Report."""
    found = contacts_for("US")
    assert [c.region for c in found] == ["ZZ", "ZZ"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("\u202eevil\u202c name", "evil name"),
        ("\u2066iso\u2069\u200f", "iso"),
        ("plain", "plain"),
    ],
    ids=["tags", "ampersand", "rlo-override", "isolates-and-marks", "plain"],
)
def test_escape(text: str, expected: str) -> None:
    """User text loses bidi controls and has <, > and & escaped."""
    assert escape(text) == expected


def test_escape_limits_length() -> None:
    """A huge name is cut with an ellipsis."""
    assert len(escape("x" * 500, 64)) == 64


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("verdict", [SCAM, SUSPICIOUS], ids=["scam", "suspicious"])
def test_group_warning_escapes_hostile_sender(texts: Texts, lang: str, verdict: Verdict) -> None:
    """A sender named with tags, & and bidi controls is shown escaped, in every language."""
    sender = Person(name=HOSTILE, username="evil_admin", id=7)
    out = render_group_warning(verdict, texts=texts, lang=lang, region="SG", sender=sender)
    assert "<b>Admin</b>" not in out
    assert "&lt;b&gt;Admin&lt;/b&gt; &amp; evil" in out
    assert "\u202e" not in out
    assert _tags_balanced(out)
    assert "1799" in out and "@NoToScam" in out


@pytest.mark.parametrize(
    ("action", "needle"),
    [("warn", "Do not answer"), ("delete", "I deleted it."),
     ("restrict", "muted the sender for 12 h"), ("ban", "removed the sender")],
    ids=["warn", "delete", "restrict", "ban"],
)
def test_group_warning_says_what_was_done(texts: Texts, action: str, needle: str) -> None:
    """The warning names the action the bot took."""
    out = render_group_warning(SCAM, texts=texts, action=action, hours=12, sender="x")
    assert needle in out


def test_group_warning_burst_counts_messages(texts: Texts) -> None:
    """An aggregated warning gives the number of scam messages instead of a sender."""
    out = render_group_warning(SCAM, texts=texts, lang="vi", count=5, region="VN")
    assert "5 tin lừa đảo" in out
    assert "156 / 5656" in out


def test_group_warning_has_one_tip_of_the_worst_category(texts: Texts) -> None:
    """The tip is the one of the most severe hit's category."""
    out = render_group_warning(SCAM, texts=texts, lang="en")
    assert texts.raw("en", "tip.key_request").split(".")[0] in out
    assert texts.raw("en", "tip.lookalike_link") not in out


@pytest.mark.parametrize("lang", LANGS)
def test_private_verdict_reasons_in_language(texts: Texts, lang: str) -> None:
    """A rule family is explained in the reader's language; English shows the detector's
    own reason."""
    out = render_private_verdict(SCAM, texts=texts, lang=lang, region="TH")
    if lang == "en":
        assert SEED.reason in out and inert(LOOKALIKE.reason) in out
    else:
        assert escape(texts.raw(lang, "rule.key-request.seed-phrase")) in out
        assert escape(texts.raw(lang, "rule.link.lookalike")) in out
        assert LOOKALIKE.reason not in out
    assert texts.raw(lang, "verdict.scam").split("<")[0] in out
    assert "1441" in out
    assert _tags_balanced(out)


def test_private_verdict_unknown_rule_uses_category_or_own_reason(texts: Texts) -> None:
    """English shows the hit's own reason; other languages fall back to the category text."""
    en = render_private_verdict(SUSPICIOUS, texts=texts, lang="en")
    vi = render_private_verdict(SUSPICIOUS, texts=texts, lang="vi")
    assert "promises fixed daily profits" in en
    assert escape(texts.raw("vi", "category.investment")) in vi
    assert "promises fixed daily profits" not in vi


@pytest.mark.parametrize("lang", LANGS)
def test_a_taken_back_verdict_says_it_reads_as_a_warning(texts: Texts, lang: str) -> None:
    """A forwarded safety tip whose rule hits the learned layer took back: clean, with a
    note that it reads as a warning or a report, and the rule hits still listed."""
    verdict = replace(SUSPICIOUS, verdict="clean", taken_back="framed")
    out = render_private_verdict(verdict, texts=texts, lang=lang)
    assert texts.raw(lang, "verdict.clean") in out
    assert escape(texts.raw(lang, "verdict.taken_back")) in out
    assert texts.raw(lang, "label.why") in out
    plain = render_private_verdict(CLEAN, texts=texts, lang=lang)
    assert escape(texts.raw(lang, "verdict.taken_back")) not in plain


@pytest.mark.parametrize("lang", LANGS)
def test_clean_result_is_honest_and_advises(texts: Texts, lang: str) -> None:
    """A clean result says no known pattern was found and still gives the core advice."""
    out = render_private_verdict(CLEAN, texts=texts, lang=lang, region="SE")
    assert texts.raw(lang, "verdict.clean") in out
    assert escape(texts.raw(lang, "verdict.clean_note")) in out
    for line in texts.raw(lang, "advice"):
        assert escape(line) in out
    assert texts.raw(lang, "label.why") not in out
    assert "114 14" in out


@pytest.mark.parametrize(
    ("origin", "needle"),
    [
        (ForwardOrigin("channel", "Crypto <News>", "cnews", -100),
         "the channel Crypto &lt;News&gt;"),
        (ForwardOrigin("hidden_user", "Support & Co"), "Support &amp; Co (hidden account)"),
        (ForwardOrigin("user", "Ann", "ann", 5), "Ann (@ann)"),
        (ForwardOrigin("chat", "\u202eGroup", "", -5), "the group Group"),
    ],
    ids=["channel", "hidden-user", "user", "chat-bidi"],
)
def test_private_verdict_shows_forward_origin(
    texts: Texts, origin: ForwardOrigin, needle: str
) -> None:
    """The forward origin is named, escaped, with its kind."""
    out = render_private_verdict(SCAM, texts=texts, origin=origin)
    assert needle in out


def test_evidence_lists_indicators_escaped(texts: Texts) -> None:
    """The evidence summary lists every indicator, escaped, and the agency for the region."""
    indicators = {
        "sender": {"name": "<i>Bob</i>", "username": "bob", "id": 1},
        "origin": {"name": "Support", "type": "hidden_user"},
        "links": ["https://evil.example/?a=1&b=<2>"],
        "addresses": [{"value": "0x52908400098527886E0F7030069857D2E4169EE7", "chain": "eth"}],
        "phones": ["+84 912 345 678"],
        "handles": ["@fake_support"],
        "times": ["2026-11-24T01:00:00+00:00"],
    }
    out = render_evidence(indicators, texts=texts, lang="en", region="PH", verdict="scam")
    assert "&lt;i&gt;Bob&lt;/i&gt; (@bob) [id 1]" in out
    assert "https://evil.example/?a=1&amp;b=&lt;2&gt;" in out
    assert "0x52908400098527886E0F7030069857D2E4169EE7 (eth)" in out
    assert "+84 912 345 678" in out and "@fake_support" in out
    assert "E-mail addresses: none found" in out
    assert "CICC" in out
    assert _tags_balanced(out)


@pytest.mark.parametrize(
    ("code", "lang", "region"),
    [
        ("vi", "vi", "VN"), ("en", "en", "ZZ"), ("en-SG", "en", "SG"), ("zh-hans", "zh", "CN"),
        ("zh-hant", "zh", "TW"), ("zh-HK", "zh", "HK"), ("fil", "tl", "PH"), ("ms", "ms", "MY"),
        ("sv-SE", "sv", "SE"), ("de", "en", "ZZ"), (None, "en", "ZZ"), ("th", "th", "TH"),
    ],
    ids=lambda v: str(v),
)
def test_language_and_region_from_telegram_code(
    texts: Texts, code: str | None, lang: str, region: str
) -> None:
    """A Telegram language_code gives the reply language and the default region."""
    assert texts.language(code) == lang
    assert texts.region_of(code) == region


def test_text_escapes_values_but_not_html(texts: Texts) -> None:
    """Placeholder values are escaped unless they are already Html."""
    raw = texts.text("en", "admin.allow_done", item="<script>")
    safe = texts.text("en", "admin.allow_done", item=Html("<b>x</b>"))
    assert "&lt;script&gt;" in raw
    assert "<b>x</b>" in safe


GOOD = """lang: xx
name: Test
verdict:
  scam: "<b>Scam</b> {count}"
"""


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("lang: xx\nname: T\nverdict:\n  scam: \"<b>open\"\n", 4, "<b> is not closed"),
        ("lang: xx\nname: T\nverdict:\n  scam: \"<a href='x'>l</a>\"\n", 4, "tag <a>"),
        ("lang: xx\nname: T\nverdict:\n  scam: \"{count!r}\"\n", 4, "plain name"),
        ("lang: xx\nname: T\nverdict:\n  scam: [unclosed\n", 5, "not valid YAML"),
        ("lang: xx\nname: T\na: x\na: y\n", 4, "duplicate key 'a'"),
        ("lang: xx\nname: T\nverdict:\n  scam: \"\"\n", 4, "empty text"),
        ("name: T\nverdict: x\n", 1, "'lang'"),
        ("lang: xx\nname: T\nverdict:\n  scam: \"I <3 you\"\n", 4, "&lt;"),
        ("lang: xx\nname: T\nverdict:\n  scam: \"Tom & Jerry\"\n", 4, "&amp;"),
    ],
    ids=["unclosed-tag", "tag-not-allowed", "conversion", "bad-yaml", "duplicate", "empty",
         "no-lang", "bare-lt", "bare-amp"],
)
def test_parse_messages_reports_path_and_line(text: str, line: int, reason: str) -> None:
    """A broken messages file is reported as path:line: reason."""
    with pytest.raises(RuleSetError) as info:
        parse_messages(text, "messages/xx.yaml")
    assert any(e.path == "messages/xx.yaml" and e.line == line and reason in e.message
               for e in info.value.errors), [str(e) for e in info.value.errors]


def test_translation_with_unknown_placeholder_fails(tmp_path: Path) -> None:
    """A translation may not use a placeholder English does not fill."""
    folder = tmp_path / "messages"
    folder.mkdir()
    (folder / "en.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "en.yaml").write_text(GOOD.replace("xx", "en"), encoding="utf-8")
    (folder / "vi.yaml").write_text(
        GOOD.replace("xx", "vi").replace("{count}", "{amount}"), encoding="utf-8")
    (tmp_path / "contacts.yaml").write_text((RULES_DIR / "contacts.yaml").read_text("utf-8"),
                                            encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_texts(tmp_path)
    assert [str(e) for e in info.value.errors] == [
        f"{folder / 'vi.yaml'}:4: verdict.scam: unknown placeholder {{amount}}"
    ]


def test_translation_missing_key_fails(tmp_path: Path) -> None:
    """A language without a text English has is an error naming the key."""
    folder = tmp_path / "messages"
    folder.mkdir()
    (folder / "en.yaml").write_text(GOOD.replace("xx", "en") + "  clean: ok\n", "utf-8")
    (folder / "sv.yaml").write_text(GOOD.replace("xx", "sv"), encoding="utf-8")
    (tmp_path / "contacts.yaml").write_text((RULES_DIR / "contacts.yaml").read_text("utf-8"),
                                            encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_texts(tmp_path)
    assert "missing text 'verdict.clean'" in str(info.value)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"confirmed": False}, "only confirmed"),
        ({"source_url": "scamshield.gov.sg"}, "source_url"),
        ({"kind": "fax"}, "kind must be"),
        ({"region": "Singapore"}, "two-letter"),
        ({"agency": ""}, "without 'agency'"),
    ],
    ids=["unconfirmed", "no-url", "bad-kind", "bad-region", "no-agency"],
)
def test_parse_contacts_rejects_bad_entries(entry: dict[str, object], reason: str) -> None:
    """A contact that is unconfirmed or lacks a source is refused with its line."""
    base = {"region": "SG", "agency": "ScamShield", "kind": "phone", "value": "1799",
            "use": "hotline", "source_url": "https://scamshield.gov.sg", "confirmed": True}
    good = yaml.safe_dump({"contacts": [base, {**base, **entry}]}, sort_keys=False)
    with pytest.raises(RuleSetError) as info:
        parse_contacts(good, "contacts.yaml")
    (error,) = info.value.errors
    assert error.line is not None and error.line > 2 and reason in error.message


def test_long_verdict_stays_within_telegram_limit(texts: Texts) -> None:
    """Even with many hits and long names a private verdict fits one Telegram message."""
    hits = tuple(Hit(f"x.rule-{i}", "other", Severity.HIGH, "r" * 300) for i in range(30))
    out = render_private_verdict(Verdict("scam", 1.0, hits), texts=texts, lang="en",
                                 origin=ForwardOrigin("user", "n" * 5000, "u", 1))
    assert len(out) < 4096


def test_entities_and_allowed_tags_parse() -> None:
    """Escaped characters and the allowed tags are accepted."""
    parsed = parse_messages(
        'lang: xx\nname: T\nverdict:\n  scam: "<b>Tom &amp; Jerry</b> &lt;3 &#128512;"\n')
    assert parsed.texts["verdict.scam"] == "<b>Tom &amp; Jerry</b> &lt;3 &#128512;"


@pytest.mark.parametrize(
    ("region", "agency"),
    [("SG", "Singapore Police Force - online police report"),
     ("CN", "国家反诈中心 APP（仅从官方应用商店下载）"),
     ("ZZ", "Telegram @NoToScam"), ("US", "Telegram @NoToScam"), (None, "Telegram @NoToScam")],
    ids=["sg-report", "cn-report", "global", "unknown", "none"],
)
def test_report_agency(texts: Texts, region: str | None, agency: str) -> None:
    """Evidence goes to the region's first reporting channel, else to Telegram's."""
    found = texts.report_agency(region)
    assert found is not None and found.agency == agency


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reasons_from_message_content_are_escaped(texts: Texts, lang: str) -> None:
    """A hit reason quoting the message (a link's name) is escaped, bidi controls removed."""
    hit = Hit("link.lookalike", "lookalike_link", Severity.HIGH,
              "<b>x</b>&\u202ebinance.com imitates binance.com")
    unknown = Hit("new.family", "made_up_category", Severity.HIGH, "<i>&\u2067</i>")
    for render in (render_private_verdict, render_group_warning):
        out = render(Verdict("scam", 0.99, (hit, unknown)), texts=texts, lang=lang)
        assert "<b>x</b>" not in out and "<i>&" not in out
        assert "\u202e" not in out and "\u2067" not in out
        assert _tags_balanced(out)


@pytest.mark.parametrize(("lang", "needle"),
                         [("vi", "Hồ sơ hoặc tin nhắn &gt; ⋯ &gt; Báo cáo"),
                          ("en", "Profile or message &gt; ⋯ &gt; Report")],
                         ids=["vi", "en"])
def test_telegram_report_button_in_readers_language(texts: Texts, lang: str,
                                                    needle: str) -> None:
    """The in-app Report path is written in the reader's language where the file has it."""
    assert needle in render_group_warning(SCAM, texts=texts, lang=lang, region="VN")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Binance Support (@binance_helpdesk_24)",
         "Binance Support (<code>@binance_helpdesk_24</code>)"),
        ("names binance.com but opens binance-verify.xyz",
         "names <code>binance.com</code> but opens <code>binance-verify.xyz</code>"),
        ("see https://x.example/a?b=<i>&c", "see <code>https://x.example/a?b=&lt;i&gt;&amp;c</code>"),
        ("write to help@desk.example", "write to <code>help@desk.example</code>"),
        ("version 2.0, e.g. this", "version 2.0, e.g. this"),
    ],
    ids=["handle", "domains", "url-escaped", "email", "no-link"],
)
def test_inert_keeps_scam_links_from_being_tappable(text: str, expected: str) -> None:
    """Links, domains, e-mails and @usernames in a warning are escaped and shown as code."""
    assert inert(text) == expected


def test_group_warning_does_not_link_the_scammer() -> None:
    """The sender's handle and a reason's domain appear as inert code in a group warning."""
    from bot.core.model import Hit, Person, Severity, Verdict
    from bot.replies import render_group_warning

    verdict = Verdict("scam", 0.99, (Hit("link.lookalike", "lookalike_link", Severity.HIGH,
                                         "www.blnance.com imitates Binance"),))
    html = render_group_warning(verdict, sender=Person("Support", "binance_helpdesk_24", 5))
    assert "<code>@binance_helpdesk_24</code>" in html
    assert "<code>www.blnance.com</code>" in html


@pytest.mark.parametrize("lang", ["en", "vi", "zh", "th"])
def test_evidence_speaks_the_readers_language(texts: Texts, lang: str) -> None:
    """The evidence summary names the verdict and a hidden forwarder in words, not codes."""
    out = render_evidence({"origin": {"name": "Trust Wallet Support", "type": "hidden_user"}},
                          texts=texts, lang=lang, verdict="scam")
    assert "<b>scam</b>" not in out and "<hidden_user>" not in out
    assert "Trust Wallet Support" in out
    assert _tags_balanced(out)


def test_clean_answer_lists_places_to_report_not_lookup_tools(texts: Texts) -> None:
    """After a clean result the contacts are places to report, not brand look-up tools."""
    clean = Verdict("clean", 0.0, ())
    out = render_private_verdict(clean, texts=texts, lang="en", region="ZZ")
    assert "Binance Verify" not in out and "Chainabuse" not in out and "@NoToScam" in out
    scam = render_private_verdict(SCAM, texts=texts, lang="en", region="ZZ")
    assert "Chainabuse" in scam


def test_secret_requests_are_explained_by_their_own_rule(texts: Texts) -> None:
    """Every key_request rule has its own reason in every language: a request for a password
    or login is never explained as a request for a recovery phrase."""
    from bot.core import load_ruleset
    from rules import RULES_DIR

    rules = [r for r in load_ruleset(RULES_DIR).patterns.rules if r.category == "key_request"]
    missing = [
        (lang, r.id) for lang in LANGS for r in rules
        if not any(texts.lookup(lang, "rule." + ".".join(r.id.split(".")[:end]))
                   for end in range(len(r.id.split(".")), 0, -1))
    ]
    assert missing == []


def _family_text(texts: Texts, lang: str, rule_id: str) -> str | None:
    """The `rule.` text of a rule id or its longest prefix that has one."""
    parts = rule_id.split(".")
    for end in range(len(parts), 0, -1):
        found = texts.lookup(lang, "rule." + ".".join(parts[:end]))
        if found:
            return found
    return None


@pytest.mark.parametrize("lang", LANGS)
def test_every_shipped_rule_has_its_own_text(texts: Texts, lang: str) -> None:
    """Every shipped rule is explained by a rule or family text, never by the category."""
    from bot.core import load_ruleset

    rules = load_ruleset(RULES_DIR).patterns.rules
    missing = [r.id for r in rules if _family_text(texts, lang, r.id) is None]
    assert missing == []


@pytest.mark.parametrize(
    ("rule_id", "category", "key"),
    [
        ("giveaway.some-new-rule", "giveaway", "rule.giveaway"),
        ("giveaway.double-back", "giveaway", "rule.giveaway.double-back"),
        ("lang-zh.official.safe-account", "official_impersonation",
         "rule.lang-zh.official.safe-account"),
        ("lang-zh.official.self-claim", "official_impersonation", "rule.lang-zh.official"),
        ("lang-th.loan.fee-first", "advance_fee", "rule.lang-th.loan.fee-first"),
        ("lang-th.loan.rights-link", "advance_fee", "rule.lang-th.loan"),
        ("lang-id.some-new-rule", "advance_fee", "rule.lang-id"),
        ("persuasion.final-fee", "investment", "rule.persuasion.final-fee"),
        ("persuasion.doubt-answered-pay", "advance_fee", "rule.persuasion"),
    ],
    ids=["family", "own-rule", "own-rule-3-parts", "two-part-family", "loan-fee",
         "loan-family", "language-catch-all", "persuasion-own-rule", "persuasion-family"],
)
def test_hit_reason_uses_longest_prefix(texts: Texts, rule_id: str, category: str,
                                        key: str) -> None:
    """A hit is explained by the text of its longest id prefix in every non-English language."""
    hit = Hit(rule_id, category, Severity.HIGH, "english reason")
    for lang in LANGS[1:]:
        assert hit_reason(texts, lang, hit) == texts.raw(lang, key)
        assert hit_reason(texts, lang, hit) != texts.raw(lang, f"category.{category}")


@pytest.mark.parametrize("lang", LANGS[1:])
def test_rule_texts_are_translated_short_clauses(lang: str) -> None:
    """Rule texts are translated (not the English words), short, and complete a sentence
    without closing it."""
    folder = RULES_DIR / "messages"
    english = yaml.safe_load((folder / "en.yaml").read_text(encoding="utf-8"))["rule"]
    own = yaml.safe_load((folder / f"{lang}.yaml").read_text(encoding="utf-8"))["rule"]
    assert [key for key, text in own.items() if text == english[key]] == []
    assert [key for key, text in own.items() if len(text) > 120] == []
    assert [key for key, text in own.items() if text.rstrip()[-1] in ".。!！"] == []
    assert [key for key, text in own.items() if text[0].isupper()] == []
