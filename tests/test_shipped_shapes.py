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
    # a bank that "stopped a purchase" and wants a call: the alert's "if it was not you"
    # negates nothing the writer asks for
    ("sv", "Nordea kortsäkerhet: vi har stoppat ett köp på 6 450 kr hos Zalando. Om det inte var "
           "du, ring oss direkt på 08-520 199 40", "fake-support.account-problem"),
    # one of N winners, a mint link and a deadline in hours
    ("th", "ยินดีด้วย คุณเป็น 1 ใน 50 คนที่ได้ Genesis Pass ไปมินต์ที่ genesispass-claim.xyz "
           "ภายใน 3 ชม.", "giveaway.win-link-deadline"),
    # a "police officer" on a video call who forbids telling the family
    ("th", "ตำรวจไซเบอร์แจ้งว่าบัญชีคุณพัวพันคดีฟอกเงิน ห้ามติดต่อญาติเด็ดขาด คดีนี้เป็นความลับ",
     "official.secrecy-order"),
    # a "white-hat hacker" who recovers scam losses
    ("th", "แฮกเกอร์สายขาว รับกู้เงินที่โดนโกง ได้คืนภายใน 3 วัน ทัก @kuu_ngoen_th",
     "recovery.agent-advert"),
    # a tax office's unpaid tax, paid to an e-wallet "or you will be charged"
    ("tl", "Magandang araw po, mula sa BIR. May hindi kayo nabayarang buwis na ₱8,300, bayaran po "
           "ngayon sa GCash para hindi makasuhan.", "official.pay-or-be-charged"),
    # a refund released against the OTP
    ("tl", "PhilHealth: may refund po kayo na ₱2,900, ibigay lang ang OTP na darating para "
           "maipadala.", "otp-request.hand-over-code"),
    # Swedish chat's ways of asking: paste it here, answer this text with the code
    ("sv", "Lösning: gå in på Settings > Secret Recovery Phrase och kopiera in den här i chatten "
           "så fixar jag det", "key-request.seed-phrase"),
    ("sv", "Din WhatsApp registreras på en ny enhet. Om det inte var du, svara på detta sms med "
           "koden", "otp-request.hand-over-code"),
    # every coin sent during the stream doubled
    ("sv", "Elon dubblar all BTC som skickas till adressen under livesändningen",
     "giveaway.double-back"),
    # my code went to the wrong person (you)
    ("sv", "Facebook skickade min kod till fel person (dig), kan du skicka den till mig?",
     "otp-request.code-by-mistake"),
    # a court's fee, or the case goes to the enforcement agency
    ("sv", "Meddelande från Tingsrätten: ett föreläggande har utfärdats mot dig. Om avgiften inte "
           "betalas överlämnas ärendet till Kronofogden", "official.crime-accusation"),
    # English verbs with Swedish endings ('claima'), paid per song and an invitation to join
    ("sv", "LAST CALL solana community reward 5 SOL per wallet, claima innan 23:59",
     "giveaway.prize-claim"),
    ("sv", "de finns en grupp som betalar for att gilla spotify latar, 30kr per lat. ska ja adda "
           "dig?", "job-task.pay-per-action"),
    # a courier's fee named as some "-avgift" with its sum
    ("sv", "PostNord: vi kunde inte leverera ditt paket. Betala 28 kr i ompaketeringsavgift via "
           "Swish", "advance-fee.fee-for-release"),
    # the writer's own site to bridge through, with an unlimited approval
    ("sv", "bridga dina eth via min sida, ba approve unlimited o kor",
     "wallet-drainer.unlimited-approval"),
    # Thai chat's "ต่อวอล" (connect the wallet) on a revoke tool's look-alike
    ("th", "เว็บเดิมล่ม ใช้ revokecash-th.com แทน ต่อวอลแล้วกด revoke all ทีเดียว",
     "wallet-drainer.revoke-tool"),
    # a brand beside a Swedish word of the payment scam ("avbryt", cancel) in the address
    ("sv", "Swish: en betalning väntar på ditt godkännande, avbryt den här: swish-avbryt.nu",
     "link.brand-keyword"),
    # a guaranteed buy-back price, a yearly rate no bank pays, a presale price beside the
    # listing price, a fixed rate with a capital guarantee
    ("sv", "Vi säljer fysiskt investeringsguld med garanterad återköpskurs +15% efter 12 månader. "
           "Minsta köp 25 000 kr.", "investment.guaranteed-returns-alone"),
    ("sv", "Staking av SEK-stablecoin med 24% årsränta! Kom igång på stablestake.se",
     "investment.fixed-yield"),
    ("sv", "GOLDSE, en token som backas av guld. Förköpspris 0,80 kr, listas på 4 kr. Bara 2 "
           "dagar kvar av presale!", "investment.multiplier"),
    ("sv", "Nordlys Kapital öppnar en räntefond med fast ränta 9,5% och full kapitalgaranti.",
     "investment.fixed-yield"),
    # an allowance raised, called nothing
    ("th", "ที่ wallet ขึ้นว่า increaseAllowance ไม่ใช่อะไรหรอกครับ กดไปเลย",
     "wallet-drainer.harmless-signature"),
    # customer payments taken in on one's own account and passed on: a money mule's "job"
    ("sv", "såg att du sökte jobb. vi behöver en 'ekonomiassistent' som tar emot kundbetalningar "
           "på sitt konto och för över till oss. ca 15 000/mån", "job-task.account-rental"),
    # saving and marking products in a web shop, and what the writer earned
    ("sv", "Jag har hittat ett jobb där man bara sparar och markerar produkter i en webbshop. Har "
           "tjänat 12k på 3 veckor. Kommentera 'INFO'", "job-task.paid-tasks"),
    # someone comes to take the cards or the cash at home
    ("sv", "Ni blir strax uppringd av en polis. Ta ut kontanter som bevis, en civilklädd kollega "
           "hämtar dem hos Er.", "official.home-pickup"),
    # the fellow victim who offers the helper: the recovery scam's opener, in four languages
    ("en", "Hey, Marcus said you lost money on that forex app, so sorry. I know someone who "
           "handled my case and got my money back, happy to introduce you",
     "recovery.helper-intro"),
    ("zh", "看到你说被骗了，我之前也是，有个老师帮我追回了大部分，可以介绍给你",
     "recovery.helper-intro"),
    ("tl", "Kumusta ka na? Na-scam din ako dati, may kakilala ako na tumulong sakin mabawi "
           "yung pera, ipakilala kita?", "recovery.helper-intro"),
    ("vi", "Mình cũng từng bị lừa trên sàn ảo, có người quen đã giúp mình lấy lại 70%, mình giới "
           "thiệu cho bạn nhé", "recovery.helper-intro"),
    # a move to a "new" contract, pool or version before a date, with no word for signing
    ("th", "📢 แจ้งจากทีม dev: คอนแทรคเวอร์ชันเดิมจะหยุดใช้วันที่ 30 นี้ ฮอลเดอร์ทุกคนย้ายโทเคนไป V2 "
           "ได้ที่ kora-migrate.app", "wallet-drainer.migrate-before-deadline"),
    ("en", "heads up, the old staking contract stops on the 30th, move your stake to the new pool "
           "before Sunday at stake-v2-portal.app", "wallet-drainer.migrate-before-deadline"),
    # a mentor's round that closes on a day, the minimum stake rising after it
    ("tl", "Nakapag-register ka na ba sa app na sinend ko? Sabi ni coach, Friday magsasara "
           "itong round, after nun tataas na minimum", "investment.round-closing"),
    ("en", "did you manage to register on the app I sent? my mentor said this round closes "
           "Friday, after that the minimum goes up", "investment.round-closing"),
    # the helpers defended ("not all of them are scammers"), then a lawyer or a hacker
    ("en", "not everybody that offers to help you recover is a fraud btw. the attorney my aunt "
           "used traced the wallet and got 60% of it back", "recovery.helpers-defended"),
    ("ms", "Bukan semua yang offer tolong tu penipu. Hacker yang member saya guna dapat balik "
           "RM20k dia", "recovery.helpers-defended"),
    ("sv", "Inte alla som hjälper en att få tillbaka pengar är bedragare, advokaten min kusin "
           "anlitade spårade allt", "recovery.helpers-defended"),
    # the wallet spelt วอลเล็ท as often as วอลเล็ต, on an event page
    ("th", "ยินดีด้วยค่ะ ติดอันดับแจกรางวัล 40 USDT เชื่อมวอลเล็ทที่หน้ากิจกรรมเพื่อรับรางวัลได้เลย",
     "wallet-drainer.connect-for-reward"),
    # the few places: a mentor who takes only a handful, a tip told only to close friends
    ("en", "my gold trades are up 12% this month following Mark's calls. he's only taking a "
           "couple of new clients in December", "investment.few-places"),
    ("th", "เดือนนี้กำไรจากเทรดทองอีกแล้ว โค้ชรับแค่ไม่กี่คนนะ", "investment.few-places"),
    ("zh", "我舅舅在券商，说下周有只股票要涨，我只跟比较熟的人说", "investment.insider-edge"),
    # a self-custody wallet's security team as the writer's persona, nothing asked yet
    ("en", "Good morning, this is the Trust Wallet security team. We flagged an unusual "
           "approval on your address overnight. Is everything ok on your side?",
     "fake-support.self-custody-team"),
    ("id", "Halo kak, dari tim keamanan Tangem. Kartu kakak termasuk batch yang kena masalah "
           "firmware, masih bisa dipakai normal?", "fake-support.self-custody-team"),
    # a stranger who saw the reader's post in a victims' group, sympathy and a question
    ("vi", "Chào anh, em đọc bình luận của anh trong nhóm cảnh báo lừa đảo, thương anh quá. "
           "Anh bị mất nhiều không ạ?", "recovery.victim-approached"),
    ("sv", "Hej! Läste din kommentar i gruppen för oss som blivit lurade. Så tråkigt, hur mår "
           "du nu?", "recovery.victim-approached"),
    # an old acquaintance back in touch, an investment of theirs that pays in passing
    ("sv", "Längesen! Minns du mig från kören? Har börjat investera i en guldfond via en "
           "kompis firma, avkastning varje månad. Ses på fika?", "investment.reconnect-gain"),
    ("tl", "Uy long time no see! Naaalala mo pa ba ako, classmate mo dati sa UST? Nag-invest "
           "ako sa isang farm, may kita buwan-buwan. Kape tayo minsan?",
     "investment.reconnect-gain"),
    # a courier's name beside a delivery word in pinyin (派送)
    ("zh", "【顺丰速运】您的快件因地址信息不全派送失败，请尽快更新：sf-express-paisong.cn/update",
     "link.brand-keyword"),
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


def _verdict(text: str, lang: str) -> str:
    return DETECTOR.check(CheckRequest(text, lang=lang)).verdict


