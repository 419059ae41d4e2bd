"""The phrase-rule engine: matching, scope, guards, and rule-file errors with path:line."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import re2

from bot.core.detector import Message
from bot.core.links import extract_links
from bot.core.model import CheckRequest
from bot.core.normalize import prepare
from bot.core.patterns import PatternRules, compile_pattern_rules, load_pattern_rules
from bot.core.yamlfile import load_yaml
from bot.errors import RuleFileError, RuleSetError

LEXICON = """
lang: en
concepts:
  ask: [send, share, "give me", "verif*"]
  seed_phrase: ["seed phrase", "recovery phrase", "/\\\\b(12|24)[ -]?words?\\\\b/"]
  support_claim: ["i am support", "support team"]
  negation: [never, "do not", "don't"]
  advice: ["beware of", "stay safe"]
  discussion: ["is this a scam", "someone asked me"]
  clause_break: [but]
  not_negation: ["don't miss", "do not hesitate"]
"""

LEXICON_ZH = """
lang: zh
concepts:
  ask: [发给我, 提供]
  seed_phrase: [助记词]
"""

RULES = """
rules:
  - id: key-request.seed-phrase
    category: key_request
    severity: critical
    reason: asks for a wallet recovery phrase
    all: [ask, seed_phrase]
    examples:
      match: ["send your seed phrase"]
      no_match: ["never share your seed phrase"]
  - id: fake-support.contact
    category: fake_support
    severity: high
    reason: claims to be support and points to a contact
    all: [support_claim]
    any: ["@contact"]
    scope: message
    guarded: false
    examples:
      match: ["I am support, write to @helpdesk_real"]
      no_match: ["I am support"]
"""


def build(lexicons: list[str] = (LEXICON, LEXICON_ZH), rules: str = RULES) -> PatternRules:  # type: ignore[assignment]
    lex = [(load_yaml(text, f"lexicon/{i}.yaml"), f"lexicon/{i}.yaml")
           for i, text in enumerate(lexicons)]
    return compile_pattern_rules(lex, [(load_yaml(rules, "patterns/x.yaml"), "patterns/x.yaml")])


def message(text: str) -> Message:
    return Message(CheckRequest(text), prepare(text), extract_links(text))


ENGINE = build()


def fired(text: str, engine: PatternRules = ENGINE) -> list[str]:
    """The ids of the rules that fire on `text` (the shared test rule set by default)."""
    return [r.id for r in engine.fired(message(text))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Please send me your seed phrase now", ["key-request.seed-phrase"]),
        ("SEND your Seed Phrase", ["key-request.seed-phrase"]),
        ("give me the 12 words to verify", ["key-request.seed-phrase"]),
        ("verification needs your 24-word phrase", ["key-request.seed-phrase"]),
        ("the sender wrote a seed phrase", []),
        ("send it. your seed phrase is safe with you", []),
        ("Never share your seed phrase with anyone", []),
        ("Do not send the recovery phrase to anybody", []),
        ("Don't worry about fees, but send your seed phrase", ["key-request.seed-phrase"]),
        ("Beware of people asking you to send your seed phrase", []),
        ("Someone asked me to send my seed phrase, is this a scam?", []),
        ("请把助记词发给我", ["key-request.seed-phrase"]),
        ("请提供你的助记词", ["key-request.seed-phrase"]),
        ("send 助记词 please", ["key-request.seed-phrase"]),
    ],
    ids=[
        "plain", "case", "regex-term", "prefix-term", "word-boundary", "other-sentence",
        "negated", "negated-do-not", "negation-other-clause", "advice-frame",
        "discussion-frame", "zh", "zh-2", "mixed-language",
    ],
)
def test_seed_phrase_rule(text: str, expected: list[str]) -> None:
    """Concepts must meet in one sentence; negation, advice and discussion cancel the request."""
    assert fired(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am support. Write to @helpdesk_real for help", ["fake-support.contact"]),
        ("I am support. Open https://example.org/ticket", ["fake-support.contact"]),
        ("I am support", []),
        ("Beware of fake accounts: I am support, DM @helpdesk_real", ["fake-support.contact"]),
    ],
    ids=["handle-other-sentence", "link", "no-contact", "unguarded-rule-ignores-framing"],
)
def test_message_scope_and_builtins(text: str, expected: list[str]) -> None:
    """Message-scoped rules combine across sentences; @contact comes from handles and links."""
    assert fired(text) == expected


def test_not_concept_blocks_rule() -> None:
    """A concept listed under `not` in the same sentence stops the rule."""
    rules = RULES.replace(
        "all: [ask, seed_phrase]", "all: [ask, seed_phrase]\n    not: [support_claim]"
    )
    engine = build(rules=rules)
    assert [r.id for r in engine.fired(message("send your seed phrase"))] == [
        "key-request.seed-phrase"]
    assert engine.fired(message("support team: send your seed phrase")) == []


def test_message_scope_guard_counts_before_appended_advice_only() -> None:
    """A guarded message-scoped rule's `not` concept anywhere before the first advice stops
    it; the same words after the advice's words, appended to the scam, do not clear it."""
    lexicon = LEXICON.replace(
        'discussion: ["is this a scam", "someone asked me"]',
        'discussion: ["is this a scam", "someone asked me"]\n  story: ["task scam*", "my cousin"]',
    )
    rules = RULES.replace(
        "    scope: message\n    guarded: false",
        "    not: [story]\n    scope: message",
    )
    engine = build(lexicons=[lexicon, LEXICON_ZH], rules=rules)

    ids = partial(fired, engine=engine)

    assert ids("I am support. Write to @helpdesk_real") == ["fake-support.contact"]
    # the guard before or beside the claim: a story, not the act
    assert ids("My cousin says: I am support. Write to @helpdesk_real") == []
    assert ids("I am support. Write to @helpdesk_real, my cousin") == []
    # the guard's words inside appended advice: the scam stands
    assert ids("I am support. Write to @helpdesk_real. Stay safe from task scams!") == [
        "fake-support.contact"]
    # ... but a guard that opens the advice's own sentence is the writer's statement, said
    # before the advice ("TIADA bayaran, admin takkan PM dulu")
    assert ids("I am support. Write to @helpdesk_real. My cousin, stay safe!") == []


