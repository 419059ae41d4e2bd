"""Judging links and handles: decision order, look-alike heuristics, reasons, rule files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.core.detector import Message
from bot.core.links import LinkData, extract_links, load_link_data, parse_link_data
from bot.core.links.brands import parse_brands
from bot.core.model import DEFAULT_CONTEXT, Anchor, ChatContext, CheckRequest, Severity
from bot.core.normalize import prepare
from bot.errors import RuleSetError
from rules import RULES_DIR

SMALL_BRANDS = """\
scam_words: [support, verify, claim, help, login, wallet, airdrop]
risky_suffixes: [xyz, top]
shared_hosting: [github.io, pages.dev]
brands:
  - id: binance
    name: Binance
    policy: contains
    domains: [binance.com]
    handles: [binance]
  - id: okx
    name: OKX
    policy: exact
    domains: [okx.com]
  - id: gate
    name: Gate.io
    policy: word
    domains: [gate.io]
  - id: metamask
    name: MetaMask
    policy: fuzzy
    domains: [metamask.io, metamask.github.io]
    handles: [metamask_official]
"""


def polkadot(deny: list[str], allow: list[str] = (), sub: list[str] = ()) -> str:
    return json.dumps({"allow": list(allow), "deny": deny, "denySub": list(sub)})


@pytest.fixture(scope="module")
def small() -> LinkData:
    blocklist = polkadot(
        ["evil-drainer.com", "github.io", "scam.pages.dev", "binance.com", "bad.example.org"],
        allow=["pages.dev"],
        sub=["twitter.com/FakeBinance"],
    )
    return parse_link_data(
        SMALL_BRANDS,
        [(blocklist, "lists/polkadot-phishing.json")],
        ("my-own-bad.net\n", "lists/blocklist.txt"),
        ("bit.ly\nt.me\n", "lists/url-shorteners.txt"),
    )


@pytest.fixture(scope="module")
def shipped() -> LinkData:
    return load_link_data(RULES_DIR)


def rules_of(data: LinkData, text: str, context: ChatContext = DEFAULT_CONTEXT, **kw) -> list[str]:
    request = CheckRequest(text, **kw)
    message = Message(request, prepare(text), extract_links(text, request.urls, request.anchors))
    return [hit.rule for hit in data.check(message, context)]


ORDER_CASES = [
    ("official domain", "https://binance.com/en", []),
    ("official subdomain", "https://accounts.binance.com/login", []),
    ("official on shared hosting", "https://metamask.github.io/test-dapp", []),
    ("blocklisted host", "https://evil-drainer.com/x", ["link.blocklisted"]),
    ("blocklisted parent", "https://a.b.evil-drainer.com/x", ["link.blocklisted"]),
    ("moderators' list", "my-own-bad.net", ["link.blocklisted"]),
    ("shared hosting never blocked whole", "https://someone.github.io/page", []),
    ("shared hosting subdomain blocked", "https://scam.pages.dev/", ["link.blocklisted"]),
    ("blocked URL prefix", "https://twitter.com/FakeBinance/status/1", ["link.blocklisted"]),
    ("same site other path", "https://twitter.com/someone", []),
    ("look-alike", "https://binance-verify.xyz", ["link.brand-keyword"]),
    ("shortener", "https://bit.ly/3xYz", ["link.shortener"]),
    ("t.me is not a shortener", "https://t.me/some_group", []),
    ("unknown domain", "https://example.org/page", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in ORDER_CASES],
                         ids=[c[0] for c in ORDER_CASES])
def test_decision_order(small, text, expected):
    """Official domains win, then the blocklist, then look-alikes, then shorteners."""
    assert rules_of(small, text) == expected


def test_official_domain_on_blocklist_is_never_blocked(small):
    """An official domain that a list names is dropped from the blocklist at load."""
    assert "binance.com" not in small.deny
    assert "github.io" not in small.deny


def test_chat_allowlist_wins(small):
    """A chat's own allowed domains (and their subdomains) are never flagged."""
    context = ChatContext(allow_domains=frozenset({"evil-drainer.com", "binance-verify.xyz"}))
    assert rules_of(small, "x.evil-drainer.com and binance-verify.xyz", context) == []


def test_chat_allowlist_of_handles(small):
    """A chat's allowed handles are not reported as look-alikes."""
    assert rules_of(small, "ask @binance_support") == ["handle.lookalike"]
    context = ChatContext(allow_handles=frozenset({"binance_support"}))
    assert rules_of(small, "ask @binance_support", context) == []


def test_blocklisted_reason_names_imitated_brand(small):
    """A blocklist hit says it is a known phishing site and which brand it imitates."""
    (link,) = extract_links("https://binance-claim.evil-drainer.com")
    (hit,) = small.check_link(link)
    assert hit.rule == "link.blocklisted"
    assert hit.severity is Severity.CRITICAL and hit.category == "malicious_link"