@pytest.mark.parametrize(("lang", "text"), [
    # a look-alike named in quotation marks, asked about
    ("en", "my cousin got sent 'kraken-wallet-sync.net' by a guy on discord, that's not kraken "
           "right? he hasn't opened it"),
    ("id", "ada yg kirim link 'tokopedia-hadiah-undian.com' ke grup keluarga, ini resmi ga sih?"),
    # a link written as a pattern in a warning
    ("vi", "tin nhắn báo phạt nguội kèm link dạng csgt-xxxx.top đều là lừa, tra cứu trên app "
           "VNeID thôi"),
])
def test_a_named_or_patterned_link_in_a_discussion_is_not_flagged(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # the same look-alike sent bare, as a scam sends it
    ("en", "kraken moved wallets to a new system, sync yours at kraken-wallet-sync.net before "
           "friday or withdrawals stay frozen"),
    # a scare-quoted term and a question to the reader do not make the link after them quoted
    ("en", "morning! do you still use Ledger Live? there's a new 'device health check' for all "
           "EU users now, ledger-mica-check.eu, takes two minutes"),
    # an agency's name with a renewal or an update, and its portal's name (LTMS of the LTO)
    ("tl", "Paalala: paso na ang rehistro ng motor mo, i-renew na sa lto-renewal-online.com bago "
           "ka multahan"),
    ("tl", "Bangko Sentral: i-update ang bank account mo sa bsp-update-accounts.com bago "
           "i-freeze"),
    ("tl", "Lahat ng lisensya na hindi naka-link ay kakanselahin, i-link sa ltms-portal-ph.com"),
])
def test_a_look_alike_offered_bare_stays_flagged(lang: str, text: str) -> None:
    verdict = DETECTOR.check(CheckRequest(text, lang=lang))
    assert verdict.verdict != "clean"
    assert any(hit.rule.startswith("link.brand-") for hit in verdict.hits)


def test_a_genuine_new_login_alert_is_not_a_stopped_purchase() -> None:
    text = ("Nordea: ny inloggning i appen kl 09:12. Om det inte var du, ring oss på "
            "0771-22 44 88.")
    assert "fake-support.account-problem" not in _rules(text, "sv")


@pytest.mark.parametrize(("lang", "text"), [
    ("sv", "nån mer som fått sms från 'Tullverket' om en avgift? länken var tull-avgift.se"),
    ("tl", "may nakatanggap din ba ng text na may link na lbc-redelivery.top? di ko pinindot"),
])
def test_who_else_got_it_is_a_discussion(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert message.scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # a bot's username ends in "bot" whatever it imitates
    ("sv", "Alla kunder måste verifiera sig på nytt via @SafelloVerify_bot innan fredag"),
    ("en", "KYC renewal is now done through our bot @KrakenSupportDesk_bot, start it today"),
])
def test_a_bot_handle_imitating_a_brand_is_a_look_alike(lang: str, text: str) -> None:
    hits = [h for h in DETECTOR.check(CheckRequest(text, lang=lang)).hits
            if h.rule == "handle.lookalike"]
    assert hits
    # the reason names the account as written, suffix and all
    handle = next(w for w in text.split() if w.startswith("@")).rstrip(",.").lower()
    assert handle in hits[0].reason


@pytest.mark.parametrize(("lang", "text"), [
    # hearsay: what somebody claimed, told by the writer
    ("ms", "semalam ada org DM aku kononnya support exchange, minta 12 words utk verify. "
           "aku dah report akaun dia"),
    ("tl", "may DM sakin, taga-support daw ng exchange, kailangan ko raw ibigay yung 12 words"),
])
def test_hearsay_is_reported_speech(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert message.scope.discussion
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # advice used as cover: a later sentence asks for the secret
    ("en", "PSA from the admins: we never DM first and never ask for funds. Wallet not syncing? "
           "Reply here with your 12-word recovery phrase and a verified mod will look at it."),
    ("zh", "【安全提醒】管理员绝不会主动私聊任何人！钱包无法同步的朋友，请把助记词发在本消息下面，"
           "技术管理员会逐一检查。"),
    # a "however" after "we never ask": the request opens again
    ("vi", "Ngân hàng không bao giờ yêu cầu mật khẩu. Tuy nhiên mã OTP vừa gửi đến quý khách cần "
           "được đọc lại cho nhân viên để hủy giao dịch."),
])
def test_advice_used_as_cover_frames_nothing(lang: str, text: str) -> None:
    assert _verdict(text, lang) != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a discussion used as cover: the writer's own later sentence asks the reader for the code
    ("sv", "Jag fick ett sms om att ditt konto på Blocket används av någon annan. Kan du skicka "
           "koden du just fick så jag kan bekräfta att det är du?"),
    ("en", "Someone asked me about the accounts being locked today. Anyway send me the 6 digit "
           "code that just came to you so I can unlock yours."),
])
def test_discussion_used_as_cover_frames_nothing(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert message.scope.discussion and message.scope.cover
    assert _verdict(text, lang) != "clean"


def test_a_question_about_a_message_is_followed_by_the_message_pasted() -> None:
    """"Is this a scam? send your seed phrase to verify": the request is the message asked
    about, not the writer's own."""
    text = "Is this a scam? send your seed phrase to verify your wallet"
    message = DETECTOR.prepare(CheckRequest(text, lang="en"))
    assert message.scope.discussion and not message.scope.cover


@pytest.mark.parametrize(("lang", "text"), [
    # the request after the discussion is what somebody else said, retold
    ("ms", "ada sape dapat DM dari support? dia kata kena bagi kod OTP baru boleh unlock. aku "
           "tak bagi"),
    ("en", "Anyone else get a DM from 'support' about a locked account? They said I have to send "
           "the code to unlock it. I didn't."),
])
def test_discussion_followed_by_a_retold_request_stays_framed(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a third party's conduct towards the members, told, with the writer's verdict (a ban)
    ("en", "Mods please ban @wallet_fixer_99. he's DMing everyone who asks a question here, "
           "offering to sync their wallet, and then he wants the 12 words"),
    # "a netizen asked me to ...", and the writer's doubt: "phishing, right?"
    ("zh", "网友让我在他发的网站上做套利，说日收益2%，要先把钱包导入平台。应该是钓鱼吧？"),
    # the writer's own doubt put to the group: "I suspect it steals USDT, anyone know?"
    ("zh", "朋友发来一个链接，说连钱包签名就能领空投，我怀疑是盗U的，有懂的吗"),
])
def test_a_third_partys_script_told_with_a_verdict_is_discussion(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion
    # the request rules are silenced (what the learned layer reads is weighed on its own)
    assert not {r for r in _rules(text, lang) if not r.startswith("model.")}


def test_a_text_the_writer_keeps_getting_is_a_framed_quotation() -> None:
    text = ("'We attempted to deliver your parcel. Pay the 1.99 redelivery fee at "
            "royalmail-redelivery.info' got 3 of these this week")
    assert DETECTOR.prepare(CheckRequest(text, lang="en")).scope.framed_quote


def test_asking_the_moderators_to_watch_an_account_is_the_writers_verdict() -> None:
    text = ("mods pakibantayan si @Wallet_Rescue_PH, nagpo-post sa bawat thread ng 'DM me para "
            "sa stuck funds'")
    assert DETECTOR.prepare(CheckRequest(text, lang="tl")).scope.judged
    assert not {r for r in _rules(text, "tl") if r.startswith("fake-support.")}


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Admins will never DM you first. If anyone asks for your recovery phrase, report them "
           "and block."),
    ("en", "Never share your seed phrase with anyone. Someone asked me for mine yesterday "
           "pretending to be support, I blocked him."),
])
def test_advice_followed_by_a_warning_or_a_story_stays_framed(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # someone close to the writer, and what happened to them: a retelling, in every language
    ("en", "my dad got a call this morning, the tax office wants a transfer today"),
    ("zh", "我爸昨天接到税务局电话，要他今天转账到指定账户"),
    ("id", "bokap gw ditelpon petugas pajak, harus transfer hari ini ke rekening khusus"),
    ("ms", "my uncle kena call dengan pegawai LHDN, kena transfer hari ni ke akaun khas"),
    ("tl", "kapatid ko tinawagan ng taga-BIR, kailangan daw mag-transfer ngayon"),
    ("vi", "bố t vừa bị gọi từ cục thuế, phải chuyển tiền hôm nay vào tài khoản riêng"),
])
def test_a_relatives_story_is_reported_speech(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # a relative's gain or job is no retelling: the insider-tip and pig-butchering openers
    ("en", "my uncle made 40k with this mentor last month, want his number?"),
    ("id", "om aku direktur di exchange, koin ini listing minggu depan, ikut beli ga?"),
])
def test_a_relatives_gain_is_not_a_retelling(lang: str, text: str) -> None:
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # the reader's own case, named by the fake official who "handles" it
    ("vi", "Phòng An ninh mạng thông báo: vụ việc anh trình báo về sàn BitNova đã được xác "
           "minh. Để hoàn trả 72.000 USDT, anh cần nộp phí xác minh tài sản 2% qua ví chỉ định."),
    ("sv", "Vi har granskat din polisanmälan. För att frigöra de spärrade medlen behöver du "
           "betala en handläggningsavgift på 2 400 kr idag."),
    ("ms", "Laporan polis anda telah diluluskan, dana RM48,000 boleh dipulangkan selepas bayar "
           "fi pemprosesan RM900 ke akaun ejen kami."),
    # the writer's associate, about to act: the courier of a cash-pickup scam
    ("en", "My colleague Mr Tan will come by your place tomorrow 3pm to collect for the gold "
           "allocation. 48,000 cash in an envelope is fine, he'll give you a signed receipt"),
])
def test_a_report_that_retells_nothing_is_no_reported_speech(lang: str, text: str) -> None:
    """A report word that names the reader's case, or a colleague of the writer who is about
    to act, retells nothing: the message is no discussion and stays flagged."""
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion
    assert _verdict(text, lang) != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    ("vi", "Mình đóng thêm 2 lần phí vẫn không rút được, đã trình báo công an phường rồi."),
    ("sv", "Pappa blev lurad på 40 000 kr, vi har gjort en polisanmälan och spärrat kortet."),
    ("ms", "Kawan aku kena tipu RM5k, dia dah buat laporan polis semalam."),
    ("en", "My colleague got a call from 'the bank' asking her to move her savings"),
])
def test_the_writers_own_report_stays_reported_speech(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # a heading that names the scam: what follows the colon describes its script
    ("en", "Fake airdrop script: they reply under the official post, send a claim site, ask you "
           "to connect your wallet and sign a 'verification'. Signing hands over your tokens."),
    ("zh", "冒充客服话术：先说你的账户被冻结，再让你下载会议软件共享屏幕，"
           "最后要你把验证码念给他。"),
    ("ms", "Modus kerja part-time: mula-mula bayar komisen kecil, lepas tu suruh top up untuk "
           "'misi VIP', makin tinggi makin banyak kena bayar."),
    ("sv", "Bluffen med 'säkert konto': någon ringer som banken, säger att kontot är hotat "
           "och ber dig flytta pengarna och signera med BankID."),
])
def test_a_heading_naming_the_scam_frames_its_description(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert message.scope.advice_first
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a warning word alone is no scam's name: scams open with "WARNING:" too
    ("en", "WARNING: your wallet will be suspended in 24h. Reply with your 12-word recovery "
           "phrase to keep it active."),
    # the colon of a web address ends no heading
    ("en", "anti scam wallet check https://wallet-sync-check.app/connect connect now and sign "
           "to secure your funds"),
    # the colon stands after the first sentence: no heading
    ("zh", "您好，我是工商银行的工作人员。我们提醒您有一个领取链接需要点击确认，请按以下步骤操作："
           "下载APP并上传身份证和银行卡信息。"),
])
def test_a_heading_without_a_scam_name_frames_nothing(lang: str, text: str) -> None:
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice_first


