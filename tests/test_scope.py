"""Scope in every script: a request inside a quotation that the surrounding text asks about,
warns about or reports is somebody else's words; the same request on its own is a request."""

from __future__ import annotations

import pytest

from bot.core import CheckRequest, Detector, load_ruleset
from bot.core.scope import quote_spans
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