LOOKALIKES = [
    ("brand plus scam words", "binance-support-center.com", "link.brand-keyword", "Binance"),
    ("glued scam word", "okxverify.net", "link.brand-keyword", "OKX"),
    ("hyphen and scam word", "okx-verify.net", "link.brand-keyword", "OKX"),
    ("brand in a subdomain", "binance.com.verify-x.xyz", "link.brand-subdomain", "Binance"),
    ("brand label on another tld", "binance.cc", "link.lookalike", "Binance"),
    ("typo on the same suffix", "binannce.com", "link.lookalike", "Binance"),
    ("transposed letters", "metmaask.io", "link.lookalike", "MetaMask"),
    ("cyrillic letter", "ьinance.com", "link.lookalike", "Binance"),
    ("whole-script cyrillic", "метамаѕк.io", "link.lookalike", "MetaMask"),
    ("greek letter", "bιnance.com", "link.lookalike", "Binance"),
    ("rn for m", "rnetarnask.io", "link.lookalike", "MetaMask"),
    ("zero for o", "0kx.com", "link.lookalike", "OKX"),
    ("spelled across dots", "bi.nance.com", "link.lookalike", "Binance"),
    ("brand inside a label", "xbinancex-drop.top", "link.brand-keyword", "Binance"),
    ("misspelt brand plus scam word", "binnance-airdrop.com", "link.brand-keyword", "Binance"),
    ("dictionary brand with scam word", "gate-support.com", "link.brand-keyword", "Gate.io"),
    ("dictionary brand, a letter doubled, scam word", "gatte-claim.com", "link.brand-keyword",
     "Gate.io"),
    ("brand on shared hosting", "metamask-wallet.github.io", "link.brand-keyword", "MetaMask"),
    ("short official domain in front", "okx.com.example.org", "link.brand-subdomain", "OKX"),
    ("dictionary official domain in front", "gate.io.claim.xyz", "link.brand-subdomain",
     "Gate.io"),
    ("misspelt brand in front", "binnance.com.cn.ltd", "link.brand-subdomain", "Binance"),
    ("brand hyphened to a word in front", "www-binance.com-login.xyz", "link.brand-subdomain",
     "Binance"),
]


@pytest.mark.parametrize(("host", "rule", "brand"), [c[1:] for c in LOOKALIKES],
                         ids=[c[0] for c in LOOKALIKES])
def test_lookalikes_name_brand_and_reason(small, host, rule, brand):
    """Each look-alike heuristic fires with its rule id and names the brand in the reason."""
    (link,) = extract_links(f"visit {host} now")
    (hit,) = small.check_link(link)
    assert hit.rule == rule
    assert hit.severity is Severity.HIGH and hit.category == "lookalike_link"
    imitated = next(b for b in small.brands if b.name == brand)
    assert imitated.name in hit.reason or imitated.domains[0] in hit.reason


NOT_LOOKALIKES = [
    ("dictionary word alone on other tld", "gate.com"),
    ("dictionary word inside a word", "gateway-support.com"),
    ("unrelated typo on other tld", "metamusk.eu"),
    ("implausible substitution", "metatask.io"),
    ("short brand typo on generic tld", "okc.com"),
    ("brand-like word without scam words", "okxygen.com"),
    ("short name alone in front", "okx.example.org"),
    ("dictionary name in front", "gate.example.org"),
    ("a word one letter from a brand, in front", "finance.yahoo.com"),
    ("dictionary brand with a letter doubled, no scam word", "gatte-garden.com"),
]


@pytest.mark.parametrize("host", [c[1] for c in NOT_LOOKALIKES],
                         ids=[c[0] for c in NOT_LOOKALIKES])
def test_policies_keep_legitimate_neighbours_clean(small, host):
    """Per-brand policies keep near misses clean: no contains for words, no fuzz for short."""
    (link,) = extract_links(f"visit {host} now")
    assert small.check_link(link) == []


def test_anchor_text_naming_another_domain(small):
    """A visible text showing one domain over a link to another is a mismatch."""
    rules = rules_of(
        small, "click", anchors=(Anchor("binance.com", "https://example.org/login"),)
    )
    assert rules == ["link.mismatch"]


def test_anchor_text_on_same_brand_is_fine(small):
    """Visible text and target on the same brand's official domains are no mismatch."""
    assert rules_of(
        small, "click", anchors=(Anchor("www.binance.com", "https://accounts.binance.com/"),)
    ) == []


HANDLES = [
    ("official handle", "@binance", []),
    ("brand plus support", "@binance_support", ["handle.lookalike"]),
    ("glued help desk", "@BinanceHelp", ["handle.lookalike"]),
    ("look-alike of official", "@metamask_officiaI", ["handle.lookalike"]),
    ("one letter off an official", "@metamask_oficial", ["handle.lookalike"]),
    ("t.me link of impostor", "t.me/okx_verify", ["handle.lookalike"]),
    ("unrelated handle", "@cryptofan2024", []),
    ("brand fan club", "@binance_fans_vietnam", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in HANDLES],
                         ids=[c[0] for c in HANDLES])
def test_handles(small, text, expected):
    """Handles imitating a brand's official account are fake support; others are fine."""
    assert rules_of(small, f"contact {text}") == expected