def test_a_heading_verdict_on_listed_links_still_judges_them() -> None:
    text = "Fake links this week: binnance-ph.com, metamask-io.app, phlpost-ph.co, add yours"
    assert _verdict(text, "en") == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # "the admin won't leak it" after the ask reassures the victim; it warns nobody
    ("zh", "周年奖励领取需要验证钱包，请私聊管理员提供助记词，管理员不会泄露，请放心"),
    ("zh", "钱包同步失败的话，请把私钥发给客服完成同步，客服不会外传，放心"),
])
def test_reassurance_after_the_ask_is_no_advice(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert not message.scope.advice
    assert _verdict(text, lang) != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a claim on the project's own domain is the genuine claim: every link is official
    ("en", "Season 2 claim is open. Check eligibility at app.zksync.io/claim, the only official "
           "domain, and pay normal gas only"),
    ("th", "เปิดให้ claim airdrop รอบ 2 แล้ว ตรวจสอบสิทธิ์ได้ที่ claims.eigenlayer.xyz เท่านั้น"),
    ("ms", "min, link claim airdrop yang betul tu app.layerzero.network kan? nak confirm dulu "
           "sebelum connect wallet"),
])
def test_an_airdrop_on_the_official_domain_is_not_a_drainer(lang: str, text: str) -> None:
    hits = _rules(text, lang)
    assert not any(rule.startswith("wallet-drainer.") for rule in hits)


@pytest.mark.parametrize(("lang", "text"), [
    # the same claim on a look-alike, or beside one
    ("en", "Season 2 claim is open. Check eligibility at zksync-claim-portal.app and pay normal "
           "gas only"),
    ("en", "Season 2 claim is open at app.zksync.io, or use the faster mirror zk-claims.app"),
])
def test_an_airdrop_off_the_official_domain_stays_flagged(lang: str, text: str) -> None:
    assert _verdict(text, lang) != "clean"


def test_a_page_anyone_publishes_on_a_brands_domain_is_not_the_brands_word() -> None:
    official = DETECTOR.prepare(CheckRequest("mint at opensea.io/account/settings", lang="en"))
    published = DETECTOR.prepare(
        CheckRequest("free mint, 1 per wallet, claim at opensea.io/collection/free-pass-x",
                     lang="en"))
    assert official.official_links
    assert not published.official_links


@pytest.mark.parametrize(("lang", "text"), [
    # the writer calls what they retell a scam, in so many words
    ("en", "'send me the code that just came to your phone, it was meant for me' from my "
           "brother's hacked account. yeah no, blocked"),
    ("tl", "'Mag-invest ng ₱3,000, balik ₱9,000 in 5 days' sa GC namin kanina. Scam yan, "
           "wag kayo papauto"),
    ("sv", "'Koppla din wallet på zk-reward-claim.net inom 1 timme för att få din airdrop' — det "
           "är en drainer, officiella länkar finns bara i den fästa posten"),
    # a moderator who removed a scam and tells the group what it said
    ("vi", "Admin vừa xóa tin của acc 'CSKH Ví': 'nhập 12 từ khôi phục vào form để đồng bộ "
           "ví'. Nhóm không có ai tên vậy, đã ban."),
    ("zh", "管理员说明：刚删掉一条冒充项目方的消息，"
           "内容是“连接钱包到 claim-zk-drop.io 签名领取空投”，该账号已封禁。"),
    # a victim's own story, told so others do not fall for it
    ("ms", "Share pengalaman supaya korang tak kena: aku top up RM300 untuk 'task VIP', lepas "
           "tu kena bayar lagi RM2,000 baru boleh withdraw. Semua hilang."),
])
def test_a_retold_scam_the_writer_names_is_a_discussion(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # "don't worry about being scammed" is the scammer's reassurance, not a victim's story
    ("zh", "老同学，我在国外急需买机票回国，你先帮我垫付一下，你不用担心被骗了，我到家马上还你"),
    # "this is not a scam" is a scammer's claim, not a verdict
    ("en", "this is not a scam, DM me and I will double your USDT within 24 hours, 100% legit"),
])
def test_a_reassurance_about_scams_is_no_discussion(lang: str, text: str) -> None:
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # a link introduced as an example of what scammers send is named, not offered
    ("en", "If someone DMs you about a 'sync issue' they'll send something like "
           "metamask-sync-fix.io and ask for your 12 words. Real support never DMs first."),
    ("vi", "Mọi người cẩn thận nha, bọn nó hay gửi link kiểu vietcombank-xacthuc.top để lừa "
           "nhập OTP"),
])
def test_a_link_given_as_an_example_is_not_offered(lang: str, text: str) -> None:
    verdict = DETECTOR.check(CheckRequest(text, lang=lang))
    assert verdict.verdict == "clean"


def test_a_link_offered_as_a_tool_stays_flagged() -> None:
    text = "Wallet sync issue? Use the tool at metamask-sync-fix.io to repair it now"
    assert _verdict(text, "en") != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # "the only official support is @x, the others are scammers": the verdict is aimed at the
    # others, the handle is the scam's own
    ("zh", "本群唯一官方客服是 @HuobiGuanFang_KF ，其他私聊你的都是骗子，账户冻结请只联系这个号"),
    ("en", "Only official helpdesk: @Binance_HelpDesk_Official, all the others are fake, DM them "
           "for withdrawals"),
])
def test_a_verdict_aimed_at_the_others_does_not_judge_the_handle(lang: str, text: str) -> None:
    assert _verdict(text, lang) != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # the writer retells a DM, link and all, and asks the group about it
    ("en", "someone replied to my post with 'DM me I can help', then in DM sent a link to "
           "metamask-restore-help.app to fix my wallet. how common is this??"),
    ("en", "friend got a dm from 'support' and then a link to trustwallet-rectify.app, how do "
           "people fall for this?"),
    # or judges it after the link: a verdict ("anmälde det direkt", reported it at once)
    ("sv", "Fick precis ett sms om obetald trängselskatt med länk till "
           "transportstyrelsen-betala.info, kör inte ens bil i stan. Anmälde det direkt"),
    # Thai asks with a particle, without a question mark ("ไม่ใช่เหรอ": isn't it?)
    ("th", "เมื่อเช้าได้ SMS การไฟฟ้าคืนเงินประกัน ลิงก์ pea-refund.online ของจริงเค้าคืนผ่าน"
           "พร้อมเพย์ไม่ใช่เหรอ"),
])
def test_a_link_the_writer_got_and_asks_about_is_not_offered(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_a_links_query_is_no_question() -> None:
    # "view?u=" opens a query string; the lure asks the reader nothing
    text = ("omg someone posted ur pics here 😳 login to see before they delete: "
            "telegrarn-web.org/view?u=77")
    message = DETECTOR.prepare(CheckRequest(text, lang="en"))
    assert not message.scope.question
    assert "link.brand-keyword" in _rules(text, "en")
    assert _verdict(text, "en") != "clean"
    # a real question mark still asks, in either script
    assert DETECTOR.prepare(CheckRequest("is telegrarn-web.org real?", lang="en")).scope.question
    assert DETECTOR.prepare(CheckRequest("这个链接是真的吗？我不敢点", lang="zh")).scope.question


@pytest.mark.parametrize(("text", "question"), [
    ("โอนไปแล้วได้เงินคืนไหม", True),
    ("ลิงก์นี้ของจริงหรือเปล่า", True),
    ("เว็บนี้ของธนาคารจริงมั้ย", True),
    # "ไหม้" (burnt) and "หรอก" (a particle of denial) ask nothing
    ("บ้านข้างๆไฟไหม้เมื่อคืน", False),
    ("ไม่ใช่หรอก โอนเงินก่อนแล้วค่อยรับของ", False),
])
def test_a_thai_question_particle_asks(text: str, question: bool) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang="th")).scope.question is question


@pytest.mark.parametrize(("lang", "text"), [
    # "there is no step where you enter the recovery phrase": the negation reaches the ask
    ("vi", "Ví bản mới đã có trên App Store. Cập nhật bình thường, không có bước nhập cụm từ khôi "
           "phục nào cả"),
    ("id", "Versi baru Trust Wallet udah rilis, update kayak biasa. Gak ada langkah isi frasa "
           "pemulihan waktu update"),
    ("ms", "Update app macam biasa, takde langkah masukkan frasa 12 perkataan"),
])
def test_an_update_without_a_phrase_step_is_no_request(lang: str, text: str) -> None:
    assert not _rules(text, lang) & {"key-request.seed-phrase", "key-request.seed-phrase-verify"}