def test_a_head_that_holds_its_own_negation_is_not_undone_by_an_earlier_one() -> None:
    """A concept written as a negative order ("don't call the bank") is negated by none of
    the negations before it in its clause ("don't hang up and don't call the bank"); a
    plain head still is ("don't send the seed phrase")."""
    lexicon = LEXICON.replace(
        'clause_break: [but]',
        'clause_break: [but]\n  avoid_official: ["do not call the bank", "don\'t call the bank"]',
    )
    rules = RULES + """
  - id: fake-support.keep-off
    category: fake_support
    severity: high
    reason: keeps you away from the bank
    all: [avoid_official]
    examples:
      match: ["don't call the bank"]
      no_match: ["call the bank"]
"""
    engine = build(lexicons=[lexicon, LEXICON_ZH], rules=rules)

    ids = partial(fired, engine=engine)

    assert ids("don't hang up and don't call the bank") == ["fake-support.keep-off"]
    assert ids("never stop and do not call the bank") == ["fake-support.keep-off"]
    assert ids("don't hang up and send the seed phrase") == []


def test_a_message_rule_meets_only_in_the_writers_own_words_beside_a_framed_quote() -> None:
    """In a message whose quotation the text around it frames (here a question), a rule of
    the whole message counts only the concepts outside the quotation: the head in the
    writer's words and the rest in the quoted text do not meet."""
    rules = RULES + """
  - id: fake-support.claim-and-seed
    category: fake_support
    severity: high
    reason: support asks for the phrase
    all: [support_claim, seed_phrase]
    scope: message
    examples:
      match: ["i am support here. send your seed phrase"]
      no_match: ["i am support here"]
"""
    engine = build(rules=rules)

    ids = partial(fired, engine=engine)

    assert "fake-support.claim-and-seed" in ids("i am support here. send your seed phrase")
    assert "fake-support.claim-and-seed" not in ids(
        'i am support here. what is this "send your seed phrase to verify" message?')


