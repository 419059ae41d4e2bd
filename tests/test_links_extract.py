"""Finding links in messages and normalising their hosts."""

from __future__ import annotations

import socket

import pytest
import tldextract

from bot.core.links import extract_links, load_link_data
from bot.core.links.hosts import is_mixed_script, normalize_host, skeleton
from bot.core.model import Anchor
from rules import RULES_DIR

TEXT_CASES = [
    ("with scheme", "login at https://binance-verify.xyz/login now", ["binance-verify.xyz"]),
    ("bare domain", "visit binance-claim.com today", ["binance-claim.com"]),
    ("www without scheme", "go to www.okx-help.net", ["www.okx-help.net"]),
    ("defanged brackets", "hxxps://binance[.]com/x and okx(.)com", ["binance.com", "okx.com"]),
    ("defanged dot word", "metamask[dot]io", ["metamask.io"]),
    ("ideographic dot", "binance\u3002com", ["binance.com"]),
    ("fullwidth dot", "binance\uff0ecom", ["binance.com"]),
    ("halfwidth ideographic dot", "binance\uff61com", ["binance.com"]),
    ("fullwidth letters", "ｂｉｎａｎｃｅ.com", ["binance.com"]),
    ("trailing dot and comma", "see binance.com., then", ["binance.com"]),
    ("glued to Chinese text", "请访问binance-gift.com立即领取", ["binance-gift.com"]),
    ("glued to Thai text", "คลิกที่okx-bonus.comเลย", ["okx-bonus.com"]),
    ("cyrillic look-alike", "open аррӏе.com", ["xn--80ak6aa92e.com"]),
    ("email domain", "write to help@binance-desk.net", ["binance-desk.net"]),
    ("ip address", "http://127.0.0.1:8080/x", ["127.0.0.1"]),
    ("path with parentheses", "https://example.com/a_(b)).", ["example.com"]),
]


@pytest.mark.parametrize(("text", "hosts"), [c[1:] for c in TEXT_CASES],
                         ids=[c[0] for c in TEXT_CASES])
def test_extracts_hosts_from_text(text, hosts):
    """Links in every written form come out with their ascii host."""
    assert [link.host for link in extract_links(text) if link.host] == hosts


NOT_LINKS = [
    ("abbreviations", "e.g. this, i.e. that, U.S. and a.m."),
    ("file names", "open file.txt, run main.py and read README.md or setup.sh"),
    ("version numbers", "Python 3.11.2 and v2.0 are out"),
    ("decimal numbers", "price 1.5 or 0.25 BTC"),
    ("unknown suffix", "config.yaml and data.json"),
]


@pytest.mark.parametrize("text", [c[1] for c in NOT_LINKS], ids=[c[0] for c in NOT_LINKS])
def test_ignores_words_that_only_look_like_domains(text):
    """Abbreviations, file names and numbers are not links (a known public suffix is needed)."""
    assert extract_links(text) == ()


HANDLE_CASES = [
    ("at handle", "DM @Binance_Support_Desk", "binance_support_desk", ""),
    ("t.me link", "join t.me/okx_helpdesk now", "okx_helpdesk", "t.me"),
    ("telegram.me link", "telegram.me/metamask_support", "metamask_support", "telegram.me"),
    ("invite link has no handle", "https://t.me/+AbCdEf123", "", "t.me"),
    ("joinchat has no handle", "https://t.me/joinchat/AbCdEf", "", "t.me"),
]


@pytest.mark.parametrize(("text", "handle", "host"), [c[1:] for c in HANDLE_CASES],
                         ids=[c[0] for c in HANDLE_CASES])
def test_telegram_links_and_handles(text, handle, host):
    """t.me links and @handles carry the username in `handle` and count as Telegram links."""
    (link,) = extract_links(text)
    assert (link.handle, link.host, link.is_telegram) == (handle, host, True)


def test_email_local_part_is_not_a_handle():
    """The @ of an e-mail address does not start a Telegram handle."""
    links = extract_links("mail support@binance-desk.net")
    assert [(link.source, link.handle) for link in links] == [("email", "")]


@pytest.mark.parametrize("text", [
    "contact recoveryexpert.jamie (at) gmail com, he got mine back",
    "write to jamie[at]gmail[dot]com today",
    "mail agent{at}recovery-desk.net",
])
def test_an_address_written_to_slip_past_filters_is_an_email(text):
    """'(at)' and '[at]' between a name and a host, and a mail provider written with a space
    for its dot, make the e-mail address they spell."""
    links = extract_links(text)
    assert [link.source for link in links] == ["email"]
    assert links[0].host in ("gmail.com", "recovery-desk.net")


def test_at_in_brackets_between_words_is_no_address():
    assert extract_links("see you (at) 5pm near the mall") == ()


def test_hidden_urls_and_anchors():
    """Button URLs and text links are links too; an anchor keeps its visible text."""
    links = extract_links(
        "click here",
        urls=("https://bit.ly/abc",),
        anchors=(Anchor("binance.com", "https://binance-verify.xyz/login"),),
    )
    assert [(link.host, link.source, link.anchor_text) for link in links] == [
        ("binance-verify.xyz", "anchor", "binance.com"),
        ("bit.ly", "hidden", ""),
    ]


def test_duplicates_are_reported_once():
    """The same link written twice is one link."""
    assert len(extract_links("okx.com and okx.com and OKX.COM")) == 1