@pytest.mark.parametrize(("lang", "text"), [
    # a moderator's log of what was removed is a report, not the removed scam
    ("en", "Mod log: removed 3 posts from @trezor_helpdesk_team asking people to 'validate' "
           "wallets. Account banned."),
    ("id", "Tadi saya hapus pesan dari @bca_layanan_resmi yg minta OTP ke member. Sudah diban ya"),
])
def test_a_moderators_log_is_a_discussion(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


def test_needing_your_key_is_handing_it_over() -> None:
    text = "提现需要您的钱包私钥来完成签收，这是正规流程，放心"
    assert "key-request.hand-over-key" in _rules(text, "zh")


def test_signing_up_is_not_reporting() -> None:
    # "anmäl dig" signs up (a job ad's call to action); "anmäl" alone reports
    sign_up = DETECTOR.prepare(CheckRequest("Jobba hemifrån, 900 kr/dag. Anmäl dig nu!",
                                            lang="sv"))
    report = DETECTOR.prepare(CheckRequest("Blockera och anmäl kontot direkt.", lang="sv"))
    assert not sign_up.scope.advice
    assert report.scope.advice


def test_online_is_not_the_line_app() -> None:
    # ออนไลน์ (online) ends in the letters of ไลน์ (LINE); only the app is a contact channel
    patterns = DETECTOR.rules.patterns
    online = DETECTOR.prepare(CheckRequest("แพ็กเกจลงทุนทองคำออนไลน์", lang="th"))
    line = DETECTOR.prepare(CheckRequest("ทักไลน์มาได้เลย", lang="th"))
    assert not patterns.found(online.scan, "contact")
    assert patterns.found(line.scan, "contact")


@pytest.mark.parametrize(("lang", "text"), [
    # Shopee's own country sites and Linea's own domain are the brands' own
    ("en", "got this lamp on sale, works great https://shopee.sg/Desk-Lamp-i.1234.5678"),
    ("en", "Linea eligibility checker is live only on linea.build, claims open 10 Sep, no fee"),
])
def test_a_brands_own_regional_domain_is_official(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_a_recovery_testimonial_with_an_email_is_an_advert() -> None:
    # an e-mail address is a way in, however it is written
    text = ("lost 40k to a fake exchange and thought it was gone until I contacted "
            "fundtracer.mike (at) gmail com. got it all back in 3 days 🙏")
    assert "recovery.getback-promise" in _rules(text, "en")


@pytest.mark.parametrize(("lang", "text"), [
    # a message the writer got, however they say it, and their own verdict on it
    ("en", "Got this SMS just now: 'Your parcel is on hold, pay the £1.20 fee at "
           "evri-redelivery-fee.com' didn't order anything lol"),
    ("en", "someone in the other group dm'd me 'I can recover your USDT for a small fee' sure "
           "buddy"),
    ("en", "Removed 9 messages today pushing 'wallet sync' sites."),
])
def test_the_many_ways_of_retelling_are_a_discussion(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Reminder: nobody from our team will ever DM you or ask for your seed phrase."),
    ("en", "Please note no bank will ask you to share your OTP or card PIN over a call."),
])
def test_nobody_will_ever_ask_is_advice(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice
    assert _verdict(text, lang) == "clean"


def test_a_help_centre_handle_is_an_impostors() -> None:
    text = "stuck deposit? just DM @Bitpanda_HelpCentre_Live, they sorted mine in 10 min"
    assert "handle.lookalike" in _rules(text, "en")


@pytest.mark.parametrize(("lang", "text"), [
    # a central bank sends borrowers to its own register of licensed lenders
    ("th", "ธนาคารแห่งประเทศไทยแนะนำ ก่อนขอสินเชื่อออนไลน์ ตรวจสอบรายชื่อผู้ให้บริการที่ได้รับอนุญาตได้ที่ "
           "bot.or.th"),
    # "we will never ask for your PIN" names no winner's PIN
    ("ms", "Jika akaun anda dicerobohi, hubungi careline rasmi dalam app. Kami tidak akan "
           "meminta PIN anda."),
])
def test_official_advice_in_malay_and_thai_is_clean(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_if_you_get_a_call_is_advice_in_malay() -> None:
    # "if you get a call from 'PDRM' ...": a third party's script, told as a warning
    text = "Kalau dpt call dari 'PDRM' suruh pindah duit ke akaun selamat, itu scam."
    assert DETECTOR.prepare(CheckRequest(text, lang="ms")).scope.advice


def test_a_link_the_writer_asks_about_is_not_offered() -> None:
    # the link is the subject of the writer's question: the learned reading decides
    text = "mọi người ơi shopee-sale-99k.top có thật ko? bạn mình share lên story hoài"
    assert _verdict(text, "vi") == "clean"


def test_a_question_that_offers_the_link_stays_flagged() -> None:
    text = ("Have you claimed your ARB yet at arbitrum-claims.app? window closes tonight, "
            "connect and claim")
    assert _verdict(text, "en") != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a moderator's log, in every language: what was removed and who was banned
    ("vi", "[Mod] Vừa xóa 3 tin quảng cáo airdrop và ban 2 acc."),
    ("id", "[MOD] Barusan hapus 5 pesan yg nyebar link palsu. Akunnya udah di-ban."),
    ("zh", "【管理员】刚删了两条消息，发消息的号已踢。"),
    ("th", "แอดมินลบโพสต์ลิงก์แจกเหรียญไปแล้วนะ"),
    ("th", "แอดมิน: ลบข้อความจากแอคปลอมไป 4 อัน แบนแล้วครับ"),
    ("ms", "Admin dah padam 4 mesej pasal airdrop tu, akaun dah kick."),
    ("tl", "Binura ko ang 3 post na may link ng fake airdrop, na-ban na yung account."),
    ("sv", "[Mod] Har tagit bort ett inlägg med en drainer-länk och bannat kontot."),
    # asking whether it is real, without a question mark
    ("vi", "sms nay that hay gia vay mn, bao thue bao bi khoa 2 chieu"),
    ("id", "min mau nanya akun itu resmi apa bukan, tiba2 chat gw"),
    ("ms", "akaun ni betul ke tak, dia mesej aku pasal hadiah"),
    ("tl", "legit ba to, may nag-message sakin about sa refund"),
    ("sv", "Undrar om kontot är äkta, de skrev att mitt konto flaggats"),
    ("th", "ข้อความนี้จริงไหม บอกว่าบัญชีถูกระงับ"),
])
def test_moderators_logs_and_doubts_are_a_discussion_in_every_language(lang: str,
                                                                       text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    # a message the writer got, however they say it
    ("vi", "hôm qua mình nhận được 1 tin nhắn lạ báo trúng thưởng"),
    ("vi", "Bị add vào nhóm Zalo toàn ảnh chụp lãi"),
    ("id", "Email ini masuk ke gw tadi pagi"),
    ("id", "td ada yg reply tweet gw pake link aneh"),
    ("zh", "我昨天接到一个陌生电话，说我的快递有问题"),
    ("zh", "有个叫客服小王的人私聊我"),
    ("th", "เมื่อวานได้รับข้อความจากเบอร์แปลก"),
    ("ms", "semalam aku terima mesej pelik dari nombor luar"),
    ("tl", "nakatanggap ako ng text kagabi galing sa unknown number"),
    ("sv", "fick precis ett sms om ett paket"),
    ("sv", "nån i gruppen skrev till mig om en airdrop"),
])
def test_retellings_are_recognised_in_every_language(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert DETECTOR.rules.patterns.found(message.scan, "retold")


@pytest.mark.parametrize(("lang", "text"), [
    # the writer reported or blocked the sender: their own verdict
    ("vi", "Mình vừa report và chặn acc đó rồi"),
    ("id", "Udah gw block akunnya"),
    ("ms", "Baru je report & block akaun tu"),
    ("tl", "Kaka-report at block ko lang sa account na yun"),
])
def test_reporting_the_sender_is_the_writers_verdict(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.judged


@pytest.mark.parametrize(("lang", "text"), [
    # a scam's own threats and calls to action are neither a log, nor a retelling, nor a
    # verdict
    ("vi", "Tài khoản của bạn đã bị chặn, xác minh tại link để mở lại"),
    ("id", "Akun anda sudah diblokir, silakan verifikasi ulang"),
    ("th", "บัญชีของคุณถูกแบนแล้ว กรุณายืนยันตัวตน"),
    ("th", "บัญชีของคุณโดนแบนแล้ว ติดต่อเจ้าหน้าที่ด่วน"),
    ("zh", "有任何问题请私聊我，包教包会"),
    ("sv", "Undrar om du vill tjäna extra pengar hemifrån"),
])
def test_a_scams_own_threats_frame_nothing(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    patterns = DETECTOR.rules.patterns
    assert not message.scope.discussion
    assert not message.scope.judged
    assert not patterns.found(message.scan, "retold")


def test_a_link_taken_apart_is_discussed() -> None:
    # the writer writes the link's registrable domain again on its own: a safety post
    dissected = ("anh em nhìn kỹ link nó gửi: pancakeswap.finance.claim-rewards.io, thật ra "
                 "domain là claim-rewards.io")
    offered = "Claim your CAKE rewards now: pancakeswap.finance.claim-rewards.io"
    hits = DETECTOR.check(CheckRequest(dissected, lang="vi")).hits
    message = DETECTOR.prepare(CheckRequest(dissected, lang="vi"))
    link_hits = [h for h in hits if h.rule == "link.brand-subdomain"]
    assert link_hits and not any(DETECTOR._stands(h, message) for h in link_hits)
    offered_message = DETECTOR.prepare(CheckRequest(offered, lang="en"))
    offered_hits = [h for h in DETECTOR.check(CheckRequest(offered, lang="en")).hits
                    if h.rule == "link.brand-subdomain"]
    assert offered_hits and all(DETECTOR._stands(h, offered_message) for h in offered_hits)


def test_a_links_query_does_not_frame_a_quotation() -> None:
    # the "?" of "view?u=77" asks nothing about the quoted words before it
    text = "“your photos leaked, check before they are deleted” telegrarn-web.org/view?u=77"
    assert not DETECTOR.prepare(CheckRequest(text, lang="en")).scan.framed_quotes
    asked = "“your photos leaked, check before they are deleted” telegrarn-web.org is this real?"
    assert DETECTOR.prepare(CheckRequest(asked, lang="en")).scan.framed_quotes


@pytest.mark.parametrize(("lang", "text"), [
    # "no bank / no police / no admin will ask", in every language
    ("tl", "Walang pulis, NBI, o korte na nagpapa-deposit sa 'safe account' through phone."),
    ("vi", "Không có ngân hàng nào yêu cầu bạn cung cấp mã OTP qua điện thoại."),
    ("vi", "Ko co cong an nao goi dien bat chuyen tien vao tai khoan tam giu dau."),
    ("id", "Gak ada admin yg bakal DM duluan minta seed phrase."),
    ("zh", "任何客服都不会私聊你要助记词。"),
    ("th", "ไม่มีธนาคารไหนขอรหัส OTP ทางโทรศัพท์"),
    ("ms", "Takde polis yang suruh pindah duit ke akaun selamat."),
    ("sv", "Ingen admin kommer att DM:a dig först."),
])
def test_nobody_will_ask_is_advice_in_every_language(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice


@pytest.mark.parametrize(("lang", "text"), [
    # "no fee, no capital": an offer's selling point, not advice
    ("tl", "Walang bayad, magpapa-register ka lang sa link"),
    ("vi", "Không cần vốn, ai quan tâm ib mình"),
    ("id", "Gak ada modal, tinggal chat admin"),
])
def test_no_fee_is_no_advice(lang: str, text: str) -> None:
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice


@pytest.mark.parametrize(("lang", "text"), [
    # reading what a wallet asks before signing it is a tip, whatever the technical words
    ("id", "Sign login cuma bukti kepemilikan, tapi permit itu approval juga. Baca dulu apa "
           "yang muncul di wallet sebelum klik confirm."),
    ("en", "a permit is an approval in disguise, read what you're signing every time"),
    ("vi", "permit cũng là approve đó, đọc kỹ trước khi ký nha"),
    ("ms", "permit tu sama je mcm approve, baca dulu sebelum tekan confirm"),
    ("tl", "yung permit approval din yan, basahin muna bago mag-sign"),
    ("zh", "permit 其实就是授权，签名前看清楚内容"),
    ("sv", "en permit är ett godkännande, läs noga innan du signerar"),
])
def test_reading_before_signing_is_advice(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice


@pytest.mark.parametrize(("lang", "text"), [
    # "someone may DM you": the writer foretells the scam's approach, a warning
    ("zh", "提醒一下，接下来几天可能会有人私信你说能追款、认识黑客，全部拉黑举报"),
    ("en", "heads up, someone may DM you offering to get your coins back for a fee"),
    ("id", "hati2 ya, mungkin akan ada yang dm ngaku bisa balikin dana"),
    ("tl", "ingat, baka may mag-pm sa inyo na kaya daw ibalik yung pera"),
    ("sv", "tänk på att någon kan höra av sig och lova att få tillbaka pengarna"),
])
def test_someone_may_contact_you_is_a_discussion(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


def _standing(text: str, lang: str, rule: str) -> bool:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    hits = [h for h in DETECTOR.check(CheckRequest(text, lang=lang)).hits if h.rule == rule]
    assert hits, f"{rule} did not fire"
    return all(DETECTOR._stands(h, message) for h in hits)


@pytest.mark.parametrize(("lang", "text"), [
    # an impostor's warning: the handle it vouches for stands, whatever frames the message
    ("ms", "korang jgn layan admin palsu yg PM minta duit tu 🙄 aku dah report. Luno support yg "
           "betul cuma @Luno_MY_Bantuan, bagi email n password je dia settle withdraw korang"),
    ("en", "scam alert: fake admins are DMing people. the only official support is "
           "@Binance_Helpdesk_Live, contact them if your withdrawal is stuck"),
])
def test_a_handle_the_writer_vouches_for_stands(lang: str, text: str) -> None:
    assert _standing(text, lang, "handle.lookalike")


def test_vouching_for_the_brands_own_handle_leaves_the_impostor_discussed() -> None:
    # the real account is vouched for; the impostor named in the same post is discussed
    text = ("is @Binance_Helpdesk_Live real? the only official account is @binance, "
            "I think the other one is a scam")
    assert not _standing(text, "en", "handle.lookalike")


@pytest.mark.parametrize(("lang", "text"), [
    # a member asks the moderators to ban the impostor: its handle is reported, not offered
    ("ms", "Admin tolong ban @Maybank_CS_Helpdesk, dia PM saya cakap 'akaun anda dibekukan, "
           "sila berikan TAC untuk pengesahan'. Bank betul takkan PM kat Telegram"),
    ("vi", "Admin ơi ban giùm con acc @Admin_HoTro_Remitano, nó nhắn riêng em bảo 'tài khoản "
           "của bạn bị treo, vui lòng liên hệ để mở khóa và cung cấp mã xác minh'. Giả mạo "
           "admin đó mn cẩn thận"),
    ("th", "แอดมินช่วยแบน @Bitkub_Support_TH ด้วยครับ ทักมาหาผมบอก 'บัญชีของคุณถูกระงับ "
           "กรุณาส่ง OTP เพื่อปลดล็อค' ปลอมชัดๆ"),
    ("en", "@Binance_Helpdesk_Live pls ban, he DMed me about my 'frozen withdrawal'"),
])
def test_a_handle_the_writer_asks_to_ban_is_reported(lang: str, text: str) -> None:
    request = CheckRequest(text, lang=lang)
    assert not any(link.handle for link in DETECTOR.prepare(request).links)
    assert DETECTOR.check(request).verdict == "clean"


def test_a_ban_request_leaves_the_handle_the_message_offers() -> None:
    # an impostor's post: the handle to ban is reported, the one to contact is offered
    text = ("Our admins never DM first. Please ban @fake_admin1 and contact the real support "
            "@Binance_Help_Desk_Real for your issue")
    handles = [link.handle for link in DETECTOR.prepare(CheckRequest(text, lang="en")).links]
    assert handles == ["binance_help_desk_real"]
    assert _standing(text, "en", "handle.lookalike")


@pytest.mark.parametrize(("text", "rule"), [
    # the recovery phrase by other names, spaced out, handed to the writer
    ("钱包'备份码'就是那12个英文，不是密码哈，直接复制粘贴给我就可以了",
     "lang-zh.key.give-me-phrase"),
    ("助 记 词 私 发 管理员即可领取本次补偿，名额有限", "lang-zh.key.give-me-phrase"),
    ("客服小李：亲，您的提现审核需要钱包恢复码核验，请直接在对话框发送哦",
     "key-request.seed-phrase"),
])
def test_the_recovery_phrase_by_other_names(text: str, rule: str) -> None:
    assert rule in _rules(text, "zh")


def test_keeping_ones_own_phrase_hands_nothing_over() -> None:
    assert not _rules("我把助记词存在手机备忘录里了，现在有点慌，要不要换个钱包？", "zh") & {
        "key-request.hand-over-key", "lang-zh.key.give-me-phrase"}


def test_staff_who_never_ask_is_advice_in_chinese() -> None:
    text = "币安公告：币安员工不会通过 Telegram 私信向您索要密码、2FA 验证码或钱包私钥。"
    assert DETECTOR.prepare(CheckRequest(text, lang="zh")).scope.advice


def test_fpt_telecoms_look_alike_is_a_brand_keyword() -> None:
    text = "FPT Telecom: quy khach thanh toan cuoc qua fpt-thanhtoan[.]store de tranh bi cat mang"
    assert "link.brand-keyword" in _rules(text, "vi")
    assert _verdict("Lắp mạng FPT ở fpt.com.vn, ưu đãi tháng 9", "vi") == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a doubling told as a testimonial, with numbers rather than words
    ("en", "I honestly didn't believe it but I sent 0.1 ETH to the Vitalik event address and got "
           "0.2 back in 10 min 😳 still running: 0x8F3cB2e91D47a6c0f5E1b9d24A7e61C3a0d9A91e"),
    ("zh", "真没想到，我往活动地址转了0.5 BNB，5分钟后收到1 BNB 😱 活动还在进行："
           "0x7c2E91aB4d03F8e6C5b1A9f2D47e0C3b8A1f62D9"),
    # a measure word between the amount and the coin, the coin glued to the next word
    ("zh", "群友们我刚试了，往这个地址转了0.5个ETH，十分钟后1个ETH到账了🔥 "
           "0x7c2E91aB4d03F8e6C5b1A9f2D47e0C3b8A1f62D9"),
])
def test_coins_sent_and_come_back_doubled(lang: str, text: str) -> None:
    assert "giveaway.doubled-to-address" in _rules(text, lang)


@pytest.mark.parametrize("text", [
    # a doubled price is no doubled payout; a whole number beside a coin is often a time
    "bought the NFT at 0.5 ETH, floor is 1 ETH now, contract "
    "0x8F3cB2e91D47a6c0f5E1b9d24A7e61C3a0d9A91e",
    "sent 5 USDT to 0x8F3cB2e91D47a6c0f5E1b9d24A7e61C3a0d9A91e for the pizza, arrives in 10 min",
])
def test_doubled_numbers_without_a_payout_are_no_giveaway(text: str) -> None:
    assert "giveaway.doubled-to-address" not in _rules(text, "en")


@pytest.mark.parametrize(("lang", "text"), [
    # the writer got out at once: their verdict on what they were sent
    ("sv", "nån skickade en länk till gratis NFT-mint, plånboken bad om setApprovalForAll för "
           "hela kollektionen. stängde direkt. var försiktiga"),
    ("en", "Recovery services that contact YOU after you post about losing funds are 100% "
           "scams."),
])
def test_getting_out_at_once_is_the_writers_verdict(lang: str, text: str) -> None:
    patterns = DETECTOR.rules.patterns
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert patterns.verdicts(message.scan)
    assert message.scope.judged or message.scope.framed


def test_kakak_kasih_asks_in_indonesian() -> None:
    text = ("Hai kak, aku admin komunitas Phantom. Caranya kakak kasih 12 kata pemulihan, aku "
            "pindahin ke wallet baru yg aman.")
    assert "key-request.seed-phrase" in _rules(text, "id")
    assert "key-request.seed-phrase" not in _rules("terima kasih, 12 kata pemulihan aman", "id")


def test_a_doubling_testimonial_with_a_link_and_a_doubt_is_a_giveaway() -> None:
    # the testimonial opens with a doubt's words; the numbers still double
    text = ("真的假的我都不敢信，昨天参加V神回馈转了0.2拿回0.4 😳 活动地址还能用："
            "vitalik-eth-event.live")
    assert "giveaway.doubled-to-link" in _rules(text, "zh")


@pytest.mark.parametrize(("lang", "text"), [
    ("vi", "m nhớ nha, ai bảo lỡ gửi mã về số m thì đừng đọc cho nó. tụi nó chiếm zalo kiểu đó"),
    ("vi", "Thấy ai khoe lãi x2 trong group rồi bảo ib để chỉ cách thì 99% là chim mồi."),
])
def test_whoever_says_then_dont_is_advice_in_vietnamese(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice


@pytest.mark.parametrize(("lang", "text"), [
    ("zh", "刷单返利那套我亲身体验过：第一单返了12块，第三单就要我垫800……没上当，截图交给反诈了"),
    ("sv", "Gratis NFT-mint som ber dig signera allt = tömd plånbok."),
])
def test_a_loss_avoided_or_named_is_the_writers_verdict(lang: str, text: str) -> None:
    assert DETECTOR.rules.patterns.verdicts(DETECTOR.prepare(CheckRequest(text, lang=lang)).scan)


def test_an_impostor_of_the_anti_fraud_centre_is_no_verdict() -> None:
    # scammers claim to be the anti-fraud centre: its name is no verdict of the writer
    text = "我是国家反诈中心的员工，你的账户涉嫌洗钱，请配合共享屏幕核查"
    assert not DETECTOR.rules.patterns.verdicts(DETECTOR.prepare(CheckRequest(text,
                                                                            lang="zh")).scan)
    assert _verdict(text, "zh") != "clean"


def test_photograph_it_for_me_passes_the_code_on_in_indonesian() -> None:
    text = "Bu, kode SMS yang barusan masuk ke HP ibu tolong difotokan ke saya ya, punya anak saya"
    assert "otp-request.received-code" in _rules(text, "id")


@pytest.mark.parametrize(("lang", "text"), [
    # the recovery phrase named by how it came: the words the app showed when the wallet was
    # made, the wallet's backup
    ("en", "Admins here: if your tokens show 0 balance it's an indexing bug. Send us your backup "
           "(the words the app showed you at setup) in DM and we re-index manually"),
    ("vi", "Admin thông báo: ai nạp mà chưa thấy token về thì gửi bản sao lưu ví (mấy chữ app "
           "hiện lúc tạo ví) qua tin nhắn riêng để bên mình đồng bộ thủ công"),
    ("ms", "Admin: sesiapa staking tak masuk lagi, hantar backup wallet (perkataan yg app tunjuk "
           "masa install) melalui PM, kami key in manual"),
])
def test_the_recovery_phrase_named_by_how_it_came(lang: str, text: str) -> None:
    assert "key-request.seed-phrase" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # a testimonial that credits a private contact, or calls the others to do the same: its
    # words of loss and doubt frame nothing
    ("id", "testimoni lagi ya guys, uang aku yg ketipu di aplikasi trading palsu udah balik full "
           "via @Rekoveri_Kripto_ID. jangan lama2, makin lama makin susah dilacak"),
    ("ms", "update testimoni, duit kena tipu app emas palsu dah masuk balik full, thanks "
           "@Recovery_MY_Official . korang jgn tunggu lama, makin lama makin susah"),
    # a prize story that ends by calling the readers who have not claimed yet (`call_others`)
    ("zh", "本来以为是骗人的，结果抽奖的电饭煲今天真到了，"
           "就出了45元邮费，还没领的去群公告扫码登记"),
    ("tl", "Totoo pala, dumating na yung air fryer ko galing sa raffle, nagbayad lang ako ng "
           "₱120 na shipping fee. Sa mga hindi pa nakakuha, message nyo lang yung page"),
])
def test_a_testimonial_crediting_a_contact_or_calling_the_others_is_not_taken_back(
        lang: str, text: str) -> None:
    verdict = DETECTOR.check(CheckRequest(text, lang=lang))
    assert verdict.verdict != "clean"
    assert verdict.taken_back is None


@pytest.mark.parametrize(("lang", "text"), [
    # the call opens the message (an announcement's heading), or sits inside quotation marks
    ("en", "For those who haven't claimed the raffle prize yet: admins never ask for a shipping "
           "fee, claim only in the app"),
    ("en", "my aunt got a DM saying 'you won a blender, pay 5 USD shipping, those who haven't "
           "claimed yet hurry' and she almost paid"),
])
def test_a_call_at_the_start_or_in_quotes_is_no_testimonial_call(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert not DETECTOR.rules.patterns.calls_others(message.scan, message.text.skeleton)


@pytest.mark.parametrize(("lang", "text"), [
    # a site after "via" is where the writer was scammed, or the tool they used; a handle the
    # words do not reach is no credit
    ("vi", "bạn t bị lừa qua link bybit-airdrop-vn.xyz, đăng nhập vào xong bị rút sạch 1.2k usdt. "
           "đã report lên support chính thức trong app bybit rồi nhưng chắc khó lấy lại 😞"),
    ("sv", "Uppdatering om min kompis: han godkände en unlimited allowance på en fejk-bridge och "
           "allt USDT var borta inom en minut. Han revokade resten via revoke.cash men det som "
           "stulits kommer inte tillbaka."),
])
def test_a_site_after_via_is_no_credit(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_the_credit_must_reach_a_handle_that_is_not_a_brands_own() -> None:
    message = DETECTOR.prepare(CheckRequest(
        "lost 2k to a fake app but got it back, thanks @binance support for the quick refund",
        lang="en"))
    assert not DETECTOR._credited(message)
    message = DETECTOR.prepare(CheckRequest(
        "lost 2k to a fake app but got it back, thanks @fund_recover_desk", lang="en"))
    assert DETECTOR._credited(message)


def test_a_credit_quoted_by_a_warning_is_the_quoted_comments() -> None:
    """A recovery testimonial quoted and judged by the writer is neither a credit of theirs
    nor a recovery rule's hit: the unguarded rules' heads inside a framed quotation are
    somebody else's words."""
    text = ("After I posted that I got scammed, the replies were full of this: \"I lost 4 BTC "
            "but got 90% back with a recovery expert, thanks @FundRecoveryDesk\". That is scam "
            "number two, don't answer them.")
    message = DETECTOR.prepare(CheckRequest(text, lang="en"))
    assert message.scan is not None and message.scan.framed_quotes
    assert not DETECTOR._credited(message)
    assert _verdict(text, "en") == "clean"
    # the same testimonial, the writer's own, stays what it is
    own = "I lost 4 BTC but got 90% back with a recovery expert, thanks @FundRecoveryDesk"
    assert DETECTOR._credited(DETECTOR.prepare(CheckRequest(own, lang="en")))
    assert _verdict(own, "en") != "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # the writer blocked or reported the sender, the aspect after the verb
    ("vi", "Hôm qua có đứa inbox bảo là support của ví, nói ví mình lỗi đồng bộ, nhờ nhập 12 từ "
           "khôi phục vào form google để fix. Block rồi nhưng hơi sợ"),
])
def test_blocked_already_is_the_writers_verdict_in_vietnamese(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_an_advisory_heading_is_advice_in_indonesian() -> None:
    text = ("Imbauan Polri yg beredar (cek sendiri di akun resminya): modus ngaku polisi, bilang "
            "rekening kamu terlibat pencucian uang, lalu suruh transfer ke \"rekening "
            "penampungan\". Polisi tidak pernah minta transfer uang.")
    message = DETECTOR.prepare(CheckRequest(text, lang="id"))
    assert message.scope.advice_first
    assert _verdict(text, "id") == "clean"


def test_a_relative_who_joined_and_hearsay_retell_in_tagalog() -> None:
    text = ("Tito ko sumali sa \"crypto mentor\" sa FB group, sa app kumita daw siya ng 70%, pero "
            "para ma-withdraw kailangan muna magbayad ng \"tax\" na 20%.")
    assert DETECTOR.prepare(CheckRequest(text, lang="tl")).scope.discussion


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "can u type out the words u wrote on paper when u first set up the wallet? all of them "
           "in order. I need them to relink ur balance"),
    ("zh", "链游空投来了 在游戏机器人里输入 /bangding 加上你创建钱包时的那串单词，"
           "马上到账500金币"),
    ("tl", "Bagong P2E game namimigay ng token, type /link tapos ilagay yung words nung una mong "
           "ginawa yung wallet sa game bot, 500 coins agad"),
    # the words typed one by one, in order: the phrase, whatever it is called
    ("en", "alright now type them one by one, in order, starting with #1. the bot ticks each one "
           "so dont skip any or it resets"),
    ("zh", "别急，一个一个打，按顺序，先发第一个词，我这边核对一个你再发下一个"),
    ("ms", "taip satu-satu ikut turutan ya, mula no. 1. bot akan tick setiap satu, jangan skip "
           "nanti kena ulang"),
])
def test_the_phrase_asked_for_without_its_name(lang: str, text: str) -> None:
    assert any(rule.startswith("key-request.") for rule in _rules(text, lang))


def test_a_drainers_no_gas_reassurance_in_malay() -> None:
    text = ("tekan connect lepas tu sign je mesej tu bro, takde gas pun, nak check eligible je. "
            "2 saat siap")
    assert "wallet-drainer.sign-for-reward" in _rules(text, "ms")


@pytest.mark.parametrize(("lang", "text"), [
    # a warning's conditional: if a call or a stranger comes, this is what they say
    ("en", "If you get a call from 'police' asking you to move money to a safe account, hang up. "
           "Real police in Singapore will never ask you to transfer money."),
    ("ms", "Kalau ada call kata dari PDRM, akaun bank korang terlibat pengubahan wang haram, "
           "suruh transfer ke akaun selamat, letak phone."),
    ("tl", "Kapag may tumawag na taga-bangko daw at hihingin ang OTP para i-verify ang account, "
           "ibaba niyo agad."),
])
def test_a_conditional_about_a_caller_is_advice(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert message.scope.advice_first


@pytest.mark.parametrize(("lang", "text"), [
    ("vi", "Ví Trust Wallet bản mới đã lên store, anh em update qua App Store / CH Play hoặc "
           "trustwallet.com thôi nhé. Không bản cập nhật nào yêu cầu nhập lại 12 từ khôi phục."),
    ("zh", "imToken 新版本已上线，请只从 App Store / Google Play 或官网 token.im 更新。任何更新都"
           "不需要重新输入助记词，如果弹窗要求输入，请立即关闭并反馈给我们。"),
])
def test_no_update_will_ask_is_advice(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_emphasis_before_a_vouched_handle_ends_no_sentence() -> None:
    text = ("‼️本群唯一官方客服‼️ @Binance_KeFu_CN ，充提问题、账户冻结、合约爆仓申诉都找他，"
            "其他私聊你的都是假的，认准这个号！")
    assert _standing(text, "zh", "handle.lookalike")


def test_a_thai_password_holds_no_credit() -> None:
    # "ผ่าน" (via) is also the end of "รหัสผ่าน" (password): Thai writes no spaces
    message = DETECTOR.prepare(CheckRequest("ส่งไฟล์ wallet.dat กับรหัสผ่านเก่ามา", lang="th"))
    assert not DETECTOR.rules.patterns.found(message.scan, "credit")


@pytest.mark.parametrize(("lang", "text"), [
    # a lifestyle told to a stranger: the money sits in an app whose AI trades it, start small
    ("en", "just back from Bali with my girls, quit my 9-5 in March btw. my money sits in an app "
           "a friend showed me, the AI trades it and I just check the balance over coffee lol. "
           "you can start from 200 USDT, want the link?"),
    ("sv", "Kom precis hem från Thailand med tjejerna, har sagt upp mig från jobbet btw haha. "
           "Pengarna ligger i en app som en kompis tipsade om, en AI tradar åt mig, jag kollar "
           "bara saldot på morgonen. Börja från 2 000 kr, vill du ha länken?"),
    ("ms", "baru balik Langkawi dengan geng, btw i dah quit kerja tau, duit i letak dalam app "
           "yang kawan kenalkan, AI buat trading, i check pagi2 je. start RM300 pun boleh, "
           "nak link?"),
])
def test_an_ai_that_trades_the_writers_money_and_a_small_start(
        lang: str, text: str) -> None:
    assert "investment.gain-offer" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    ("sv", "ETH Community Fund dubblar alla insättningar 0,1–20 ETH, bara idag. Adress: "
           "0x2D7e...9aB4, vänta 5 min så kommer dubbla tillbaka"),
    ("tl", "Ang ETH Community Fund ay magdo-double ng lahat ng ipapadala 0.1-20 ETH ngayong araw "
           "lang. Address: 0xF08b...12aD, 5 mins balik na"),
])
def test_every_deposit_doubled(lang: str, text: str) -> None:
    assert "giveaway.double-back" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # a message going round: the writer tells of it
    ("sv", "Varning: det går runt sms om 'spärrat konto' med länken swedbank-verifiering . com "
           "(mellanslag med flit). Swedbanks riktiga sida är swedbank.se, logga aldrig in via "
           "sms-länkar."),
    ("en", "Heads up: there's a fake 'job' going around where they pay you a few dollars for "
           "rating hotels and then ask you to top up your account to unlock bigger tasks."),
])
def test_a_message_going_round_is_discussed(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion
    assert _verdict(text, lang) == "clean"


def test_a_withdrawal_asked_about_is_no_gain() -> None:
    text = "请问币安提现USDT走TRC20一般多久到？我这边显示处理中快4小时了，要不要在App里开工单？"
    assert "investment.gain-offer" not in _rules(text, "zh")
    assert "investment.gain-offer" in _rules(
        "我昨天在平台提现了一万二，你要不要先投一千试试", "zh")


def test_what_the_writer_got_named_before_them_frames_the_quotation_in_malay() -> None:
    text = ("screenshot ni aku dpt dr grup alumni: 'Tahniah! Anda layak menerima Bantuan Tunai "
            "RM500, klik bantuan-str.gov-my.site untuk tuntut'. Aku dah check, domain kerajaan "
            "mesti hujung .gov.my je. Jgn klik ye")
    message = DETECTOR.prepare(CheckRequest(text, lang="ms"))
    assert message.scan.framed_quotes
    assert _verdict(text, "ms") == "clean"


def test_a_code_named_in_one_sentence_and_asked_for_in_the_next() -> None:
    text = ("kul att ses på meetupen! försöker lägga till dig i vår privata signalgrupp men "
            "telegram skickar en kod till dig som jag måste skriva in. kan du skicka den?")
    assert "otp-request.received-code" in _rules(text, "sv")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "3 weeks in and it went from 4k to 17k, crazy"),
    ("sv", "jag har gått från 3k till 64k på en månad"),
    ("id", "modal aku dari 1jt jadi 9jt dalam seminggu"),
    ("zh", "跟了两个月，从3万滚到11万"),
])
def test_a_sum_that_grew_is_the_writers_gain(lang: str, text: str) -> None:
    message = DETECTOR.prepare(CheckRequest(text, lang=lang))
    assert DETECTOR.rules.patterns.found(message.scan, "pb_gain_self")