def test_hits_name_rule_category_severity_reason() -> None:
    """A hit carries the rule's id, category, severity and reason."""
    hits = list(ENGINE.check(message("send your seed phrase"), None))  # type: ignore[arg-type]
    assert [h.to_dict() for h in hits] == [{
        "rule": "key-request.seed-phrase", "category": "key_request",
        "severity": "critical", "reason": "asks for a wallet recovery phrase"}]


def _errors(lexicon: str = LEXICON, rules: str = RULES) -> list[str]:
    with pytest.raises(RuleSetError) as info:
        build([lexicon], rules)
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize(
    ("lexicon", "rules", "expected"),
    [
        (LEXICON, RULES.replace("[ask, seed_phrase]", "[ask, seed_frase]"),
         "patterns/x.yaml:3: rule key-request.seed-phrase: concept 'seed_frase' is not defined"),
        (LEXICON, RULES.replace("fake-support.contact", "key-request.seed-phrase"),
         "patterns/x.yaml:11: duplicate rule id 'key-request.seed-phrase'"),
        (LEXICON, RULES.replace("severity: critical", "severity: extreme"),
         "patterns/x.yaml:5: rule key-request.seed-phrase: unknown severity 'extreme'"),
        (LEXICON, RULES.replace('      no_match: ["never share your seed phrase"]\n', ""),
         "rule key-request.seed-phrase: needs at least one 'no_match' example"),
        (LEXICON.replace("[send, share", "[send, '/(?=x)share/'"), RULES,
         "lexicon/0.yaml:4: concept 'ask': invalid regular expression /(?=x)share/"),
        (LEXICON.replace("[send, share", "[s, share"), RULES,
         "lexicon/0.yaml:4: concept 'ask': phrase 's' is too short"),
        (LEXICON, RULES.replace("    reason: asks", "    reasons: asks"),
         "patterns/x.yaml:6: unknown key 'reasons'"),
    ],
    ids=["unknown-concept", "duplicate-id", "bad-severity", "missing-examples",
         "lookaround-regex", "too-short", "unknown-key"],
)
def test_lint_errors_name_file_and_line(lexicon: str, rules: str, expected: str) -> None:
    """Every problem is reported as path:line: message."""
    errors = _errors(lexicon, rules)
    assert any(expected in e for e in errors), errors


def test_yaml_syntax_error_has_line() -> None:
    """A YAML syntax error is a RuleFileError with its line."""
    with pytest.raises(RuleFileError) as info:
        load_yaml("rules:\n  - id: x\n    all: [a, b\n", "patterns/broken.yaml")
    assert str(info.value).startswith("patterns/broken.yaml:")
    assert info.value.line and info.value.line >= 3


