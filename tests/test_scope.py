"""Scope in every script: a request inside a quotation that the surrounding text asks about,
warns about or reports is somebody else's words; the same request on its own is a request."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core import CheckRequest, Detector, load_ruleset
from bot.core.scope import quote_spans, scope_of, sender_names, sender_tag
from rules import RULES_DIR

RULES = load_ruleset(RULES_DIR)
DETECTOR = Detector(RULES)

# (language, the request alone, the request quoted inside a question or report)
QUOTED = [
    ("en", "send me your seed phrase to verify your wallet",
     "my aunt received “send me your seed phrase to verify your wallet” what now?"),
    ("vi", "gửi mã OTP cho anh để xác minh tài khoản",
     "dì mình nhận tin \"gửi mã OTP cho anh để xác minh tài khoản\" giờ sao?"),
    ("zh", "把验证码发给我，帮你解冻账户", "我妈收到「把验证码发给我，帮你解冻账户」怎么办？"),
    ("sv", "skicka din återställningsfras till mig så fixar jag plånboken",
     "mormor fick »skicka din återställningsfras till mig så fixar jag plånboken« vad gör hon?"),
    ("id", "kirim kode OTP yang masuk ke hp kamu ke saya",
     "tante dapet pesan \"kirim kode OTP yang masuk ke hp kamu ke saya\" gmn nih?"),
]


@pytest.mark.parametrize(("lang", "alone", "quoted"), QUOTED, ids=[q[0] for q in QUOTED])
def test_rules_see_a_discussed_quotation_as_quoted(lang: str, alone: str, quoted: str
                                                   ) -> None:
    """The pattern rules fire on the request alone and not on the quoted, discussed one."""
    fired_alone = RULES.patterns.fired(DETECTOR.prepare(CheckRequest(alone, lang=lang)))
    fired_quoted = RULES.patterns.fired(DETECTOR.prepare(CheckRequest(quoted, lang=lang)))
    assert fired_alone
    assert not [r.id for r in fired_quoted if r.guarded]


def test_a_quoted_request_without_framing_still_counts() -> None:
    """Quotation marks alone do not excuse a request: nobody asks about it or warns."""
    text = "“send me your seed phrase to verify your wallet” - the admin team"
    assert RULES.patterns.fired(DETECTOR.prepare(CheckRequest(text)))


@pytest.mark.parametrize("text", ['click "Verify" now', "the “best” deal", "«ok»"])
def test_short_quotes_are_not_quotations(text: str) -> None:
    """A quoted button label or a scare-quoted word is not somebody's message."""
    assert quote_spans(text) == []


@pytest.mark.parametrize(("text", "quoted"), [
    ("does anyone else get the 'hi I sent my code to your number by mistake, pls send it "
     "back' SMS?", "'hi I sent my code to your number by mistake, pls send it back'"),
    ("'I've sent my code to your phone by mistake' lol", "'I've sent my code to your phone "
     "by mistake'"),
    ("he keeps asking 'what's your code please' haha", "'what's your code please'"),
    # beside the characters of a script that writes no apostrophes in its words
    ("骗子私信我'您好我是客服,请提供验证码',我直接拉黑", "'您好我是客服,请提供验证码'"),
    ("แม่ได้ข้อความ'บัญชีถูกระงับ กรุณายืนยันตัวตน'มาเมื่อเช้า", "'บัญชีถูกระงับ กรุณายืนยันตัวตน'"),
])
def test_single_quotes_quote_a_message(text: str, quoted: str) -> None:
    """People quote with the keyboard's single quote; apostrophes inside words stay inside."""
    assert [text[a:b] for a, b in quote_spans(text)] == [quoted]


@pytest.mark.parametrize("text", [
    "it's fine, don't worry, the users' funds are safe and we're ok",
    "click 'Verify' now",
    "rock'n'roll all night and party every day",
])
def test_apostrophes_are_not_quotation_marks(text: str) -> None:
    """Apostrophes (it's, users') and a scare-quoted word are not somebody's message."""
    assert quote_spans(text) == []


def test_a_single_quoted_request_that_is_discussed_is_quoted() -> None:
    """The request alone fires; quoted in single quotes inside a report, it is discussed."""
    alone = "send me your seed phrase to verify your wallet"
    quoted = "my aunt received 'send me your seed phrase to verify your wallet' what now?"
    assert RULES.patterns.fired(DETECTOR.prepare(CheckRequest(alone)))
    fired = RULES.patterns.fired(DETECTOR.prepare(CheckRequest(quoted)))
    assert not [r.id for r in fired if r.guarded]