def test_handle_hit_is_fake_support(small):
    """A look-alike handle hit is high severity in the fake_support category."""
    (link,) = extract_links("@binance_support")
    (hit,) = small.check(Message(CheckRequest(""), prepare(""), (link,)), DEFAULT_CONTEXT)
    assert (hit.category, hit.severity) == ("fake_support", Severity.HIGH)
    assert "Binance" in hit.reason


BAD_BRANDS = [
    ("duplicate id", "brands:\n  - {id: a, name: A, domains: [a.com]}\n"
     "  - {id: a, name: B, domains: [b.com]}\n", 3, "duplicate brand id"),
    ("bad policy", "brands:\n  - id: a\n    name: A\n    policy: loose\n    domains: [a.com]\n",
     2, "policy must be one of"),
    ("no domain", "brands:\n  - id: a\n    name: A\n", 2, "at least one domain"),
    ("not a domain", "brands:\n  - id: a\n    name: A\n    domains: [not_a_domain]\n", 2,
     "is not a domain"),
    ("bad handle", "brands:\n  - id: a\n    name: A\n    domains: [a.com]\n    handles: [x]\n",
     2, "not a Telegram username"),
    ("domain of two brands", "brands:\n  - {id: a, name: A, domains: [a.com]}\n"
     "  - {id: b, name: B, domains: [a.com]}\n", 3, "already belongs to"),
    ("yaml syntax", "brands:\n  - id: [a\n", 3, "YAML"),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in BAD_BRANDS],
                         ids=[c[0] for c in BAD_BRANDS])
def test_brand_file_errors_have_line_numbers(text, line, message):
    """Every problem in brands.yaml is reported as path:line: message."""
    with pytest.raises(RuleSetError) as info:
        parse_link_data(text, brands_source="rules/brands.yaml")
    found = [(e.path, e.line) for e in info.value.errors if message in e.message]
    assert found == [("rules/brands.yaml", line)]


def test_bad_blocklist_and_list_lines_are_reported(tmp_path: Path):
    """Broken list files fail the load with their path and line, all errors at once."""
    rules = tmp_path / "rules"
    (rules / "lists").mkdir(parents=True)
    (rules / "brands.yaml").write_text(SMALL_BRANDS, encoding="utf-8")
    (rules / "lists" / "polkadot-phishing.json").write_text('{"deny": [', encoding="utf-8")
    (rules / "lists" / "blocklist.txt").write_text("ok.com\nnot a domain\n", encoding="utf-8")
    with pytest.raises(RuleSetError) as info:
        load_link_data(rules)
    where = sorted((Path(e.path).name, e.line) for e in info.value.errors)
    assert where == [("blocklist.txt", 2), ("polkadot-phishing.json", 1)]


def test_shipped_registry_loads_with_the_full_blocklist(shipped):
    """The bundled rules load: brands of every region and the 54k-domain blocklist."""
    assert len(shipped.deny) > 50_000
    assert len(shipped.brands) > 150
    regions = {r for b in shipped.brands for r in b.regions}
    assert {"VN", "ID", "HK", "SE", "TH", "MY", "PH", "CN", "TW"} <= regions
    assert "t.me" not in shipped.shorteners and "bit.ly" in shipped.shorteners


def test_shipped_registry_matches_schema():
    """rules/brands.yaml validates against rules/schema/brands.schema.json."""
    import jsonschema
    import yaml

    schema = json.loads((RULES_DIR / "schema" / "brands.schema.json").read_text("utf-8"))
    jsonschema.validate(yaml.safe_load((RULES_DIR / "brands.yaml").read_text("utf-8")), schema)


def test_kind_lists_name_kinds_that_exist():
    """A kind in service_kinds or everyday_kinds that no brand has (a typo that would silently
    switch a check off) is an error at the key's line."""
    text = (RULES_DIR / "brands.yaml").read_text("utf-8")
    broken = text.replace("service_kinds: [bank,", "service_kinds: [bnak, bank,", 1)
    line = broken[: broken.index("service_kinds:")].count("\n") + 1
    with pytest.raises(RuleSetError) as info:
        parse_brands(broken, "brands.yaml")
    assert [(e.line, e.message) for e in info.value.errors] == [
        (line, "service_kinds: no brand has the kind 'bnak'")]


def test_shipped_registry_parses_pure():
    """parse_brands works on text alone and keeps each brand's line."""
    registry = parse_brands((RULES_DIR / "brands.yaml").read_text("utf-8"), "brands.yaml")
    binance = next(b for b in registry.brands if b.id == "binance")
    assert binance.line > 0 and "binance.com" in binance.domains and binance.labels


def test_lookalike_reason_shows_the_real_form(small):
    """A Unicode look-alike's reason also shows its xn-- form, which a reader can tell apart."""
    (link,) = extract_links("bіnance.com")
    (hit,) = small.check_link(link)
    assert "bіnance.com (xn--" in hit.reason and "binance.com" in hit.reason


def test_mixed_script_without_brand_is_flagged(small):
    """Latin and Cyrillic letters in one label are flagged even when no brand is near."""
    (link,) = extract_links("exаmple-shop.com")  # Cyrillic а
    (hit,) = small.check_link(link)
    assert hit.rule == "link.lookalike" and "mixes scripts" in hit.reason