def test_load_collects_errors_from_every_file(tmp_path: Path) -> None:
    """Loading a folder reports the problems of all files at once, not just the first."""
    (tmp_path / "lexicon").mkdir()
    (tmp_path / "patterns").mkdir()
    (tmp_path / "lexicon" / "en.yaml").write_text(LEXICON, encoding="utf-8")
    (tmp_path / "patterns" / "a.yaml").write_text("rules: [oops\n", encoding="utf-8")
    (tmp_path / "patterns" / "b.yaml").write_text(
        RULES.replace("severity: high", "severity: huge"), encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_pattern_rules(tmp_path)
    text = "\n".join(str(e) for e in info.value.errors)
    assert f"{tmp_path / 'patterns' / 'a.yaml'}:" in text
    assert f"{tmp_path / 'patterns' / 'b.yaml'}:13: rule fake-support.contact" in text


def test_duplicate_yaml_keys_are_errors() -> None:
    """A key written twice in one mapping is an error, not a silent overwrite."""
    with pytest.raises(RuleFileError, match="duplicate key 'id'"):
        load_yaml("id: a\nid: b\n", "x.yaml")


def test_huge_and_odd_input_does_not_break_matching() -> None:
    """100 KB of emoji, controls and RTL overrides still scans."""
    text = ("\u202e🔥\x00\x07" * 25_000) + " send your seed phrase"
    assert isinstance(ENGINE.fired(message(text)), list)


LANGUAGES = """
languages:
  en:
    markers: [the, and, you, your, is, to, for, with, this, that]
  id:
    family: malay
    markers: [yang, dan, ini, untuk, dengan, saya, anda, kirim, baru, ke]
  ms:
    family: malay
    markers: [yang, dan, ini, awak, boleh, nak]
  tl:
    markers: [ang, ng, mga, sa, ako, po]
  vi:
    script: "ăâđêôơư"
"""

LEX_ID = """
lang: id
concepts:
  ask: [kirim, kirimkan]
  seed_phrase: [frasa pemulihan]
"""

LEX_TL = """
lang: tl
concepts:
  ask: [ipadala]
  advice: [ingat]
  negation: [di]
"""

LEX_EN_NO = """
lang: en
concepts:
  ask: [send]
  seed_phrase: [seed phrase]
  negation: ["no", never]
"""


def build_with_languages() -> PatternRules:
    lex = [(load_yaml(t, f"lexicon/{i}.yaml"), f"lexicon/{i}.yaml")
           for i, t in enumerate((LEX_EN_NO, LEX_ID, LEX_TL))]
    rules = RULES.split("  - id: fake-support.contact")[0]
    return compile_pattern_rules(lex, [(load_yaml(rules, "p.yaml"), "p.yaml")],
                                 (load_yaml(LANGUAGES, "languages.yaml"), "languages.yaml"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kirim frasa pemulihan ke no baru ini untuk verifikasi dengan admin", True),
        ("Ingat ya, kirim frasa pemulihan anda ke saya dengan cepat", True),
        ("Never send your seed phrase to anyone, this is a scam", False),
        ("Ingat po, huwag ipadala ang seed phrase sa mga scammer", False),
    ],
    ids=["english-no-in-indonesian", "tagalog-ingat-in-indonesian", "english-negation",
         "tagalog-advice-in-tagalog"],
)
def test_guards_of_other_languages_do_not_apply(text: str, expected: bool) -> None:
    """A guard phrase counts only when the message reads as its language."""
    engine = build_with_languages()
    assert bool(engine.fired(message(text))) is expected


def test_regex_with_letters_normalisation_removes_is_an_error() -> None:
    """A regex written with capitals or diacritics could never match: lint says so."""
    errors = _errors(LEXICON.replace("[send, share", "[send, '/tjäna \\\\d+/'"), RULES)
    assert any("never occurs in normalised text (write 'a'" in e for e in errors), errors


def test_regex_with_full_width_punctuation_is_an_error() -> None:
    """Normalisation writes "？！，：" as "?!,:", so a class "[^，。！？]" never stops at them:
    lint says so, and names what to write instead."""
    errors = _errors(LEXICON.replace("[send, share", "[send, '/任何[^，。！？]{0,12}都不/'"),
                     RULES)
    assert any("has '，！？', which never occurs in normalised text (write ',!?'" in e
               for e in errors), errors
    # the same class written with the normalised marks is accepted
    build(lexicons=[LEXICON.replace("[send, share", "[send, '/任何[^,。!?]{0,12}都不/'"),
                    LEXICON_ZH])


def test_yaml_boolean_phrase_gets_a_hint() -> None:
    """`- no` is read by YAML as false; the error says to quote it."""
    errors = _errors(LEXICON.replace("negation: [never,", "negation: [no, never,"), RULES)
    assert any("put it in quotes" in e for e in errors), errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am support. Powered by @dropsbot", ["fake-support.contact"]),
        ("Please send Dr. Jones your seed phrase", ["key-request.seed-phrase"]),
    ],
    ids=["handle-is-contact", "abbreviation-no-sentence-break"],
)
def test_builtins_and_sentences(text: str, expected: list[str]) -> None:
    """A bare @handle is a contact (not a link); 'Dr.' does not end a sentence."""
    assert fired(text) == expected