# Everyday words that a scope phrase, once reduced to its skeleton (tone marks and diacritics
# dropped), could be read into: Thai "ขำ" (funny) becomes "ขา" inside "เข้า" (enter), and
# Vietnamese "cười" (laugh) becomes "cuoi", as in "cuối" (last). The writer's verdict frames
# quotations; read into these words, it would frame every quotation in the language.
@pytest.mark.parametrize(("lang", "text"), [
    ("th", "เข้าแอปแล้วกดยืนยัน เข้าเว็บนี้"),
    ("vi", "hôm nay là ngày cuối, vào cuối tuần"),
])
def test_everyday_words_carry_no_verdict(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    verdict = RULES.patterns.concept_id("verdict")
    assert verdict not in message.scan.by_concept


# A short Thai phrase whose tone marks the skeleton drops counts only where the message holds
# it as written: ค่า (fee) is not in ธนาคาร (bank) or ค้าง (stuck), ท่าน (you) is not ทาน (eat),
# เช่า (rent) is not เช้า (morning).
@pytest.mark.parametrize(("concept", "text", "found"), [
    ("rec_fee", "ต้องโอนค่าธรรมเนียมก่อนนะ", True),
    ("rec_fee", "ธนาคารแจ้งว่ายอดโอนค้างอยู่", False),
    ("you", "ขอบคุณท่านที่ใช้บริการ", True),
    ("you", "ไปทานข้าวกันไหม", False),
    ("stake_in", "เช่าเครื่องขุดรายเดือน", True),
    ("stake_in", "ตอนเช้าไปทำงาน", False),
])
def test_short_thai_phrases_keep_their_tone_marks(concept: str, text: str, found: bool) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang="th"))
    assert (RULES.patterns.concept_id(concept) in message.scan.by_concept) is found


# A phrase written with diacritics counts on words written the same way or typed without any,
# word by word; a word with other diacritics is another word (bận busy is not bạn you, công is
# not cổng gate, "gửi đi" send it off is not "gửi dì" send it to auntie, "nó đổi" it changes is
# not "nó đòi" he demands).
@pytest.mark.parametrize(("concept", "text", "found"), [
    ("you", "bạn ơi cho mình hỏi", True),
    ("you", "ban oi cho minh hoi", True),
    ("you", "admin đang bận, chờ chút", False),
    ("drain_place", "vào cổng thanh toán này", True),
    ("drain_place", "vao cong thanh toan nay", True),
    ("drain_place", "đừng đăng lỗi công khai", False),
    ("me", "có mã gửi về con gửi dì với nha", True),
    ("me", "co ma gui ve con gui di voi nha", True),
    ("me", "có mã gửi về con gui dì với nha", True),
    ("me", "có mã gửi về thì gửi đi nhé", False),
    ("discussion", "hôm qua nó đòi mã otp của mình", True),
    ("discussion", "đọc trước khi nó đổi số mới", False),
])
def test_phrases_keep_their_diacritics_word_by_word(concept: str, text: str, found: bool
                                                     ) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang="vi"))
    assert (RULES.patterns.concept_id(concept) in message.scan.by_concept) is found


def test_the_declared_language_counts_beside_a_quotation_in_another() -> None:
    """A Malay frame around an English quotation: the quotation's English outweighs the
    Malay words, but the chat's declared language still counts, so its verdict frames the
    quotation."""
    text = ('Ni ss DM yg aku dapat: "Hi I\'m from Binance support, your account flagged, '
            'send verification code". Lawak betul')
    assert DETECTOR.prepare(CheckRequest(text, lang="ms")).scope.framed_quote
    assert DETECTOR.check(CheckRequest(text, lang="ms")).verdict == "clean"


@pytest.mark.parametrize(("lang", "text", "offer"), [
    # hearsay, then an offer to the reader in a later sentence: a pitch's shape
    ("id", "om aku kerja di sekuritas, katanya ada jatah IPO khusus keluarga karyawan. mau aku "
           "mintain slot ke om?", True),
    ("en", "my aunt works at a hedge fund and told me ARB will pump after Monday. want the "
           "link?", True),
    # the offer inside the report is reported ("he asked me whether I'd try")
    ("zh", "有个网友说他在一个平台赚了很多，问我要不要试，我没理他", False),
    # the offer inside quotation marks is the quoted sender's
    ("en", "my aunt told me someone DMed her: \"I made 40% this week. want the link?\"", False),
    # an offer with no hearsay before it is no such signal (the learned layer reads it alone)
    ("en", "I made 40% this week on this platform. want the link?", False),
])
def test_an_offer_after_hearsay_is_its_own_signal(lang: str, text: str, offer: bool) -> None:
    scope = DETECTOR.prepare(CheckRequest(text, lang=lang)).scope
    assert scope.offer is offer
    if offer:
        assert scope.discussion  # the hearsay stays a discussion: the offer is weighed


SENDERS = frozenset({"telia", "philhealth", "skatteverket", "globe"})


@pytest.mark.parametrize(("text", "quoted"), [
    # a sender's name opens the text the way an SMS or a notice does: the text itself
    ("telia: ditt nummer har flyttats till ett nytt sim-kort, ring oss genast", False),
    ("philhealth advisory: kulang ang kontribusyon mo, i-settle bago biyernes", False),
    ("skatteverket informerar: din återbäring är klar, logga in för att se den", False),
    ("[globe]: your postpaid line is overdue, settle today to avoid disconnection", False),
    # words of the writer before the colon: a quotation of somebody else's text
    ("got this sms today: telia says my number moved to a new sim, call them now", True),
    ("påminnelse från min bank: logga in och bekräfta dina uppgifter i dag, annars spärras "
     "kontot och kortet", True),
    # a name among more than three words is the writer's sentence, not a sender tag
    ("what telia sent my mum last night: your number moved to a new sim card, call us at "
     "once or the line and the bankid on it stop working", True),
])
def test_a_senders_name_before_a_colon_is_no_quotation(text: str, quoted: bool) -> None:
    """A brand's or agency's name before a colon tags who sends the text; other heads
    introduce a quotation."""
    scope = scope_of(text, advice_at=None, discussion=False, negation=False,
                     senders=SENDERS)
    assert (scope.quoted > 0) is quoted
    assert sender_tag(text.split(":")[0], SENDERS) is not quoted