HOSTS = [
    ("trailing dot", "Binance.COM.", "binance.com", "binance.com", "binance.com", "binance"),
    ("unicode to punycode", "bιnance.com", "xn--bnance-bze.com", "bιnance.com",
     "xn--bnance-bze.com", "xn--bnance-bze"),
    ("punycode to unicode", "xn--80ak6aa92e.com", "xn--80ak6aa92e.com", "аррӏе.com",
     "xn--80ak6aa92e.com", "xn--80ak6aa92e"),
    ("country second level", "login.vietcombank.com.vn", "login.vietcombank.com.vn",
     "login.vietcombank.com.vn", "vietcombank.com.vn", "vietcombank"),
    ("private suffix", "metamask-io.github.io", "metamask-io.github.io",
     "metamask-io.github.io", "metamask-io.github.io", "metamask-io"),
    ("ideographic dot", "binance\u3002com", "binance.com", "binance.com", "binance.com",
     "binance"),
]


@pytest.mark.parametrize(("raw", "ascii_", "unicode_", "domain", "label"),
                         [c[1:] for c in HOSTS], ids=[c[0] for c in HOSTS])
def test_normalize_host(raw, ascii_, unicode_, domain, label):
    """Hosts are lower-cased, IDNA (UTS 46) encoded both ways, split at the public suffix."""
    info = normalize_host(raw)
    assert info is not None
    assert (info.ascii, info.unicode, info.domain, info.label) == (
        ascii_, unicode_, domain, label
    )


def test_normalize_host_rejects_garbage():
    """Something that is no host name is None, not an exception."""
    assert normalize_host("exa mple..com") is None
    assert normalize_host("a" * 300 + ".com") is None


SKELETONS = [
    ("cyrillic whole script", "метамаѕк", "metamask"),
    ("cyrillic t m k b", "ьуьіт", skeleton("bybit")),
    ("greek letters", "bιnance", skeleton("binance")),
    ("rn for m", "rnetarnask", "metamask"),
    ("digits for letters", "c0inbase", skeleton("coinbase")),
    ("uppercase I read as l", "teiegrarn", "telegram"),
    ("diacritics", "ledgeŕ", "ledger"),
]


@pytest.mark.parametrize(("label", "expected"), [c[1:] for c in SKELETONS],
                         ids=[c[0] for c in SKELETONS])
def test_skeleton_folds_lookalikes(label, expected):
    """Labels that look alike share one skeleton."""
    assert skeleton(label) == expected


def test_mixed_script_labels():
    """Latin mixed with Cyrillic in one label is mixed; one script alone is not."""
    assert is_mixed_script("bіnance")
    assert not is_mixed_script("binance")
    assert not is_mixed_script("пример")


def test_tldextract_never_touches_the_network(monkeypatch):
    """Host normalisation, loading the link data and checking a link work with every socket
    call failing (offline suffix list, no fetches)."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    fresh = tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )
    assert fresh("a.b.example.co.uk").suffix == "co.uk"
    info = normalize_host("never-seen-before-offline-check.com.vn")
    assert info is not None and info.suffix == "com.vn"
    data = load_link_data(RULES_DIR)
    (link,) = extract_links("visit binance-offline-claim.xyz")
    assert [hit.rule for hit in data.check_link(link)] == ["link.brand-keyword"]


@pytest.mark.parametrize("text", [
    "shortened links like bit.ly/VCB-... or t.ly/TCB-... with a bank's name are scams",
    "parcel notices pointing to vnpost-xxxx.top are fake, track in the app",
    "anything like binance-***.com is not Binance",
])
def test_a_link_written_as_a_pattern_is_no_link(text):
    """A link cut off with an ellipsis where its name goes on, or with a placeholder for part
    of its name, is an example in a warning: nobody can open it."""
    assert extract_links(text) == ()


@pytest.mark.parametrize(("text", "url"), [
    ("got a text with jnt-express-my.top... never ordered anything", "jnt-express-my.top"),
    ("claim at binance-claim-xyz.com now", "binance-claim-xyz.com"),
    ("mail xxx@gmail.com for the form", "gmail.com"),
    # how anonymised SMS corpora write a real scam's link
    ("your parcel is held, pay the fee at bit.ly/xxxx", "bit.ly/xxxx"),
    ("claim now at bit.ly/...", "bit.ly/"),
])
def test_a_link_before_an_ellipsis_or_beside_xs_is_still_a_link(text, url):
    """A sentence's trailing ellipsis after a whole link, or x's that are a name, keep the
    link."""
    assert [link.url for link in extract_links(text)] == [url]


@pytest.mark.parametrize(("text", "host"), [
    ("nhận tại zal0pay-hoantien . site ai nhanh thì được", "zal0pay-hoantien.site"),
    ("đăng ký tại baohiemxahoi-vn . pages . dev (bỏ dấu cách)", "baohiemxahoi-vn.pages.dev"),
    ("vào dongabank-ebanking . click để xác thực", "dongabank-ebanking.click"),
])
def test_a_domain_spaced_out_around_its_dots_is_a_link(text, host):
    """Spaces on both sides of a dot, to slip past filters, are closed up."""
    assert [link.host for link in extract_links(text)] == [host]


@pytest.mark.parametrize("text", [
    "see you . me too",  # no hyphen or digit in the name
    "I paid 50 . com fees",  # no letter in the name
    "covid-19 . it was bad",  # a suffix that is an everyday word
    "vietcombank. com",  # a space on one side only: prose
])
def test_prose_with_a_spaced_dot_holds_no_link(text):
    assert extract_links(text) == ()