def test_bare_handle_is_not_a_link() -> None:
    """@link needs something to open; a bare @handle or e-mail only makes @contact."""
    engine = build(rules=RULES.replace('any: ["@contact"]', 'any: ["@link"]'))
    assert engine.fired(message("I am support. Powered by @dropsbot")) == []
    assert engine.fired(message("I am support. Mail me at help@example.org")) == []
    assert [r.id for r in engine.fired(message("I am support. See https://x.example/t"))] == [
        "fake-support.contact"]


def test_advice_words_inside_a_link_do_not_count() -> None:
    """A guard phrase inside a URL (a news link's slug) does not frame the message."""
    text = "send your seed phrase, see https://news.example/beware-of-scams"
    assert fired(text) == ["key-request.seed-phrase"]
    assert fired("Beware of scams. Never send your seed phrase to anyone") == []


def test_a_rules_exclusions_inside_a_link_do_not_count() -> None:
    """A concept a rule is excluded by (`not`) stops it in the writer's words and in a link's
    host, not in a pasted link's path ("... see more at: news.example/impostors-this-week")."""
    rules = RULES.replace(
        "all: [ask, seed_phrase]", "all: [ask, seed_phrase]\n    not: [support_claim]"
    )
    lexicon = LEXICON.replace('support_claim: ["i am support"',
                              'support_claim: [impostors, "i am support"')
    engine = build([lexicon, LEXICON_ZH], rules)
    assert fired("send your seed phrase, see more at https://news.example/impostors-this-week",
                 engine) == ["key-request.seed-phrase"]
    assert fired("send your seed phrase, impostors this week", engine) == []
    # a link's host names a site (a brand's own one, which some rules are excluded by)
    assert "key-request.seed-phrase" not in fired(
        "send your seed phrase, see more at https://impostors.example/this-week", engine)


def test_one_stray_script_letter_does_not_decide_the_language() -> None:
    """A single garbled letter of another script does not outweigh the words' language."""
    engine = build_with_languages()
    assert engine.fired(message("Kirim frasa pemulihan â"))
    assert engine.fired(message("Kirim frasa pemulihan, đã gửi rồi ơi")) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don't miss out, send your seed phrase today", ["key-request.seed-phrase"]),
        ("Don't miss this and send your seed phrase", ["key-request.seed-phrase"]),
        ("Do not hesitate to send your seed phrase", ["key-request.seed-phrase"]),
        ("Do not send your seed phrase", []),
    ],
    ids=["other-clause", "same-clause", "not-negation", "plain-negation"],
)
def test_pushy_negations_do_not_negate(text: str, expected: list[str]) -> None:
    """A negation inside a not_negation phrase ("do not hesitate") does not cancel a rule."""
    assert fired(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("send your seed phrase to verify. Stay safe from scammers!", ["key-request.seed-phrase"]),
        ("Send your seed phrase now. Beware of scams, stay safe",
         ["key-request.seed-phrase"]),
        ("Beware of scams. They say: 'send your seed phrase to verify'", []),
        ("Someone asked me to send my seed phrase. Is this a scam?", []),
    ],
    ids=["advice-appended", "advice-after", "advice-introduces", "discussion-anywhere"],
)
def test_advice_frames_what_follows_not_what_came_before(text: str,
                                                         expected: list[str]) -> None:
    """Advice appended to a request does not take it back; a warning that introduces a
    quoted scam, and a question about one anywhere, do."""
    assert fired(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Beware of fake admins. To verify, send me your seed phrase",
         ["key-request.seed-phrase"]),
        # advice used as cover: a later sentence asks for the secret itself
        ("Beware of fake admins. To verify, send your seed phrase",
         ["key-request.seed-phrase"]),
        ("Beware of fake admins. If one writes 'send me your seed phrase', stay safe", []),
        ('Beware of fake admins. They write "send me your seed phrase"?', []),
        ("Beware of fake admins. Never send your seed phrase", []),
    ],
    ids=["request-to-the-writer", "secret-asked-again", "advice-in-that-sentence", "quoted",
         "advice-again"],
)
def test_a_request_to_the_writer_ends_the_advice_frame(text: str, expected: list[str]) -> None:
    """Advice frames what follows until a later sentence asks for something to be sent to the
    writer ("we never ask for your password. Just send me the code") or asks, unnegated, for
    a secret ("we never DM first. Reply here with your recovery phrase"), outside quotes."""
    lexicon = LEXICON.replace(
        "  negation: [never,", '  me: [me, "to me", us]\n  negation: [never,')
    engine = build(lexicons=[lexicon, LEXICON_ZH])
    assert [r.id for r in engine.fired(message(text))] == expected