@pytest.mark.parametrize(("lang", "text"), [
    ("zh", "新人须知：本群管理员和项目方永远不会向你索要助记词、私钥或钱包密码，也不会主动私信。"
           "如遇到私聊你的客服，请直接拉黑并举报。"),
    ("vi", "Thông báo: từ 1/7 sàn bắt buộc xác minh KYC cấp 2 để rút trên 50.000 USDT/ngày. "
           "Thực hiện trong app > Hồ sơ > Xác minh danh tính. Nhân viên ko bao giờ yêu cầu gửi "
           "giấy tờ qua Telegram."),
    ("ms", "RHB: Pinjaman Peribadi kadar rendah dari 4.88% setahun. Mohon dlm RHB Mobile "
           "Banking, kelulusan segera. RHB tidak akan minta sebarang bayaran pendahuluan."),
])
def test_a_notice_that_gives_advice_and_reads_as_no_scam_is_taken_back(
        lang: str, text: str) -> None:
    """A rule that meets an announcement's words ("never ask for your recovery phrase", "50,000
    USDT a day") is taken back when the message gives advice and the learned reading is
    near-certainly no scam."""
    verdict = DETECTOR.check(CheckRequest(text, lang=lang))
    assert verdict.verdict == "clean"
    assert verdict.taken_back == "unframed"
    assert verdict.hits  # the rule's hit is still listed


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Hi, admin here. Send me your 12-word recovery phrase so I can verify your wallet. "
           "Stay safe and never share it with strangers!"),
    ("vi", "Chào bạn, mình là CSKH sàn. Để mở khóa tài khoản bạn gửi 12 từ khôi phục cho mình "
           "nhé. Lưu ý không chia sẻ cho người lạ."),
    ("zh", "客服提醒：请私聊发送您的助记词完成钱包验证。切勿泄露给陌生人。"),
])
def test_advice_appended_to_a_scam_takes_nothing_back(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "scam"


def test_told_me_that_is_no_message_arriving_in_thai() -> None:
    """"A message came saying" (ทักมาว่า, โทรมาว่า) retells a scam; "my uncle told me that"
    (บอกมาว่า) is how a pitch passes on its tip, and is no discussion."""
    pitch = ("พี่ครับ ผมมีลุงทำงานอยู่โบรกเกอร์ใหญ่ บอกมาว่าหุ้นตัวนี้จะขึ้นแรงสัปดาห์หน้า "
             "ผมลงไปแล้ว 50,000 ถ้าพี่สนใจโอนมาให้ผมซื้อรวมกันได้ราคาพิเศษ")
    assert not DETECTOR.prepare(CheckRequest(pitch, lang="th")).scope.discussion
    assert _verdict(pitch, "th") != "clean"
    for retold in ("มีคนทักมาว่าเป็นแอดมิน ขอรหัส OTP", "เมื่อวานมีเบอร์แปลกโทรมาว่าพัสดุติดศุลกากร"):
        assert DETECTOR.prepare(CheckRequest(retold, lang="th")).scope.discussion


@pytest.mark.parametrize(("lang", "text", "flagged"), [
    # the readers an offer is for: the scam words name who the writer wants to hear from
    ("id", "kalo ada yg kena scam kripto dm aja, gw bisa bantu trace pake tools khusus. udah "
           "bantu 50+ orang", True),
    # the same opener before a tip stays a tip
    ("id", "Kalo ada yg kena scam, langsung lapor ke polisi ya, jangan percaya jasa recovery "
           "yang nawarin bisa balikin dana", False),
    ("en", "If you got scammed, report it to the police and never pay a recovery service that "
           "DMs you", False),
    ("sv", "Om du blivit lurad, polisanmäl och lita inte på någon som lovar att få tillbaka "
           "pengarna", False),
])
def test_the_readers_an_offer_is_for_are_no_discussion(
        lang: str, text: str, flagged: bool) -> None:
    assert (_verdict(text, lang) != "clean") is flagged


@pytest.mark.parametrize(("lang", "text"), [
    # an institution that never does such a thing: the writer's advice
    ("sv", "Ledger-ägare: det skickas fysiska brev nu med 'säkerhetsuppdatering' och en QR-kod "
           "till en sida där man ska skriva in återställningsfrasen. Släng brevet, Ledger gör "
           "aldrig så."),
    ("en", "Physical letters with a QR code to a page where you type in your recovery phrase are "
           "going out. Throw the letter away, Ledger never does this."),
])
def test_an_institution_that_never_does_it_is_advice(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.advice
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # asking the moderators to ban, kick or report the account: the writer's verdict on it
    ("vi", "report acc @binance_hotro_247 nha mọi người, nó nhắn riêng đòi 12 từ khôi phục. "
           "Admin xem ban giúp"),
    ("th", "แอดครับ ช่วยแบน @bitkub_support_th ด้วย มันทักมาขอ 12 คำกู้คืน"),
    ("ms", "Admin, tolong ban @luno_support_malaysia. Dia PM aku mintak recovery phrase"),
    ("id", "Min tolong ban @indodax_cs_resmi, dia dm minta kode OTP"),
    ("zh", "请管理员踢一下 @okx_kefu_cn，他私信要助记词"),
    ("sv", "Kan ni banna @safello_support_se? Han DM:ar och ber om återställningsfrasen"),
    # the ban asked for in the passive, and a report announced to the moderators
    ("id", "Min, akun @tokocrypto_cs_help ngaku admin, nge-DM minta seed phrase. Tolong diban ya"),
    ("id", "Mau lapor akun @pintu_support_id min, dia minta kode OTP lewat DM"),
    # the moderators asked whether to delete it
    ("zh", "有人在群里发 binance-upgrade.app 让输入助记词，管理员看一下要不要删"),
])
def test_asking_the_moderators_to_ban_is_the_writers_verdict(lang: str, text: str) -> None:
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.judged


