"""Host names: normalisation (IDNA UTS 46), registrable domain (offline public suffix list)
and a look-alike skeleton for comparing domain labels with brand labels."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import idna
import tldextract

from bot.core.confusables import letters

# The bundled public suffix list only: no suffix_list_urls and no cache dir, so nothing is ever
# fetched or written. Private domains (github.io, pages.dev...) count as suffixes.
_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)

# Dots that browsers and UTS 46 treat as label separators.
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_LABEL_RE = re.compile(r"^[a-z0-9-]{1,63}$")


@dataclass(frozen=True, slots=True)
class HostInfo:
    """A normalised host: ascii (`xn--`) and Unicode forms, registrable domain and its parts."""

    ascii: str
    unicode: str
    domain: str  # registrable domain, ascii ("" for IP addresses and bare suffixes)
    label: str  # the registrable label, ascii (binance in binance.com.vn)
    label_unicode: str
    suffix: str  # public suffix, ascii (com.vn)
    subdomain: str  # what is left of the registrable domain, ascii
    is_ip: bool = False
    is_private_suffix: bool = False  # suffix is a shared-hosting root (github.io)


def _strip_host(host: str) -> str:
    host = host.translate(_DOTS).strip().rstrip(".")
    return host


@lru_cache(maxsize=65_536)
def normalize_host(host: str) -> HostInfo | None:
    """Normalise a host as a browser would; None when it is not a valid host name."""
    raw = _strip_host(host)
    if not raw or len(raw) > 253:
        return None
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        ip = None
    if ip is not None:
        text = str(ip)
        return HostInfo(text, text, "", "", "", "", "", is_ip=True)
    try:
        ascii_host = idna.encode(raw, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    ascii_host = ascii_host.lower().rstrip(".")
    labels = ascii_host.split(".")
    if not all(_LABEL_RE.match(lab) for lab in labels):
        return None
    if all(lab.isdigit() for lab in labels):
        # a numeric host (127.1, 2130706433) is an IPv4 address in another notation
        return HostInfo(ascii_host, ascii_host, "", "", "", "", "", is_ip=True)
    try:
        unicode_host = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError, ValueError):
        unicode_host = ascii_host
    parts = _EXTRACT(ascii_host)
    if not parts.suffix:
        return None
    domain = f"{parts.domain}.{parts.suffix}" if parts.domain else ""
    label_unicode = parts.domain
    if parts.domain.startswith("xn--"):
        try:
            label_unicode = idna.decode(parts.domain)
        except (idna.IDNAError, UnicodeError, ValueError):
            label_unicode = parts.domain
    return HostInfo(
        ascii=ascii_host,
        unicode=unicode_host,
        domain=domain,
        label=parts.domain,
        label_unicode=label_unicode,
        suffix=parts.suffix,
        subdomain=parts.subdomain,
        is_private_suffix=bool(parts.is_private),
    )


def parents(host: str) -> list[str]:
    """The host and each parent domain: a.b.c.com -> [a.b.c.com, b.c.com, c.com, com]."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


# --- look-alike skeletons -------------------------------------------------------------------

# Domain names are shown in lower case and read letter by letter, so more letters pass for Latin
# there than in running text: Cyrillic, Greek, Armenian and Latin-extension letters that Unicode's
# confusables data does not list (т, м, к, в, н, ь, ы for bl, ө for 0...). These host-only
# look-alikes come first; the shared table (bot/core/confusables.py: Unicode's data plus the
# project's overrides, the same one text normalisation uses) wins wherever both name a letter.
_HOST_ONLY_PAIRS = (
    # Cyrillic
    "бb дd жx зз иu йu лn фф цu чч шw щw ъb ыbl "
    "эe юю яr ђh єe љљ њњ ћh ќk ѝu ўy џu ґr қk ңh ҙз ұy "
    "ҿe ӑa ӓa ӗe ӧo ө0 ӫo ӱy ӳy ӹbl ԏt ԓn ҫc ҷч ӄk ӈh ӊh ӎm ӣu ӥu ѳo ҥh "
    # Greek
    "δd θo λl ξe πn φф ψw άa έe ήn ίi "
    "όo ύu ώw ϊi ϋu ϸp ϻm ϐb ϑo ϒy ϕф ϵe "
    # Armenian, Cherokee, Latin extensions and IPA
    "ւl ɫl ɬl ɳn ɸф ɹr ɻr ɼr ʁr "
    "ʃs ʄj ʅl ʇt ʈt ʌv ʍw ʑz ʒз ꞵb ƃb ƅb ƌd ƚl ƞn "
    "ƨs ƫt ȡd ȥz ȴl ȵn ȶt ȼc ȿs ɀz ɂ? ɉj ɋq ŀl ŉn "
    "ßb þp æa œo ɖd ɧh ʰh "
    "ュl ƪl ꝇl ꝲl ꞁl ꝉl ꝑp ꝓp ꝗq ꝙq ꞧr ꞩs ꞡg ꞣk ꞥn ꝁk ꝃk ꝅk "
    "ꭰd ꭱr ꭲt ꭳa ꭴa ꭵj ꭶe ꭷe ꭸn ꭹy ꭺa ꭻu ꭼz ꭽh ꭾl ꭿm"
)
_SINGLE: dict[str, str] = {}
for _pair in _HOST_ONLY_PAIRS.split():
    if len(_pair) >= 2 and _pair[1:].isascii() and _pair[1:].isalnum():
        _SINGLE[_pair[0]] = _pair[1:]
_SINGLE.update(letters())
# ASCII digits and letters that read as other letters in a domain name
_SINGLE.update(
    {
        "0": "o",
        "1": "l",
        "i": "l",
        "|": "l",
        "!": "l",
        "3": "e",
        "5": "s",
        "$": "s",
        "@": "a",
        "4": "a",
        "8": "b",
        "9": "g",
        "6": "b",
        "7": "t",
        "2": "z",
    }
)
_SINGLE_TABLE = str.maketrans(_SINGLE)
# letter pairs that read as one letter
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"))


@lru_cache(maxsize=65_536)
def skeleton(label: str) -> str:
    """A look-alike skeleton of a domain label: confusable characters folded to Latin,
    diacritics removed, digits read as letters, letter pairs (rn, vv, cl) as the one letter
    they imitate, hyphens removed. Two labels with the same skeleton look the same."""
    text = unicodedata.normalize("NFKC", label).casefold()
    text = text.translate(_SINGLE_TABLE)
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    text = text.translate(_SINGLE_TABLE).replace("-", "").replace("_", "")
    for pair, one in _MULTI:
        text = text.replace(pair, one)
    return text


_LATIN = "LATIN"


@lru_cache(maxsize=16_384)
def scripts(label: str) -> frozenset[str]:
    """Scripts of the letters of a label (LATIN, CYRILLIC, GREEK, ...); digits and hyphens
    have none."""
    out = set()
    for ch in label:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        out.add(name.split(" ", 1)[0] if name else "UNKNOWN")
    return frozenset(out)


def is_mixed_script(label: str) -> bool:
    """Latin letters mixed with Cyrillic, Greek or Armenian ones in one label."""
    found = scripts(label)
    return _LATIN in found and bool(found & {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