def test_bad_script_range_is_a_rule_file_error() -> None:
    """A broken script range in languages.yaml is reported with file and line, not raised."""
    lex = [(load_yaml(LEX_EN_NO, "lexicon/en.yaml"), "lexicon/en.yaml")]
    bad = LANGUAGES + "  th:\n    script_ranges: ['\\\\u0e7f-\\\\u0e00']\n"
    with pytest.raises(RuleSetError) as info:
        compile_pattern_rules(lex, [], (load_yaml(bad, "languages.yaml"), "languages.yaml"))
    assert any("languages.yaml:" in str(e) and "bad script_ranges" in str(e)
               for e in info.value.errors)


def _regex_spans(engine: PatternRules, text: str, concept: str) -> list[str]:
    msg = message(text)
    scan = engine.scan(msg)
    cid = engine.concept_id(concept)
    return [msg.text.skeleton[o.start:o.end] for o in scan.occurrences if o.concept == cid]


@pytest.mark.parametrize(
    "text",
    [
        "send the 12 words and the 24-word phrase",
        "gửi ngay 12 words cho tôi, rồi 24 words nữa",
        "请把 12 words 发给我，还有 24 word",
        "ส่ง 12 words มาให้ฉัน และ 24 words",
    ],
    ids=["ascii", "vietnamese", "chinese", "thai"],
)
def test_regex_occurrences_are_character_spans_in_any_script(text: str) -> None:
    """A regular expression's matches are located by character, also after letters that
    take several bytes in UTF-8: the spans cut exactly the matched words out of the text."""
    spans = _regex_spans(ENGINE, text, "seed_phrase")
    assert spans and all(s in ("12 words", "24-word", "24 words", "24 word") for s in spans)
    assert len(spans) == 2


def test_regex_that_matches_empty_is_located_by_character() -> None:
    """An expression that can match the empty string steps character by character through
    a text with multi-byte letters, and still finds its real matches at the right places."""
    lexicon = """
lang: en
concepts:
  ask: [send]
  seed_phrase: ["/(?:seed)?/"]
"""
    rules = """
rules:
  - id: key-request.seed
    category: key_request
    severity: critical
    reason: asks for a seed
    all: [ask, seed_phrase]
    examples:
      match: ["send seed"]
      no_match: ["hello"]
"""
    engine = build([lexicon], rules)
    text = "请把 seed 发给我，seed"
    msg = message(text)
    cid = engine.concept_id("seed_phrase")
    found = [(o.start, o.end) for o in engine.scan(msg).occurrences if o.concept == cid]
    skeleton = msg.text.skeleton
    # RE2 over the str itself: one empty match per character outside the two "seed"s
    assert found == [m.span() for m in re2.compile("(?:seed)?").finditer(skeleton)]
    assert [skeleton[a:b] for a, b in found].count("seed") == 2
    assert len(found) == len(skeleton) - 2 * len("seed") + 2 + 1


LEXICON_FRAMES = LEXICON.replace(
    '  clause_break: [but]\n',
    '  clause_break: [but]\n'
    '  retold: ["got a dm", "screenshot from"]\n'
    '  verdict: [fake, blocked]\n')