@pytest.mark.parametrize("host", [
    "airbnb.com-reservation-check.info", "tickets.com-resale.top", "portal.gov-refund.site",
    # the country codes of the project's regions end a domain early too
    "norwegian-air.se-deals.com", "shopee.vn-khuyenmai.top", "lazada.ph-promo.net"])
def test_a_domain_ended_early_is_flagged_without_a_brand(small, host):
    """A name in front of a registrable label that opens with "com-" reads as a domain of its
    own up to the hyphen, whatever the name: a look-alike even when no brand is known."""
    (link,) = extract_links(host)
    (hit,) = small.check_link(link)
    assert hit.rule == "link.lookalike" and f"is a page of {link.domain}" in hit.reason


@pytest.mark.parametrize("host", ["shop.net-a-porter.com", "com-example.org", "co-op.example.com",
                                  "account.my-account.com", "se-deals.com"])
def test_names_that_open_with_a_suffix_word_are_no_early_end(small, host):
    (link,) = extract_links(host)
    assert small.check_link(link) == []


def test_accented_latin_name_is_a_weaker_signal(small):
    """An accented Latin name on a generic suffix is medium; on a local ccTLD it is nothing."""
    (link,) = extract_links("exämple-shop.com")
    (hit,) = small.check_link(link)
    assert (hit.rule, hit.severity) == ("link.idn", Severity.MEDIUM)
    (local,) = extract_links("räksmörgås.se")
    assert small.check_link(local) == []


SHIPPED_HANDLES = [
    ("official wallet bot", "@wallet", []),
    ("wallet support impostor", "@wallet_support", ["handle.lookalike"]),
    ("botfather helper impostor", "t.me/BotFather_help", ["handle.lookalike"]),
    ("hidden tg link impostor", "tg://resolve?domain=durov_official", ["handle.lookalike"]),
    ("brand plus help", "@trustwallethelp", ["handle.lookalike"]),
    ("brand's own product account", "@BinanceWallet", []),
    ("brand's regional account", "@ShopeeID", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SHIPPED_HANDLES],
                         ids=[c[0] for c in SHIPPED_HANDLES])
def test_official_handles_of_shipped_registry(shipped, text, expected):
    """Handles built around a brand's official account name are impostors."""
    if text.startswith("tg://"):
        assert rules_of(shipped, "open", urls=(text,)) == expected
    else:
        assert rules_of(shipped, f"ask {text}") == expected


def test_detector_reports_link_hits():
    """Through the real detector and rule set: a blocklisted link makes a message a scam and a
    shortener alone does not."""
    from bot.core.detector import Detector
    from bot.core.ruleset import load_ruleset

    detector = Detector(load_ruleset(RULES_DIR))
    blocked = sorted(load_link_data(RULES_DIR).deny)[0]
    verdict = detector.check(CheckRequest(f"hello, see https://{blocked}/"))
    assert verdict.verdict == "scam"
    assert "link.blocklisted" in [h.rule for h in verdict.hits]
    verdict = detector.check(CheckRequest("photos from the trip: https://bit.ly/3abcd"))
    assert [h.rule for h in verdict.hits] == ["link.shortener"]
    assert verdict.verdict == "clean"


REGIONAL = [
    ("J&T's site in Malaysia", "Your parcel is out for delivery, track at jtexpress.my", []),
    ("Citi in Singapore", "Log in at https://www.citibank.com.sg/ to see your rewards", []),
    ("HSBC in Malaysia", "Your statement is ready on hsbc.com.my", []),
    ("a fake SF Express domain", "Update your address: sf-express-hk.delivery/update",
     ["link.brand-keyword"]),
    ("a fake Pos Laju domain", "Bungkusan anda ditahan, kemaskini di poslaju-my.co",
     ["link.brand-keyword"]),
    ("a fake Skatteverket domain", "Du har en återbetalning: skatteverket-aterbetalning.se",
     ["link.brand-keyword"]),
    ("a fake Taipower site", "電費逾期，請至 taipower-pay.tw-bill.com 繳費",
     ["link.brand-subdomain"]),
    ("a fake 1177 inbox", "1177: nytt meddelande om provsvar, logga in: 1177-vardguiden.eu/inkorg",
     ["link.brand-keyword"]),
    ("1177's own site", "Läs provsvaret på 1177.se, logga in med BankID", []),
    ("DHL in Sweden", "Din försändelse levereras imorgon, välj tid på dhl.se", []),
    ("a fake DHL customs page", "DHL: betala tullavgift 29 kr på dhl-se-tull.top",
     ["link.brand-keyword"]),
    ("Meralco's site", "Pay your bill online at meralco.com.ph", []),
    ("a fake Meralco bill page", "Disconnection tomorrow, pay at meralco-epay.online",
     ["link.brand-keyword"]),
    ("a fake Kerry parcel page", "พัสดุติดศูนย์ จ่าย 25 บาทที่ kerry-th-delivery.net",
     ["link.brand-keyword"]),
    ("a Netflix name with a digit", "Your payment failed, update at netf1ix-account.com",
     ["link.lookalike"]),
    ("Amazon in Brazil is Amazon", "Comprei na amazon.com.br ontem", []),
    ("Google in any country is Google", "Search it on google.co.jp", []),
    ("Gmail is Google's", "Send your CV to bakery@gmail.com", []),
    ("Google's own short links", "Secure your account at g.co/recover", []),
    ("an insurer is no typo of a telco", "Travel insurance 30% off at aia.co.th/travel", []),
    ("a telco is no typo of an agency", "Get 25GB for P99 at dito.ph/level-up", []),
    ("a fake LTO fines page", "Unpaid NCAP fines, settle at lto-gov-ph.online",
     ["link.brand-keyword"]),
    ("a fake Chinese ETC or post page", "包裹无法派送，请更新地址：chinapost-kd.com-dizhi.top",
     ["link.brand-subdomain"]),
    ("a plain word that names a telco", "Photos from my trip: globe-trotter-blog.com", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in REGIONAL],
                         ids=[c[0] for c in REGIONAL])
