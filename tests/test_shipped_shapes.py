"""Shapes of scams and of their discussion that the shipped rules must read right, rule by
rule: each case names the rule that must fire, or the rules that must not, so a lexicon edit
that breaks one fails here with the shape's name."""

from __future__ import annotations

import pytest

from bot.core import Detector, load_ruleset
from bot.core.model import CheckRequest
from rules import RULES_DIR

DETECTOR = Detector(load_ruleset(RULES_DIR))


def _rules(text: str, lang: str) -> set[str]:
    return {hit.rule for hit in DETECTOR.check(CheckRequest(text, lang=lang)).hits}


@pytest.mark.parametrize(("lang", "text", "rule"), [
    # an app package sent in a chat, by a "courier", a "court" or a "tax office"
    ("id", "Permisi kak, kurir J&T. Paket tertahan, cek resi di aplikasi ini ya: Cek_Resi_JT.apk",
     "official.apk-file"),
    ("tl", "Good day po, LTO notice ng violation ninyo, i-download lang ang file: LTO_Notice.apk",
     "official.apk-file"),
    # a screen share to see the wallet is remote access, with or without a support persona
    ("en", "can you share your screen on google meet so i can see your metamask and find the "
           "tokens",
     "fake-support.remote-access"),
    # Swedish debt collector's final reminder: a reminder is not a safety tip
    ("sv", "KRONOFOGDEN – Slutlig påminnelse. Skulden registreras som betalningsanmärkning idag. "
           "Betala via Swish till 123 456 78 90 och ange ditt personnummer",
     "official.pay-or-be-charged"),
    ("th", "แจก NFT ครบรอบ 2 ปี ผู้มีสิทธิ์จะได้รับ NFT (airdrop) กด approve ที่เว็บนี้ได้เลย",
     "wallet-drainer.sign-for-reward"),
    # a card number asked for together with an ID number
    ("zh", "您的号码实名信息不全，请回复身份证号及银行卡号完成核验", "key-request.card-details"),
    # a support persona's stuck withdrawal released by an "upgrade fee"
    ("ms", "Withdraw ko tersangkut sbb wallet belum upgrade. Bayar fee upgrade 150 USDT, lepas tu "
           "boleh keluar semua", "investment.pay-to-withdraw"),
])
def test_scam_shape_fires_its_rule(lang: str, text: str, rule: str) -> None:
    assert rule in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text", "rules"), [
    # 验证码 is a verification code, not "verify": a notice that never asks for it
    ("zh", "感谢您的来信。我们绝不会索取您的助记词、密码或验证码。请仅通过官方帮助中心 "
           "https://www.okx.com/help 提交工单，我们会通过邮件回复您。",
     {"key-request.seed-phrase-verify", "otp-request.verify-with-code"}),
    # advice against installing an app package
    ("vi", "đừng cài file apk ai gửi qua Zalo dù họ xưng là cán bộ thuế", {"official.apk-file"}),
    # an official airdrop that needs no approval (the same words without "no need to" fire)
    ("th", "การแจก NFT ที่ระลึกครบรอบ 2 ปี: ผู้มีสิทธิ์จะได้รับ NFT เข้ากระเป๋าโดยอัตโนมัติ (airdrop ตรง) "
           "ไม่ต้องมินต์ ไม่ต้องกด approve ใดๆ ถ้าเห็นเว็บ 'claim NFT' ครบรอบ นั่นคือของปลอม",
     {"wallet-drainer.sign-for-reward"}),
    # a genuine ticket update that sends you to the brand's own help centre
    ("en", "Your ticket #58412 was updated. An agent replied on help.kraken.com, log in there to "
           "read it", {"fake-support.ticket-link", "fake-support.unsolicited-pickup"}),
    # a bank's code delivery is not an advance-fee "fund"
    ("tl", "BPI: Your OTP for fund transfer of PHP 5,000.00 is 928174. Don't share this with "
           "anyone.",
     {"lang-en.advance-fee.strong-fund"}),
])
def test_clean_shape_keeps_clear_of_rules(lang: str, text: str, rules: set[str]) -> None:
    assert not rules & _rules(text, lang)