FRAMES = build([LEXICON_FRAMES, LEXICON_ZH])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('got a DM "send your seed phrase to verify" lmao', []),
        ('"send your seed phrase to unlock your wallet" is fake, report it', []),
        ('screenshot from my inbox: "verify your 12 words here"', []),
        ('"send your seed phrase" and nothing happened, blocked', []),
        ('"Send your seed phrase" to claim, it is never fake', ["key-request.seed-phrase"]),
        ('the fake admins lie, send your seed phrase to "verify" with me',
         ["key-request.seed-phrase"]),
        ('"send your seed phrase" to the support team now', ["key-request.seed-phrase"]),
    ],
    ids=["retold", "verdict", "screenshot", "blocked", "negated-verdict",
         "verdict-outside-the-request", "no-frame"],
)
def test_retelling_and_verdict_frame_only_quotations(text: str, expected: list[str]) -> None:
    """A retelling ("got a DM") or the writer's verdict ("fake", "blocked") outside a
    quotation frames the quotation as somebody else's words; it takes back nothing outside
    quotation marks, and a negated verdict ("not fake") frames nothing."""
    assert [r.id for r in FRAMES.fired(message(text))] == expected


def test_a_language_that_mixes_english_counts_its_guards() -> None:
    """`mixes: [en]`: English negations and advice count in that language's messages
    (Taglish "never ipadala ang seed phrase"); other languages still ignore them."""
    tl_line = "Never ipadala ang seed phrase sa mga nagpapanggap na admin po"
    assert build_with_languages().fired(message(tl_line))
    mixed = LANGUAGES.replace("  tl:\n", "  tl:\n    mixes: [en]\n")
    lex = [(load_yaml(t, f"lexicon/{i}.yaml"), f"lexicon/{i}.yaml")
           for i, t in enumerate((LEX_EN_NO, LEX_ID, LEX_TL))]
    rules = RULES.split("  - id: fake-support.contact")[0]
    engine = compile_pattern_rules(lex, [(load_yaml(rules, "p.yaml"), "p.yaml")],
                                   (load_yaml(mixed, "languages.yaml"), "languages.yaml"))
    assert not engine.fired(message(tl_line))
    # Indonesian does not mix English here: "no" stays a number
    assert engine.fired(message("Kirim frasa pemulihan ke no baru ini untuk verifikasi"))


def test_mixes_must_name_languages_of_the_file() -> None:
    bad = LANGUAGES.replace("  tl:\n", "  tl:\n    mixes: [xx]\n")
    lex = [(load_yaml(LEX_EN_NO, "lexicon/0.yaml"), "lexicon/0.yaml")]
    with pytest.raises(RuleSetError, match="mixes must list language codes"):
        compile_pattern_rules(lex, [], (load_yaml(bad, "languages.yaml"), "languages.yaml"))


def test_frame_words_inside_an_answered_doubt_frame_nothing() -> None:
    """The reader's doubt named to argue it away ("you think it's a scam?") holds the words
    of a discussion without being one: the request after it stands. The same discussion
    words outside such a phrase still frame the message, and a refused request stays
    refused."""
    lexicon = LEXICON.replace(
        'discussion: ["is this a scam", "someone asked me"]',
        'discussion: ["is this a scam", "someone asked me", "think it\'s a scam"]\n'
        '  doubt_answered: ["/\\\\byou think it\'s a scam/"]',
    )
    engine = build(lexicons=[lexicon, LEXICON_ZH])

    ids = partial(fired, engine=engine)

    assert ids("You think it's a scam? I'm the admin, send your seed phrase to verify") == [
        "key-request.seed-phrase"]
    # the discussion words of the writer's own ("my sister and I think it's a scam")
    assert ids("My sister and I think it's a scam: send your seed phrase to verify") == []
    # without the phrase the same words frame the message
    assert ids("Is this a scam? send your seed phrase to verify") == []
    # a refused request is no request, however the doubt is answered
    assert ids("You think it's a scam? Never share your seed phrase") == []