def test_regional_brands_official_sites_and_fakes(shipped, text, expected):
    """A brand's sites in each country of the region are official; fake parcel, tax and
    bill domains of the region's couriers, agencies and utilities are look-alikes."""
    assert rules_of(shipped, text) == expected


DIGITS_AND_WORDS = [
    ("a zero for the o, on a suffix a typo would not count on", "Login: https://0kx.co/login",
     ["link.lookalike"]),
    ("a one for the i", "Verify your account at b1nance.com", ["link.lookalike"]),
    ("digits in one word of several", "Download the new app at lun0-app.download",
     ["link.lookalike"]),
    ("a brand whose own name has the digit", "Swap on https://1inch.io", []),
    ("a misspelt brand next to other words", "Read the guide at binnance-vietnam.com",
     ["link.brand-word"]),
    ("a misspelt brand next to scam words", "Open binnance-support.com now",
     ["link.brand-keyword"]),
    ("a changed first letter is another word", "Read finance-news.com every morning", []),
    ("a short name misspelt is someone else", "Our menu is on okz-noodles.com", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in DIGITS_AND_WORDS],
                         ids=[c[0] for c in DIGITS_AND_WORDS])
def test_digits_for_letters_and_misspelt_brands_among_words(shipped, text, expected):
    """Digits written for a brand's letters are flagged on any suffix and beside any words; a
    distinctive brand misspelt beside other words is a medium signal."""
    assert rules_of(shipped, text) == expected


SHORT = [
    ("generic shortener", "https://bit.ly/3abc", ["link.shortener"]),
    ("first-party short domain", "https://youtu.be/dQw4w9WgXcQ", []),
    ("a shopping app's own short link", "Flash sale 12.12! Voucher 50% di https://shp.ee/ab12cd",
     []),
    ("another shop's", "Lazada: your order is on the way, track it lzd.co/xY12ab", []),
    ("telegram links", "https://t.me/durov", []),
    ("shortener on a subdomain", "https://cdl.booksy.com/x1", ["link.shortener"]),
    ("its parent domain is a site", "https://booksy.com/", []),
    ("a first-party host under a shortener", "we're here https://maps.app.goo.gl/QM20pIfAB", []),
    ("the shortener itself", "https://goo.gl/QM20pIfAB", ["link.shortener"]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SHORT],
                         ids=[c[0] for c in SHORT])
def test_shipped_shortener_list(shipped, text, expected):
    """Shorteners hide their target; first-party short domains and t.me do not."""
    assert rules_of(shipped, text) == expected