@pytest.mark.parametrize(("text", "quoted"), [
    # a colon between two digits writes a time or a ratio: nobody is quoted
    ("pumpar $lunr2 ikväll kl 20:00 alla köper samtidigt, garanterat 5x, köp innan, "
     "kontraktet är pinnat i kanalen, sälj inte innan 20:15", False),
    ("kèo vào lúc 19:30 tối nay, lãi 1:3 bao lỗ, ai vào thì ib em", False),
    ("signal 21:00 wib, entry bareng, tp 2x pasti", False),
    # a time before the introducing colon leaves that colon the introducing one
    ("got this at 20:15 last night: your parcel is held at the depot, pay the small fee "
     "today to release it or it goes back", True),
    ("step 1: send the code you got, step 2: wait for the reward to arrive", True),
])
def test_a_colon_between_digits_introduces_nothing(text: str, quoted: bool) -> None:
    """A time ("kl 20:00") is no introducing colon: what follows it is the writer's own."""
    scope = scope_of(text, advice_at=None, discussion=False, negation=False)
    assert (scope.quoted > 0) is quoted


@pytest.mark.parametrize(("text", "quoted"), [
    # a title of capitalised words names the sender even when the registry does not know it
    ("TNB: Akaun anda tertunggak RM387.60, bekalan elektrik akan dipotong hari ini", False),
    ("E-ZPass Notice: You have an unpaid toll balance of $6.99, pay now to avoid the fee",
     False),
    ("[Kominfo] Info: nomor anda akan diblokir hari ini, lakukan registrasi ulang segera",
     False),
    # a sentence before the colon, even one that opens with a capital, introduces a text
    ("Got this today: your account is locked, verify now or it will be closed for good",
     True),
    ("Mẹ mình nhận tin: tài khoản của bạn bị khóa, bấm vào link để mở lại ngay", True),
])
def test_a_title_before_a_colon_is_a_sender_tag(text: str, quoted: bool) -> None:
    """Capitals are read on the text as written: the folded text has none."""
    folded = text.casefold()
    scope = scope_of(folded, advice_at=None, discussion=False, negation=False,
                     original=text)
    assert (scope.quoted > 0) is quoted
    assert scope_of(folded, advice_at=None, discussion=False, negation=False).quoted > 0


def test_sender_names_come_from_the_registry() -> None:
    """Names, their short forms in parentheses, aliases and labels all tag a sender."""
    names = sender_names(load_ruleset(RULES_DIR).links.brands)
    assert {"philhealth", "skatteverket", "nbi", "csn", "1177", "vårdguiden"} <= names
    assert "the" not in names and "" not in names


RULES_ALONE = Detector(replace(RULES, model=None, combiner=None))
PASTED = [
    ("en", "Got this DM today: ", "Exchange desk update: ",
     "hello, your withdrawal is on hold, send me the 6 digit code you just received to "
     "release it"),
    ("sv", "Fick sms: ", "Viktigt: ",
     "Hej från banken, ditt konto är spärrat, skicka koden du precis fick till mig så låser "
     "jag upp det"),
]


@pytest.mark.parametrize(("lang", "retold", "heading", "body"), PASTED,
                         ids=[p[0] for p in PASTED])
def test_a_text_after_a_colon_the_writer_retells_is_somebody_elses(
        lang: str, retold: str, heading: str, body: str) -> None:
    """Words that retell ("got this DM today:", "fick sms:") before an introducing colon
    make the text after it a framed quotation; a heading of the sender's own does not."""
    assert RULES_ALONE.check(CheckRequest(retold + body, lang=lang)).verdict == "clean"
    assert RULES_ALONE.check(CheckRequest(heading + body, lang=lang)).verdict == "scam"


@pytest.mark.parametrize(("text", "verdict"), [
    # Swedish puts the negation after the verb of an order ("skärmdumpa inte")
    ("Skärmdumpa inte koden som kom till dig av misstag", "clean"),
    ("Skärmdumpa koden som kom till dig av misstag och skicka den", "scam"),
    # "PSA", the English word every language borrows, is advice in a Swedish message too
    ("PSA: skärmdumpa sms-koder och skicka vidare om personen säger att koden kom till dig "
     "av misstag", "clean"),
    ("skärmdumpa sms-koder och skicka vidare om personen säger att koden kom till dig av "
     "misstag", "scam"),
])
def test_swedish_negated_orders_and_psa(text: str, verdict: str) -> None:
    assert RULES_ALONE.check(CheckRequest(text, lang="sv")).verdict == verdict