def test_advice_words_inside_an_order_to_stay_off_the_official_route_are_no_advice() -> None:
    """"Don't report it in the app, the case resets" holds the advice word "report" as the
    writer's order against reporting: it neither frames the message nor stops the rule. Its
    own negation still makes it a negative order that an earlier negation does not undo."""
    lexicon = LEXICON.replace(
        'advice: ["beware of", "stay safe"]',
        'advice: ["beware of", "stay safe", "report"]\n'
        '  avoid_official: ["/\\\\bdon\'t report (?:it )?in the app\\\\b/"]',
    )
    rules = RULES + """
  - id: fake-support.keep-off-official
    category: fake_support
    severity: high
    reason: tells you not to use the official support
    all: [avoid_official]
    scope: message
    examples:
      match: ["don't report in the app, the case resets"]
      no_match: ["report in the app"]
"""
    engine = build(lexicons=[lexicon, LEXICON_ZH], rules=rules)

    ids = partial(fired, engine=engine)

    assert ids("I am support. Don't report it in the app, the case resets") == [
        "fake-support.keep-off-official"]
    assert ids("never close this chat and don't report it in the app") == [
        "fake-support.keep-off-official"]
    # advice of the writer's own, before the order, still frames it
    assert ids("Beware of fake support. Don't report it in the app, they say") == []


def test_a_growth_match_that_names_a_falling_sum_is_a_price_cut() -> None:
    """A match of a growth concept ("1jt jadi 3jt") that names two sums, the last below the
    first, is a discount ("250rb jadi 149rb"), not a stake that grows. The sum is read past the
    end of the match ("rm100 jadi rm3" stops inside "rm30"); a count of things is no sum."""
    lexicon = LEXICON + (
        '  multiplier_gain: ["/\\\\b(?:rm)?\\\\d[\\\\d.,]*\\\\s?(?:rb|jt|k)?\\\\b[^.!?\\\\n]{0,30}'
        '\\\\bjadi\\\\s+(?:rm)?\\\\d/"]\n')
    rules = RULES + """
  - id: investment.multiplier
    category: investment
    severity: high
    reason: promises to multiply the money you put in
    all: [multiplier_gain]
    scope: message
    examples:
      match: ["modal 1jt jadi 3jt"]
      no_match: ["harga 250rb jadi 149rb"]
"""
    engine = build(lexicons=[lexicon, LEXICON_ZH], rules=rules)
    ids = partial(fired, engine=engine)

    assert ids("modal 1jt jadi 3jt dalam seminggu") == ["investment.multiplier"]
    assert ids("modal rm100 jadi rm300 minggu ni") == ["investment.multiplier"]
    assert ids("flash sale: 250rb jadi 149rb hari ini") == []
    assert ids("promo rm100 jadi rm30 je") == []
    # 12 shirts is a count: 45rb to 40rb still falls
    assert ids("45rb/pcs, ambil 12pcs jadi 40rb") == []


NAMES = """
lang: mul
concepts:
  wallet_brand: ["metamask", "trust wallet"]
"""

NAMES_RULES = """
rules:
  - id: fake-support.wallet-team
    category: fake_support
    severity: high
    reason: a self-custody wallet's team as the writer's persona
    all: [support_claim, wallet_brand]
    scope: message
    examples:
      match: ["support team of MetaMask here"]
      no_match: ["MetaMask has no support team that writes to you"]
"""


def test_names_are_one_lexicon_for_every_language() -> None:
    """The `mul` lexicon holds names written alike in every language: its concepts count as
    present in each language's lexicon, match in a message of any language, and add no
    language of their own."""
    lexicon_zh = LEXICON_ZH + "  support_claim: [客服团队]\n"
    engine = build([LEXICON, lexicon_zh, NAMES], RULES + NAMES_RULES.replace("rules:\n", ""))
    assert engine.concept_langs["wallet_brand"] == frozenset({"en", "zh"})
    assert "mul" not in engine.languages
    hits = engine.check(message("我是MetaMask客服团队的，你的钱包有问题"), None)  # type: ignore[arg-type]
    fired = [h.rule for h in hits]
    assert "fake-support.wallet-team" in fired


def test_a_guard_in_the_names_is_an_error() -> None:
    """Guards read each language's own words; a name list cannot hold one."""
    names = NAMES + '  negation: ["nope"]\n'
    with pytest.raises(RuleSetError) as info:
        build([LEXICON, names])
    assert any("concept 'negation' is a guard" in str(e) for e in info.value.errors)


def test_names_lexicon_only_once() -> None:
    with pytest.raises(RuleSetError) as info:
        build([LEXICON, NAMES, NAMES])
    assert any("language 'mul' already has a lexicon" in str(e) for e in info.value.errors)