@pytest.mark.parametrize(("lang", "text"), [
    # the readers an offer is for: the scam words they are named by ("kena scam", "got
    # scammed", "bị lừa") are no discussion
    ("en", "If anyone here got scammed in crypto just DM me, I can help trace it"),
    ("id", "kalo ada yg kena scam kripto dm aja, gw bisa bantu trace"),
    ("ms", "Kalau ada yang kena scam, PM saya. Saya boleh bantu dapatkan balik duit anda"),
    ("vi", "Nếu ai bị lừa đảo thì ib mình, team mình lấy lại tiền được"),
    ("th", "ใครที่โดนหลอกลงทุน ทักมาได้เลย ทีมเราตามเงินคืนให้"),
    ("sv", "Om nån har blivit lurad, skriv till mig så hjälper vi er få tillbaka pengarna"),
])
def test_the_readers_an_offer_is_for_discuss_nothing(lang: str, text: str) -> None:
    assert not DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.discussion


def test_a_link_that_looks_off_to_the_writer_is_discussed() -> None:
    text = ("How do I reach the real Exodus support? All I find is an ad for "
            "exodus-helpdesk-live.com, which looks off to me")
    assert DETECTOR.prepare(CheckRequest(text, lang="en")).scope.discussion


@pytest.mark.parametrize(("lang", "text", "rule"), [
    # the last fee in its other names: a release bond, an audit fee, a guarantee deposit
    ("en", "Good news, the court cleared it. Only the release bond of 2,400 is left, then your "
           "withdrawal reaches the bank in 3 days", "persuasion.final-fee"),
    ("zh", "你账户盈利已经到了，就差6万的审计费，交了马上可以提现", "persuasion.final-fee"),
    ("id", "Akun kamu kena margin, harus setor jaminan 15jt dulu baru bisa withdraw semua",
     "persuasion.final-fee"),
    # the cover story in its other forms: when the teller asks, what to say to the family, a
    # handover that "doesn't trigger the review"
    ("vi", "Lúc ra quầy mà giao dịch viên có hỏi chuyển tiền làm gì thì anh cứ nói gửi cho em "
           "họ, đừng nhắc tới đầu tư nha", "persuasion.bank-cover-story"),
    ("zh", "跟你姐借一下，就说家里装修要用，千万别说投资", "persuasion.bank-cover-story"),
    ("en", "hand the 10k in cash to my colleague, it doesn't trigger the review like a transfer "
           "does and the deposit lands tonight", "persuasion.bank-cover-story"),
    # a loan talked down next to the return, with the loan in its other names
    ("ms", "Ambil personal loan dulu, interest tu kecik je compare return pelaburan ni",
     "persuasion.loan-beats-interest"),
    ("tl", "Mag-salary loan ka muna, barya lang yung interest compared sa kita ng investment",
     "persuasion.loan-beats-interest"),
    # whoever asks, the answer given in advance
    ("en", "If Maybank rings about it just say it's for your daughter's wedding, the transfer "
           "has to land by Friday", "persuasion.bank-cover-story"),
    ("sv", "Säg att det är till köksrenoveringen när banken frågar, sen för du över pengarna "
           "till plattformen", "persuasion.bank-cover-story"),
    ("ms", "Tulis je tujuan renovasi rumah masa apply, lepas tu terus transfer ke akaun "
           "pelaburan", "persuasion.bank-cover-story"),
    ("vi", "Giao dịch viên có hỏi thì chị bảo rút để sửa nhà, đừng nhắc tới đầu tư nha",
     "persuasion.bank-cover-story"),
    ("zh", "銀行職員問你，你就話係還朋友錢，唔好提投資", "persuasion.bank-cover-story"),
    ("th", "ถ้าใครถามก็บอกไปว่าโอนค่าของ อย่าบอกว่าลงทุนนะ", "persuasion.bank-cover-story"),
    ("tl", "Pag nag-cash in ka, wag mo ilagay sa notes na investment ha, lagay mo bayad utang "
           "tapos send mo na", "persuasion.bank-cover-story"),
    ("id", "Kalo ada yang nanya, bilang aja buat biaya nikahan, jangan sebut investasi ya",
     "persuasion.bank-cover-story"),
    # the cover story asked by "people" at the bank, and told by a fake official
    ("vi", "Ra ngân hàng người ta hỏi thì bác nói rút tiền lo đám cưới cho cháu, đừng nhắc tới "
           "đầu tư nha bác", "persuasion.bank-cover-story"),
    ("vi", "toi la can bo dieu tra, so tiet kiem cua chi cung phai kiem tra. ngan hang hoi thi "
           "noi la mua dat", "persuasion.bank-cover-story"),
    # a fake official who wants it kept from the family, in its other forms
    ("zh", "地检署要求您名下的存款一并监管，请今天汇入指定账户。请勿告知任何人，包括家人",
     "official.keep-from-family"),
    ("id", "Ini dari DJP, kurang bayar pajak Bapak harus lunas hari ini. Tidak perlu memberi tahu "
           "anak-anak Bapak", "official.keep-from-family"),
    ("sv", "Polisen här. En kollega kommer förbi ikväll och tar dem i förvar. Säg inget till "
           "grannarna eller din dotter", "official.keep-from-family"),
    ("sv", "Polisen här. En kollega kommer förbi ikväll och tar smyckena i förvar tills gripandet "
           "är klart", "official.home-pickup"),
    # half of the tax already paid by the writer, the rest on the reader
    ("en", "I paid half the tax myself, 4,000 USD. The other half is on you, then we withdraw "
           "everything together", "persuasion.my-half-paid"),
    ("ms", "Akaun trading abang kena lock sebab cukai. Abang dah bayar separuh, tinggal separuh "
           "lagi sayang", "persuasion.my-half-paid"),
    # the writer who comes for the cash himself
    ("tl", "Dadaan ako sa inyo Sabado para kunin yung cash para sa gold savings, wag mo na "
           "sabihin kay Kuya", "persuasion.cash-courier"),
    ("ms", "Ahad saya singgah ambil cash untuk saham kebun durian tu, tak payah through bank",
     "persuasion.cash-courier"),
    # the last step before the money, said the other way round
    ("zh", "这次真的是最后一步了，税费交完就能全部提现", "persuasion.final-fee"),
    ("id", "masa mau berhenti pas tinggal selangkah lagi? tambah 20jt lagi biar bisa withdraw",
     "persuasion.final-fee"),
    # the wrong-number opener that asks where in the country the reader lives
    ("sv", "Oj förlåt, skrev till fel nummer! Men trevligt att råka få kontakt, var i Sverige "
           "bor du?", "investment.wrong-number-pivot"),
])
def test_the_late_stage_shapes_in_their_other_forms(lang: str, text: str, rule: str) -> None:
    assert rule in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # a relative's late-stage scam retold with the writer's verdict on it
    ("en", "My dad's online 'mentor' is now telling him he must pay a release fee before he can "
           "withdraw his profit. Pretty sure it's one of those pig butchering scams"),
    # what "it" texted, retold in a report to the group
    ("vi", "Vua report acc @Techcombank_HoTro_24h, no nhan tin bao tai khoan bi khoa roi gui link "
           "bat nhap mat khau. Ai gap thi block nha"),
])
def test_a_relatives_scam_retold_is_framed(lang: str, text: str) -> None:
    verdict = DETECTOR.check(CheckRequest(text, lang=lang))
    assert verdict.hits and verdict.taken_back == "framed"
    assert verdict.verdict == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a relative's task scam retold in Cantonese, with what the writer told her to do
    ("zh", "我表姐收到WhatsApp話有份兼職幫商家App打分，之後要先墊錢先出到糧。我即刻叫佢block咗"),
    # an account's DMs to other members, reported to the admin with a ban request
    ("th", "แอดมินครับ ไอดี Bitkub Support ทักส่วนตัวคนที่โพสต์ว่าโดนแฮก บอกว่าจะคืนเงินให้แต่ต้องจ่ายค่าปลดล็อกก่อน "
           "ฝากแบนด้วยครับ"),
])
def test_a_scam_done_to_others_and_reported_is_discussed(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_as_we_discussed_is_no_house_sold_in_vietnamese() -> None:
    """Without diacritics "bàn nha" (as we discussed) and "bán nhà" (sell the house) are one
    string: the house is sold only when something follows that sells it."""
    savings = ("Anh ơi tháng này gửi tiết kiệm chung 10tr như mình bàn nha, em chuyển phần em "
               "5tr vô tk chung rồi, anh chuyển phần anh rồi mình ra ngân hàng mở sổ")
    assert "persuasion.borrow-to-stake" not in _rules(savings, "vi")
    pitch = "Bán nhà đi anh, nạp vào sàn tháng sau rút về mua căn to hơn"
    assert "persuasion.borrow-to-stake" in _rules(pitch, "vi")


@pytest.mark.parametrize(("lang", "text"), [
    # a joint lawsuit of victims that each pays to join, with the writer between the words
    ("tl", "Sa lahat ng naloko ng BitHaven app, magsasampa kami ng kaso sa susunod na linggo. "
           "May abogado na, ₱1,800 ambagan bawat isa, PM para sa GC"),
    ("id", "Korban arisan online kemarin, ada pengacara yg urus gugatan massal, kirim data diri "
           "ke form ya, biaya pendaftaran 200rb aja"),
])
def test_a_class_action_that_victims_pay_to_join_is_a_recovery_scam(lang: str,
                                                                     text: str) -> None:
    assert "recovery.class-action-fee" in _rules(text, lang)


def test_a_class_action_joined_free_or_warned_about_is_no_recovery_scam() -> None:
    free = ("The class action against that exchange is run by a law firm on contingency: joining "
            "is free, no fee, just register on the court's page")
    assert "recovery.class-action-fee" not in _rules(free, "en")
    again = ("Ada yg nawarin gugatan massal tapi minta biaya pendaftaran dulu, itu penipuan lagi "
             "kan?")
    assert "recovery.class-action-fee" not in _rules(again, "id")


@pytest.mark.parametrize(("lang", "text"), [
    # the writer's doubt put as "is it a trap?" about a reward that needs an approval
    ("id", "Mau nanya dong, aku dapet airdrop token di wallet, nilainya 1.500 USDT tapi buat swap "
           "harus approve di website mereka. Itu jebakan ya? Belum aku klik"),
    ("en", "got an airdrop of some token worth 900 USDT, but to swap it I have to approve on "
           "their website first. is this a trap? haven't clicked anything"),
])
def test_asking_whether_it_is_a_trap_is_the_writers_doubt(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


def test_a_prize_collected_in_the_shop_is_a_genuine_draws_mark() -> None:
    contest = ("Tävling hos oss på Cykelverkstan! Kommentera ditt drömcykelpass så är du med i "
               "utlottningen av två presentkort på 400 kr. Vinnarna hämtar priset i butiken.")
    assert _verdict(contest, "sv") == "clean"


@pytest.mark.parametrize(("lang", "text"), [
    # a stranger who read the reader's post about a loss, their own money got back
    ("en", "Hi, read your comment on the consumer page about that forex app. It happened to my "
           "sister too, but she got most of it back last month. Happy to share how"),
    ("zh", "看到你分享被骗的经历，我前年也被骗过十几万，后来钱基本都回来了，有需要可以找我聊聊"),
    ("tl", "Nabasa ko yung post mo sa group, ganyan din nangyari sakin dati pero nakabawi na ako. "
           "Chat mo lang ako pag ready ka"),
])
def test_a_stranger_who_got_their_money_back_opens_a_recovery_scam(lang: str, text: str) -> None:
    assert "recovery.recovered-stranger" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # the official route named as the only one is a warning, not a recovery offer
    ("sv", "Bara polisen och banken kan stoppa eller betala tillbaka pengar. Anmäl direkt och "
           "lita inte på någon som lovar att få tillbaka dem mot en avgift"),
    ("zh", "只有公安和银行能冻结或追回资金，那些说能帮你要回来的黑客都做不到，别再交钱了"),
])
def test_the_official_route_as_the_only_one_is_a_recovery_warning(lang: str, text: str) -> None:
    assert not {r for r in _rules(text, lang) if r.startswith("recovery.")}