def test_broken_brand_file_fails_the_whole_rule_set(tmp_path: Path):
    """A mistake in brands.yaml makes load_ruleset fail with path:line, not half-apply."""
    from bot.core.ruleset import load_ruleset

    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules, ignore=shutil.ignore_patterns("__pycache__"))
    text = (rules / "brands.yaml").read_text("utf-8")
    (rules / "brands.yaml").write_text(
        text.replace("    policy: contains\n    domains: [binance.com", "    policy: loose\n"
                     "    domains: [binance.com", 1),
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as info:
        load_ruleset(rules)
    assert any(e.path.endswith("brands.yaml") and e.line and "policy" in e.message
               for e in info.value.errors)


SHIPPED_DOMAINS = [
    ("acronym bank name of another company", "btn.com", []),
    ("acronym e-wallet name of another company", "ovo.com", []),
    ("distinctive short name on another tld", "okx.net", ["link.lookalike"]),
    ("acronym glued to scam words on a free tld", "promobni46.tk", ["link.brand-keyword"]),
    ("dictionary brand glued to a word", "cryptopay.me", []),
    ("vietnamese bank plus scam word", "vietcombank-hotro.com", ["link.brand-keyword"]),
    ("swedish bank look-alike letters", "swedbаnk.se", ["link.lookalike"]),
    ("thai bank inside a label", "kasikornbank-th-secure.online", ["link.brand-keyword"]),
    ("a word one letter from a dictionary brand", "glove.com.ph", []),
    ("a word one letter from a dictionary bank name", "web.se", []),
    ("another agency one letter from a dictionary brand", "pwa.co.th", []),
    ("an acronym's typo in its own namespace", "bcaa.co.id", ["link.lookalike"]),
    ("an agency's official domain with hyphens for dots", "rd-go-th.com", ["link.lookalike"]),
    ("a bank's official domain glued to another", "krungthai.com-th.info", ["link.lookalike"]),
    ("a bank's dictionary name beside points", "scb-point-th.co", ["link.brand-keyword"]),
    ("hyphens that spell no official domain", "go-th-travel.com", []),
    ("a short official domain opening another by a hyphen", "t.me-login.video",
     ["link.lookalike"]),
    ("a short official domain opening another by a dot", "t.me.login-video.xyz",
     ["link.lookalike"]),
    ("a short official domain that is the start of a registrable one", "g.co.uk", []),
    ("the same under a subdomain", "mail.g.co.uk", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in SHIPPED_DOMAINS],
                         ids=[c[0] for c in SHIPPED_DOMAINS])
def test_shipped_policies(shipped, text, expected):
    """The shipped policies: acronyms shared with other companies only with scam words."""
    assert rules_of(shipped, f"go to {text} now") == expected


TYPOS = [
    ("keyboard neighbour", "binamce", "binance", True),
    ("one-bit flip", "binancg", "binance", True),
    ("vowel for vowel", "metamusk", "metamask", True),
    ("digit", "b1nance", "binance", True),
    ("unrelated letter", "metatask", "metamask", False),
    ("insertion is always plausible", "binnance", "binance", True),
]


@pytest.mark.parametrize(("word", "brand", "plausible"), [c[1:] for c in TYPOS],
                         ids=[c[0] for c in TYPOS])
def test_plausible_typo(word, brand, plausible):
    """Single substitutions count only when a typist or a squatter would make them."""
    from bot.core.links.matcher import plausible_typo

    assert plausible_typo(word, brand) is plausible


@pytest.mark.parametrize(("label", "edits"), [("okx", 0), ("kraken", 1), ("trustwallet", 1),
                                              ("lansforsakringar", 2)],
                         ids=["short", "medium", "long", "very long"])
def test_edit_distance_scales_with_length(label, edits):
    """Short labels need an exact match; longer ones allow one, then two edits."""
    from bot.core.links.matcher import max_distance

    assert max_distance(label) == edits


def test_several_folded_letters_still_match(shipped):
    """Cyrillic і in two places of a brand with two i's is still that brand."""
    assert rules_of(shipped, "bіtfіnex.com") == ["link.lookalike"]


def test_domain_as_user_name_is_a_mismatch(small):
    """https://binance.com@example.org/ opens example.org while showing binance.com."""
    assert rules_of(small, "https://binance.com@example.org/login") == ["link.mismatch"]


CONTEXT_HANDLES = [
    ("news channel impostor", "t.me/binance_news_vn", ["handle.lookalike"]),
    ("chinese support (kefu)", "@okx_kefu", ["handle.lookalike"]),
    ("announcements", "@binance_announcement", ["handle.lookalike"]),
    ("vietnamese customer care", "@Vietcombank_CSKH", ["handle.lookalike"]),
    ("vietnamese news", "@trustwallet_tintuc", ["handle.lookalike"]),
    ("indonesian announcement", "@okx_pengumuman", ["handle.lookalike"]),
    ("swedish customer service", "@swedbank_kundtjanst", ["handle.lookalike"]),
    ("support word among others", "@binance_vn_support_247", ["handle.lookalike"]),
    ("fan club", "@binance_fans_vietnam", []),
    ("official account", "@binance", []),
    ("unrelated news", "@crypto_news_daily", []),
    ("a bank's short name beside a support word", "@bdo_customercare_ph", ["handle.lookalike"]),
    ("a glued support word", "@swish_support_se", ["handle.lookalike"]),
    ("a dictionary-word brand among other words", "@grab_food_lovers", []),
    ("an e-wallet's word name beside a support word", "@dana_cs_resmi_id", ["handle.lookalike"]),
    ("an e-wallet's word name beside news words only", "@dana_berita_harian", []),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CONTEXT_HANDLES],
                         ids=[c[0] for c in CONTEXT_HANDLES])
def test_handles_with_brand_and_context_words(shipped, text, expected):
    """A brand's name with official / support / news words of any language in a handle that
    is not the brand's own account is an impostor; fan clubs and official accounts are not."""
    assert rules_of(shipped, f"join {text}") == expected


BRAND_WORDS = [
    ("chinese register", "binance-zhuce.com", "link.brand-keyword", Severity.HIGH),
    ("vietnamese cancel transaction", "vietcombank-huygiaodich.com", "link.brand-keyword",
     Severity.HIGH),
    ("vietnamese lock account", "vietcombank-khoa-tk.com", "link.brand-keyword", Severity.HIGH),
    ("dictionary brand with a scam word", "gate-zhuce.com", "link.brand-keyword",
     Severity.HIGH),
    ("brand among ordinary words", "kraken-vietnam.com", "link.brand-word", Severity.MEDIUM),
    ("brand among words on a cheap suffix", "huobi-bangzhu.com", "link.brand-word",
     Severity.MEDIUM),
]


@pytest.mark.parametrize(("host", "rule", "severity"), [c[1:] for c in BRAND_WORDS],
                         ids=[c[0] for c in BRAND_WORDS])
def test_brand_with_other_words_in_a_domain(shipped, host, rule, severity):
    """A brand with scam words of any language is high; with other words, medium for brands
    whose policy allows it."""
    (link,) = extract_links(f"open {host} now")
    (hit,) = shipped.check_link(link)
    assert (hit.rule, hit.severity) == (rule, severity)


@pytest.mark.parametrize("host", ["gate-fans.com", "okx-fans.com", "cryptopay.me",
                                  "kraken.com", "gateway-news.org"])
def test_brand_word_spares_dictionary_and_short_brands(shipped, host):
    """Dictionary-word and acronym brands next to ordinary words, and official domains,
    stay clean."""
    (link,) = extract_links(f"open {host} now")
    assert shipped.check_link(link) == []


SHORTENED = [
    ("account threat (en)", "Your account will be locked today, verify at https://bit.ly/3abXy",
     Severity.HIGH),
    ("account threat (vi, no accents)",
     "Tai khoan cua ban se bi khoa, xac minh ngay: https://bit.ly/3abXy", Severity.HIGH),
    ("account threat (sv)", "Ditt konto är spärrat, logga in här https://bit.ly/3abXy",
     Severity.HIGH),
    ("prize (vi)", "Chuc mung ban da trung thuong 50 trieu, nhan qua tai https://bit.ly/3abXy",
     Severity.MEDIUM),
    ("prize (zh)", "恭喜您中奖了,领取奖品请点击 https://bit.ly/3abXy", Severity.MEDIUM),
    ("brand named", "Binance listing news, click: https://bit.ly/3abXy", Severity.MEDIUM),
    ("a free-crypto offer", "FREE CRYPTO GIVEAWAY! https://bit.ly/3abXy", Severity.MEDIUM),
    ("brand and a threat", "Your Vietcombank account will be locked, see https://bit.ly/3abXy",
     Severity.HIGH),
    ("a parcel notice", "DHL: your parcel is waiting, details https://bit.ly/3abXy",
     Severity.MEDIUM),
]


@pytest.fixture(scope="module")
def detector():
    from bot.core.detector import Detector
    from bot.core.ruleset import load_ruleset

    return Detector(load_ruleset(RULES_DIR))


@pytest.mark.parametrize(("text", "severity"), [c[1:] for c in SHORTENED],
                         ids=[c[0] for c in SHORTENED])
def test_shortener_with_a_lure_story(detector, text, severity):
    """A shortened link with a brand, a prize or an account threat is its own hit, stronger
    than the shortener alone, and the message is flagged."""
    verdict = detector.check(CheckRequest(text))
    hit = next(h for h in verdict.hits if h.rule == "link.shortener-context")
    assert hit.severity is severity and "bit.ly" in hit.reason
    assert verdict.verdict != "clean"


@pytest.mark.parametrize("text", [
    "photos from the trip: https://bit.ly/3abcd",
    "trust me, this recipe is great https://bit.ly/3abcd",
    "Beware of messages saying your account is locked with a bit.ly link, they are scams",
    "Your account will be locked today, verify at https://binance.com/en/support",
    "Jom follow TikTok kami untuk promosi homestay https://t.co/vUVdMseYe",
    "Nak tambah contact WhatsApp, PM kat sini https://t.co/8fW0G7YGOm",
    # a story or a brand beside a link that nobody is told to follow: headlines, check-ins
    "Pandu uji kereta ketika PKP, MB Kedah disiasat polis https://t.co/cVs3tqs5hq",
    "I'm at CIMB in Batu Berendam, Melaka https://t.co/jJZFZx7ha4",
    "SPR terima notis tamat tempoh DUN Sarawak, pilihan raya ditangguh https://t.co/ojJ2sHFZIc",
])
def test_shortener_without_a_lure_story(detector, text):
    """Shorteners without such a story, stories without a shortener and warnings about them
    raise no shortener-context hit."""
    verdict = detector.check(CheckRequest(text))
    assert "link.shortener-context" not in [h.rule for h in verdict.hits]


def test_shortener_context_concepts_exist_in_every_lexicon(detector):
    """Every concept brands.yaml names for shortened links is defined by the lexicons."""
    extra = detector.rules.links.extra
    names = [*extra["shortener_context_high"], *extra["shortener_context_medium"],
             *extra["shortener_context_address"]]
    assert names
    assert all(detector.rules.patterns.concept_id(n) is not None for n in names)