@pytest.mark.parametrize(("lang", "text"), [
    # an insider's tip kept secret beside a market and a stake
    ("zh", "跟你透个底，我表哥在券商，说这只票下周有重组消息，我已经买了十万，别往外说"),
    ("sv", "Läs och glöm: en kompis jobbar på ett gruvbolag, nyheten släpps nästa vecka. Jag har "
           "köpt aktier för 80 000, köp innan fredag"),
])
def test_a_secret_insider_tip_is_the_few_places(lang: str, text: str) -> None:
    assert "investment.few-places" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # a shill's answer to the doubters, then the helper who got the money back
    ("id", "Ngerti kok pada trauma, tapi jangan semua disamaratakan. Pak Yudi bantu aku narik "
           "balik 30jt dari aplikasi bodong itu, ada surat kuasanya"),
    ("zh", "别一棍子打死好吗，王律师帮我表姐追回了八万，合同发票都有"),
    ("sv", "Ni som aldrig testat borde inte döma. Juristen i Göteborg hjälpte min moster att få "
           "tillbaka 90 000 kr"),
])
def test_a_shills_answer_to_the_doubters_defends_the_helper(lang: str, text: str) -> None:
    assert "recovery.helpers-defended" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    # an old acquaintance back in touch whose money sits in plain savings: only news
    ("tl", "Uy pare, si Jomar to from Globe Makati! Long time! Nag-iipon lang ako ngayon sa MP2 "
           "at index fund, kita lang ng konti. Ikaw kumusta?"),
    ("th", "พี่จ๋า น้องเองที่เคยทำงานด้วยกันที่กรุงศรี ไม่ได้คุยกันนานเลย ตอนนี้แค่ซื้อกองทุนรวมดัชนีทุกเดือน"
           " ได้กำไรนิดหน่อย พี่สบายดีไหม"),
])
def test_an_old_acquaintances_plain_savings_is_only_news(lang: str, text: str) -> None:
    assert "investment.reconnect-gain" not in _rules(text, lang)