@pytest.mark.parametrize("text, brand", [
    ("BCA: Nasabah Yth, tarif transaksi berubah jadi Rp150.000/bln. Jika tdk setuju, isi "
     "formulir di bca-tarifbaru.com sebelum pkl 23.59 hari ini.", "BCA"),
    ("Polri ETLE: Kendaraan Anda tercatat melanggar lalu lintas. Lihat bukti foto "
     "pelanggaran Anda: etle-polri.id/surat-tilang", "Polri"),
    ("PDRM: Anda disaman. Sila klik pdrm-saman2u.com untuk semak butiran saman anda", "PDRM"),
    # a dictionary-word brand named by its acronym in capitals
    ("BDO: A new device was enrolled to your account. If this wasn't you, cancel immediately "
     "at bdo-device-cancel.com", "BDO"),
    ("BRI: Mulai besok tarif transaksi jadi Rp150.000/bln. Jika tdk setuju isi formulir di "
     "bri-tarifbaru.id sebelum jam 23.59", "BRI"),
    # a brand's alias that holds a digit (Maybank2u is M2U)
    ("Maybank: TreatsPoints anda (bernilai RM320) akan luput hari ini. Tebus sekarang di "
     "m2u-treatspoints.com", "Maybank"),
])
def test_link_carrying_the_name_of_the_brand_the_message_speaks_for(detector, text, brand):
    """A message that names a brand and offers a link whose name carries that brand on a
    domain that is not the brand's is flagged, with the official domain in the reason; the
    label alone (a short name beside an unknown word) would prove nothing."""
    verdict = detector.check(CheckRequest(text))
    hit = next(h for h in verdict.hits if h.rule == "link.brand-named")
    assert brand in hit.reason and "official" in hit.reason
    assert verdict.verdict != "clean"


@pytest.mark.parametrize("text", [
    # the brand's own domain, or a link naming another brand than the one the message names
    "BCA: cek tarif terbaru Anda di https://www.bca.co.id/tarif",
    "BCA: info promo kartu kredit Anda di mandiri-promo.com",
    # a warning and a question about such a link (the learned reading weighs the context)
    "hati2 ya, ada sms BCA palsu yg suruh isi formulir di bca-tarifbaru.com, jangan diklik",
    # no brand named: the label alone is left to the registry's policy
    "isi formulir di bca-tarifbaru.com sebelum pkl 23.59 hari ini",
    # a link nobody is told to follow
    "Polri rilis data kecelakaan lebaran etle-polri-data.org",
    # a dictionary-word brand in lower case names nobody ("bri" is no acronym here)
    "bri: cek tarif baru kamu di bri-tarifbaru.id ya",
])
def test_brand_named_link_needs_the_name_the_offer_and_another_domain(detector, text):
    """No brand-named hit without all three: the brand named, the link offered to the
    reader, and a label carrying the name on a domain that is not the brand's."""
    verdict = detector.check(CheckRequest(text))
    assert "link.brand-named" not in [h.rule for h in verdict.hits]


def test_brand_named_link_is_weighed_not_standing(detector):
    """The hit comes from the message's words, so a discussion of the link, read as clean by
    the learned layer, is not flagged by it."""
    verdict = detector.check(CheckRequest(
        "nhận sms 'BCA' kèm link bca-tarifbaru.com. bca thật giờ ko gửi link trong tin nhắn nữa",
        lang="vi"))
    assert verdict.verdict == "clean"


@pytest.mark.parametrize(("host", "official"), [
    ("aftonbladet-ekonomi.com", "aftonbladet.se"),
    ("vnexpress-taichinh.net", "vnexpress.net"),
    ("robinhood-taxcenter.com", "robinhood.com"),
    ("landbank-iaccess.com.ph-secure.site", "landbank.com"),
    ("rappler-news.site", "rappler.com"),
    ("steamcommunitty.com/gift/98211", "steamcommunity.com"),
    ("zoom-us.meeting-join.cc/j/88213", "zoom.us"),
    ("notion.so.pages-share.io/q2", "notion.so"),
    ("discord-nitro-gift.com", "discord.com"),
])
def test_news_sites_brokers_and_platforms_are_imitated(shipped, host, official):
    """A cloned news "article" (celebrity-endorsed investment), a broker's tax portal, a
    gift, meeting or shared-page link on a domain that carries the name with another word, a
    typo or the official domain in front is a look-alike; the real one is clean."""
    (link,) = extract_links(host)
    assert [h.category for h in shipped.check_link(link)] == ["lookalike_link"]
    (real,) = extract_links(f"https://{official}/x")
    assert shipped.check_link(real) == []


@pytest.mark.parametrize("host", ["discordia-bar.se", "zoomcar.com", "steamboat-hotel.com"])
def test_words_that_hold_a_platforms_name_are_not_look_alikes(shipped, host):
    (link,) = extract_links(host)
    assert shipped.check_link(link) == []


@pytest.mark.parametrize(("text", "expected"), [
    # the railway's number with any other word in the label (policy `contains`)
    ("抢票通道已开放，请登录 12306-qiangpiao.cn 预约", ["link.brand-keyword"]),
    ("春运车票请在官方 www.12306.cn 或官方App购买", []),
    ("vé Tết giảm giá tại vietjetair-khuyenmai.net", ["link.brand-keyword"]),
    ("đặt vé ở vietjetair.com nhé", []),
    ("refund for your cancelled flight: cebupacificair-refund.com", ["link.brand-keyword"]),
    ("book on ktmb.com.my before the holiday rush", []),
])
def test_transport_brands_of_the_holiday_ticket_scams(shipped, text, expected):
    """Railways and airlines of the region are brands: a ticket or refund site that puts
    their name beside other words is a look-alike; their own sites are not."""
    assert rules_of(shipped, text) == expected