def test_a_relative_who_called_the_writer_asks_for_no_money() -> None:
    """"打给我" is "called me" as often as "paid me": a retold fake police call that ends in
    "luckily she called me" is still a retelling, not a request for money."""
    text = ("我婆婆上午接到电话，对方自称公安局的，说她社保卡涉嫌洗钱，要她把钱转到'安全账户'，"
            "还不许告诉家人。还好她偷偷打给我了，你也跟舅舅舅妈说一下")
    assert "lang-zh.impersonation.help-pay" not in _rules(text, "zh")
    assert _verdict(text, "zh") == "clean"


def test_remote_work_is_no_remote_access() -> None:
    post = ("Lowongan: Admin Instagram part-time, remote, kontrak 6 bulan. Kirim CV ke email di "
            "bio. Kami tidak memungut biaya apa pun")
    assert "fake-support.remote-access" not in _rules(post, "id")
    scam = "Admin CS disini kak, saya remote hp kakak sebentar ya biar saldonya bisa cair"
    assert "fake-support.remote-access" in _rules(scam, "id")


def test_a_code_only_for_you_to_type_in_is_a_tip() -> None:
    tip = ("Mã OTP chỉ để mình nhập vào app thôi, ai xin mã dù là bạn thân cũng ko đưa nha. "
           "Mấy vụ mất tài khoản ngân hàng đều bắt đầu từ đó")
    assert _verdict(tip, "vi") == "clean"


@pytest.mark.parametrize(("lang", "text", "judged"), [
    # the threat holds the verdict word: no verdict of the writer's
    ("en", "Complete the face verification in the app we sent you today or your card will "
           "be blocked", False),
    # the word alone is the writer's verdict on a scammer
    ("en", "Someone DM'd me as 'Metamask Support' asking for my 12 words. Blocked and "
           "reported.", True),
])
def test_a_verdict_word_inside_a_threat_is_the_threat(lang: str, text: str,
                                                     judged: bool) -> None:
    """'your card will be blocked' threatens the reader; 'Blocked and reported' is the
    writer's verdict on the sender."""
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.judged is judged


@pytest.mark.parametrize(("lang", "text"), [
    ("th", "ผม ด.ต.ธนพล จาก สภ.เมืองเชียงใหม่ ครับ มีคนแจ้งความว่าคุณโกงเงินซื้อขายของออนไลน์ "
           "ถ้าไม่อยากให้ดำเนินคดีต้องโอนค่าไกล่เกลี่ย 15,000 บาท วันนี้เลย"),
    ("id", "Saya Bripka Andi dari Polsek, ada yang melapor bahwa Anda menipu jual beli online. "
           "Kalau tidak mau diproses hukum, transfer uang damai 5 juta hari ini"),
    ("ms", "Saya Koperal Azman dari IPD, ada laporan polis dibuat terhadap anda kerana menipu "
           "jual beli online. Kalau tak nak didakwa, bayar wang penyelesaian RM3,000 hari ini"),
])
def test_a_report_against_the_reader_is_the_fake_officers_accusation(lang: str,
                                                                     text: str) -> None:
    """'someone filed a report that you cheated': the report is made against the reader, so
    it retells nothing (`not_reported`): the officer's demand to pay is judged as one."""
    assert _verdict(text, lang) == "scam"
    assert "official.pay-or-be-charged" in _rules(text, lang)


@pytest.mark.parametrize(("lang", "text"), [
    ("th", "ถ้ามีคนโทรมาบอกว่ามีคนแจ้งความว่าคุณโกง แล้วให้โอนค่าไกล่เกลี่ย อย่าโอนนะ "
           "เป็นมิจฉาชีพ ตำรวจไม่เรียกเงินทางโทรศัพท์"),
    ("id", "Kalau ada yang bilang ada laporan polisi terhadap anda dan minta uang damai, itu "
           "penipuan. Polisi tidak pernah minta transfer"),
    ("ms", "Kalau ada orang kata laporan polis dibuat terhadap anda dan minta bayar wang "
           "penyelesaian, itu scam. Polis tak minta bayaran melalui telefon"),
    ("en", "If someone says a complaint was filed against you and asks for a settlement fee "
           "by transfer, hang up. Police never ask for money by phone"),
])
def test_a_warning_about_reports_against_the_reader_stays_clean(lang: str, text: str) -> None:
    assert _verdict(text, lang) == "clean"


@pytest.mark.parametrize(("lang", "text", "negated"), [
    # a reassurance or a push built on a negation negates nothing the writer asks for
    ("tl", "wag ka mag-alala, normal lang na magbayad ng fee para ma-withdraw", False),
    ("ms", "jangan risau, bayar yuran pengeluaran dulu baru boleh keluarkan duit", False),
    ("id", "jangan khawatir, bayar biaya penarikan dulu ya kak", False),
    ("vi", "đừng lo, đóng phí rút tiền trước là rút được", False),
    ("th", "ไม่ต้องกังวล จ่ายค่าธรรมเนียมถอนก่อนก็ถอนได้", False),
    ("zh", "别担心，先交提现手续费就能提现", False),
    # a real prohibition still negates
    ("tl", "huwag magbayad ng fee para ma-withdraw, scam yan", True),
    ("ms", "jangan bayar yuran pengeluaran, itu scam", True),
])
def test_dont_worry_and_dont_miss_negate_nothing_in_every_language(lang: str, text: str,
                                                                    negated: bool) -> None:
    """`not_negation` in every language, as in English and Swedish."""
    assert DETECTOR.prepare(CheckRequest(text, lang=lang)).scope.negation is negated
