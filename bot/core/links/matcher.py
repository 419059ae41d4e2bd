"""Look-alike heuristics: which brand a domain or a Telegram handle imitates, and why.

Everything brand-dependent is precomputed once per registry (label and skeleton indexes, one
Aho-Corasick automaton of brand labels); a host is judged in microseconds and the answer is
cached, so a message never loops over the brands doing heavy work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick
import idna
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract as fuzzy_extract

from bot.core.links.brands import Brand, BrandRegistry
from bot.core.links.extract import Link
from bot.core.links.hosts import is_mixed_script, normalize_host, parents, scripts, skeleton

# Suffixes open to anyone worldwide: a typo of a short brand there is most likely someone else.
GENERIC_SUFFIXES = frozenset({"com", "net", "org", "io", "co", "info", "app", "biz", "me"})
_TOKEN_SPLIT = re.compile(r"[-_0-9]+")
_CACHE_LIMIT = 100_000


# The registrable labels that open with a top-level domain and a hyphen: written right after
# a name and a dot, they end a domain early for the eye (see `_judge_host`, step 8), and so
# do the country codes of the project's regions that are no word ("norwegian-air.se-deals.com"
# reads "norwegian-air.se"). "co-", "net-", "my-" and "id-" also open real names (co-op,
# net-a-porter, my-account, id-card).
_FAKE_END = ("com-", "gov-", "se-", "vn-", "ph-", "th-", "sg-", "hk-", "tw-", "cn-")


@dataclass(frozen=True, slots=True)
class Lookalike:
    """A verdict on one host or handle: the rule id, the brand imitated (if any) and why."""

    rule: str
    brand: Brand | None
    why: str


# QWERTY, QWERTZ and AZERTY rows (with the digit row): neighbouring keys are typical typos.
_KEYBOARDS = (
    ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"),
    ("1234567890", "qwertzuiop", "asdfghjkl", "yxcvbnm"),
    ("1234567890", "azertyuiop", "qsdfghjklm", "wxcvbn"),
)
_NEIGHBOURS: dict[str, set[str]] = {}
for _rows in _KEYBOARDS:
    for _r, _row in enumerate(_rows):
        for _c, _ch in enumerate(_row):
            _near = _NEIGHBOURS.setdefault(_ch, set())
            for _dr in (-1, 0, 1):
                if 0 <= _r + _dr < len(_rows):
                    _other = _rows[_r + _dr]
                    for _dc in (-1, 0, 1):
                        if 0 <= _c + _dc < len(_other) and (_dr or _dc):
                            _near.add(_other[_c + _dc])
_VOWELS = frozenset("aeiouy")


def plausible_typo(word: str, brand: str) -> bool:
    """False for a single substitution no typist or squatter makes (metatask for metamask):
    a substituted letter must be a keyboard neighbour, a one-bit flip, a vowel for a vowel,
    a digit or a look-alike of the original."""
    if len(word) != len(brand):
        return True
    diffs = [(a, b) for a, b in zip(word, brand, strict=True) if a != b]
    if len(diffs) != 1:
        return True
    a, b = diffs[0]
    return (
        a in _NEIGHBOURS.get(b, ())
        or bin(ord(a) ^ ord(b)).count("1") == 1
        or (a in _VOWELS and b in _VOWELS)
        or a.isdigit()
        or b.isdigit()
        or skeleton(a) == skeleton(b)
    )


def _same_first(word: str, brand_label: str) -> bool:
    """The typo keeps the first letter, or puts a look-alike of it (lnstagram)."""
    return skeleton(word[:1]) == skeleton(brand_label[:1])


def _has_own_digits(token: str, brand: Brand) -> bool:
    """The brand's own label writes those digits (1inch, 7eleven)."""
    digits = "".join(c for c in token if c.isdigit())
    return any(digits and digits in label for label in brand.labels)


def _unicode(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return label


def max_distance(label: str) -> int:
    """Edits allowed between a brand label and a look-alike, scaled to the label's length."""
    n = len(label)
    if n < 5:
        return 0
    if n < 12:
        return 1
    return 2


class BrandMatcher:
    """Precomputed indexes over one brand registry."""

    def __init__(self, registry: BrandRegistry) -> None:
        self.registry = registry
        self.brands = registry.brands
        self.scam_words = registry.scam_words
        self.handle_words = registry.handle_words or registry.scam_words
        self._max_word = max((len(w) for w in self.scam_words | self.handle_words), default=1)
        self.official: dict[str, Brand] = {}
        self.official_handles: dict[str, Brand] = {}
        self.official_suffixes: dict[str, frozenset[str]] = {}
        self.labels: dict[str, Brand] = {}
        self.skeletons: dict[str, Brand] = {}
        self.handle_skeletons: dict[str, tuple[str, Brand]] = {}
        self._automaton = ahocorasick.Automaton()
        for brand in self.brands:
            suffixes = set()
            for host in brand.domains:
                self.official.setdefault(host, brand)
                info = normalize_host(host)
                if info is not None and info.suffix:
                    suffixes.add(info.suffix)
                    suffixes.add(info.suffix.rsplit(".", 1)[-1])
            self.official_suffixes[brand.id] = frozenset(suffixes)
            for handle in brand.handles:
                self.official_handles.setdefault(handle, brand)
                self.handle_skeletons.setdefault(skeleton(handle), (handle, brand))
            for label in brand.labels:
                self.labels.setdefault(label, brand)
                self.skeletons.setdefault(skeleton(label), brand)
                if len(label) >= 3:
                    self._automaton.add_word(label, (label, brand))
        if len(self._automaton):
            self._automaton.make_automaton()
        # official handles inside other handles: @wallet_support_bot next to Telegram's @wallet
        self._handles_automaton = ahocorasick.Automaton()
        for handle, brand in self.official_handles.items():
            bare = handle.replace("_", "")
            if len(bare) >= 5:
                self._handles_automaton.add_word(bare, (handle, brand))
        if len(self._handles_automaton):
            self._handles_automaton.make_automaton()
        # official domains of two parts or more written with hyphens for dots (rd-go-th,
        # krungthai-com, maybank2u-com-my): a host that spells one is imitating it
        self._hyphenated: dict[str, tuple[str, Brand]] = {}
        for host, brand in self.official.items():
            if "." in host and len(host) >= 6:
                self._hyphenated.setdefault(host.replace(".", "-"), (host, brand))
        self._fuzzy_choices = {label: label for label in self.labels}
        self._skeleton_choices = {skeleton(label): label for label in self.labels}
        self._fuzzy_keys = list(self._fuzzy_choices)
        self._skeleton_keys = list(self._skeleton_choices)
        self._host_cache: dict[str, Lookalike | None] = {}
        self._handle_cache: dict[str, Lookalike | None] = {}

    # --- official domains ------------------------------------------------------------------

    def official_brand(self, link: Link) -> Brand | None:
        """The brand whose official domain (or a subdomain of one) this host is."""
        if not link.domain:
            return None
        for host in parents(link.host):
            brand = self.official.get(host)
            if brand is not None:
                return brand
            if host == link.domain:
                break
        return None

    # --- helpers ---------------------------------------------------------------------------

    def _scam_words_only(self, text: str, words: frozenset[str]) -> bool:
        """True when `text` (letters only) is a run of scam words, e.g. 'supportcenter'."""
        if not text:
            return True
        n = len(text)
        ok = [False] * (n + 1)
        ok[0] = True
        for i in range(n):
            if not ok[i]:
                continue
            for j in range(i + 1, min(n, i + self._max_word) + 1):
                if text[i:j] in words:
                    ok[j] = True
        return ok[n]

    def _rest_is_scam_words(self, rest: str, words: frozenset[str] | None = None) -> bool:
        vocabulary = self.scam_words if words is None else words
        parts = [p for p in _TOKEN_SPLIT.split(rest) if p]
        return bool(parts) and all(self._scam_words_only(p, vocabulary) for p in parts)

    def _suffix_ok(self, brand: Brand, suffix: str) -> bool:
        return (
            suffix in self.official_suffixes[brand.id]
            or suffix.rsplit(".", 1)[-1] in self.registry.risky_suffixes
            or suffix in self.registry.risky_suffixes
        )

    def _official_name(self, brand: Brand) -> str:
        return brand.domains[0] if brand.domains else brand.name

    def _brand_in_label(
        self,
        label: str,
        allow_glued: bool,
        words: frozenset[str] | None = None,
        cheap_suffix: bool = False,
    ) -> Lookalike | None:
        """A brand label inside a domain label or handle, next to scam words only (or anywhere
        for brands with the 'contains' policy)."""
        if not len(self._automaton):
            return None
        best: Lookalike | None = None
        for end, (lab, brand) in self._automaton.iter(label):
            start = end - len(lab) + 1
            before, after = label[:start], label[end + 1 :]
            if not before and not after:
                continue
            bounded = (not before or before[-1] in "-_0123456789") and (
                not after or after[0] in "-_0123456789"
            )
            # a dictionary word glued to others is usually another word (cryptopay), except
            # on a suffix that costs nothing (promobni46.tk)
            glued_ok = allow_glued and (brand.policy != "word" or cheap_suffix)
            if (bounded or glued_ok) and self._rest_is_scam_words(before + "-" + after, words):
                extra = " ".join(p for p in _TOKEN_SPLIT.split(before + "-" + after) if p)
                return Lookalike(
                    "link.brand-keyword",
                    brand,
                    f"puts the {brand.name} name next to scam words ({extra})",
                )
            if brand.policy == "contains" and len(lab) >= 5 and best is None:
                best = Lookalike(
                    "link.brand-keyword", brand, f"contains the {brand.name} name ({lab})"
                )
        return best

    def _official_opener(self, host: str, subdomain: int) -> tuple[str, Brand] | None:
        """The official domain this host opens with, followed by a hyphen, or by a dot that
        ends the subdomain (`subdomain` characters long) or lies inside it: netflix.com.br
        is a registrable domain of its own, netflix.com.verify.xyz is not (and the host is on
        no official domain: `official_brand` was asked first)."""
        for i, ch in enumerate(host):
            if (ch == "-" or (ch == "." and i <= subdomain)) and i >= 3:
                brand = self.official.get(host[:i])
                if brand is not None:
                    return host[:i], brand
        return None

    def _hyphenated_official(self, sub: list[str], label: str) -> tuple[str, Brand] | None:
        """An official domain written with hyphens for its dots, as whole hyphen-separated
        parts of the host's name (rd-go-th.com, krungthai.com-th.info)."""
        if not self._hyphenated or (not sub and "-" not in label):
            return None
        dotted = ".".join([*sub, label])
        parts = dotted.replace(".", "-").split("-")
        for i in range(len(parts)):
            for n in (2, 3, 4):
                if i + n > len(parts):
                    break
                found = self._hyphenated.get("-".join(parts[i : i + n]))
                # spelt with its dots (okx.com.verify.xyz) it is the subdomain check's case
                if found is not None and f".{found[0]}." not in f".{dotted}.":
                    return found
        return None

    def _brand_among_words(self, label: str, shown: str) -> Lookalike | None:
        """A brand label standing as its own word (between hyphens or digits) next to words
        that are not scam words: a medium signal for brands whose policy allows typos or
        containment, nothing for dictionary words and short acronyms."""
        tokens = [t for t in _TOKEN_SPLIT.split(label) if t]
        if len(tokens) < 2:
            return None
        for i, token in enumerate(tokens):
            brand = self.labels.get(token)
            if brand is None or brand.policy not in ("fuzzy", "contains") or len(token) < 5:
                continue
            extra = " ".join(tokens[:i] + tokens[i + 1 :])
            return Lookalike(
                "link.brand-word",
                brand,
                f"{shown} puts the {brand.name} name next to other words ({extra}) "
                f"(official: {self._official_name(brand)})",
            )
        return None

    def _fuzzy(
        self, word: str, suffix: str | None, skeletons: bool = False
    ) -> tuple[Brand, str, int] | None:
        """The closest brand label within its allowed distance (None when the suffix rule
        does not allow typos there). With `skeletons`, `word` is a skeleton and is compared
        with the brands' label skeletons."""
        if len(word) < 3:
            return None
        choices = self._skeleton_choices if skeletons else self._fuzzy_choices
        keys = self._skeleton_keys if skeletons else self._fuzzy_keys
        for key, dist, _ in fuzzy_extract(
            word, keys, scorer=OSA.distance, score_cutoff=2, limit=5
        ):
            choice = choices[key]
            brand = self.labels[choice]
            limit = max_distance(choice)
            if brand.policy in ("word", "exact"):
                limit = 0
                if (
                    brand.policy == "exact"
                    and (len(choice) >= 4 or brand.kind in ("bank", "payments", "exchange"))
                    and suffix is not None
                    and suffix in self.official_suffixes[brand.id]
                    and suffix not in GENERIC_SUFFIXES
                ):
                    # a typo of a short name inside its own country namespace; not of a
                    # dictionary word, whose typos are other words (glove for globe)
                    limit = 1
            if dist == 0 or dist > limit or not plausible_typo(word, key):
                continue
            if suffix is not None and not self._suffix_ok(brand, suffix):
                continue
            return brand, choice, int(dist)
        return None

    # --- hosts -----------------------------------------------------------------------------

    def lookalike(self, link: Link) -> Lookalike | None:
        """Which brand this (non-official) host imitates, if any; cached per host."""
        key = link.host
        if key in self._host_cache:
            return self._host_cache[key]
        result = self._judge_host(link)
        if len(self._host_cache) > _CACHE_LIMIT:
            self._host_cache.clear()
        self._host_cache[key] = result
        return result

    def _judge_host(self, link: Link) -> Lookalike | None:
        label, suffix = link.label, link.suffix
        if not label:
            return None
        shown = link.display
        uni = link.label_unicode or label
        sk = skeleton(uni)
        non_ascii = not uni.isascii()
        generic: Lookalike | None = None
        # 1. look-alike letters
        if non_ascii:
            brand = self.skeletons.get(sk)
            if brand is not None and brand.labels and label not in brand.labels:
                return Lookalike(
                    "link.lookalike",
                    brand,
                    f"{shown} imitates {self._official_name(brand)} with look-alike letters",
                )
            # any suffix for distinctive brands, the own or a cheap one for short names
            near = self._fuzzy(sk, None, skeletons=True) or self._fuzzy(sk, suffix, skeletons=True)
            if near is not None:
                return Lookalike(
                    "link.lookalike",
                    near[0],
                    f"{shown} imitates {self._official_name(near[0])} with look-alike letters",
                )
            hit = self._brand_in_label(sk, allow_glued=True)
            if hit is not None and hit.brand is not None:
                return Lookalike(
                    "link.lookalike",
                    hit.brand,
                    f"{shown} imitates {self._official_name(hit.brand)} with look-alike letters",
                )
            generic = self._odd_letters(uni, suffix, shown)
        # 2. the brand's exact label on another domain
        brand = self.labels.get(label)
        if brand is not None and brand.policy != "word" and link.domain not in brand.domains:
            return Lookalike(
                "link.lookalike",
                brand,
                f"{shown} uses the {brand.name} name on another domain "
                f"(official: {self._official_name(brand)})",
            )
        # 3. brand plus scam words, or inside the label
        cheap = (suffix.rsplit(".", 1)[-1] in self.registry.risky_suffixes) or (
            suffix in self.registry.risky_suffixes
        )
        hit = self._brand_in_label(label, allow_glued=True, cheap_suffix=cheap)
        if hit is not None:
            return Lookalike(hit.rule, hit.brand, f"{shown} {hit.why}")
        # 4. the brand as a whole word among other words (brand-zhuce, brand-huygiaodich):
        # weaker than scam words, and only for brands whose name is no dictionary word
        word_hit = self._brand_among_words(label, shown)
        if word_hit is not None:
            return word_hit
        # 5. the brand in front of another domain: binance.com.verify-x.xyz, binance.evil.xyz
        sub = [p for p in link.subdomain.split(".") if p and p != "www"]
        if sub:
            around = "." + ".".join(sub) + "."
            for part in sub:
                brand = self.labels.get(part)
                if brand is None:
                    near_part = self.skeletons.get(skeleton(_unicode(part)))
                    if near_part is not None and near_part.policy in ("fuzzy", "contains"):
                        brand = near_part
                # a short or dictionary name alone in front proves little ("lido.example.com");
                # its whole official domain does ("okx.com.verify.xyz")
                if brand is not None and (
                    any(f".{d}." in around for d in brand.domains)
                    or (brand.policy in ("fuzzy", "contains") and len(part) >= 5)
                ):
                    return Lookalike(
                        "link.brand-subdomain",
                        brand,
                        f"{shown} puts the {brand.name} name in front of another domain "
                        f"({link.domain})",
                    )
                part_hit = self._brand_in_label(part, allow_glued=False)
                if part_hit and part_hit.brand and "scam words" in part_hit.why:
                    return Lookalike(
                        "link.brand-subdomain",
                        part_hit.brand,
                        f"{shown} puts the {part_hit.brand.name} name in front of another "
                        f"domain ({link.domain})",
                    )
                # the same brand misspelt or joined to a word by a hyphen, as the registrable
                # label's checks find it (binnance.com.cn.ltd, www-binance.com-login.xyz):
                # only distinctive names, and only typos that keep the first letter (a
                # changed first letter makes other words: finance.yahoo.com)
                for token in (t for t in _TOKEN_SPLIT.split(part) if len(t) >= 5):
                    found = self.labels.get(token) if token != part else None
                    if found is None or found.policy not in ("fuzzy", "contains"):
                        near = self._fuzzy(token, None)
                        found = near[0] if near is not None and near[1][0] == token[0] else None
                    if found is not None and found.policy in ("fuzzy", "contains"):
                        return Lookalike(
                            "link.brand-subdomain",
                            found,
                            f"{shown} puts the {found.name} name, misspelt or joined to "
                            f"another word, in front of another domain ({link.domain})",
                        )
            joined = "".join(sub) + label
            brand = self.labels.get(joined) or self.skeletons.get(skeleton(joined))
            if brand is not None and brand.policy != "word":
                return Lookalike(
                    "link.lookalike",
                    brand,
                    f"{shown} spells {self._official_name(brand)} across dots",
                )
        # 5b. the host opens with a brand's whole official domain and runs on into another
        # domain by a hyphen or a dot (t.me-login.video, x.com-claim.net): the address bar
        # shows the official name first, and no genuine host starts that way
        opener = self._official_opener(link.host, len(link.subdomain))
        if opener is not None:
            host, brand = opener
            return Lookalike(
                "link.lookalike",
                brand,
                f"{shown} starts with the official {host} and goes on into another domain "
                f"({link.domain})",
            )
        # 5a. an official domain spelt with hyphens for dots (rd-go-th.com,
        # krungthai.com-th.info): nobody else's name is an agency's or bank's whole domain
        spelt = self._hyphenated_official(sub, label)
        if spelt is not None:
            host, brand = spelt
            return Lookalike(
                "link.lookalike",
                brand,
                f"{shown} spells the official {host} with hyphens inside another domain",
            )
        # 6a. digits written for letters (amaz0n-orders, netf1ix, 0kx.co), alone or as one
        # word of the label: no typist and no other name does that, so on any suffix
        found_digits = self._digit_lookalike(label)
        if found_digits is not None:
            return Lookalike(
                "link.lookalike",
                found_digits,
                f"{shown} writes {self._official_name(found_digits)} with digits for letters",
            )
        # 6. typos and ASCII look-alikes (rn for m, 0 for o) on the brand's suffix or a cheap one
        brand = self.skeletons.get(sk)
        if brand is not None and label not in brand.labels and self._suffix_ok(brand, suffix):
            return Lookalike(
                "link.lookalike",
                brand,
                f"{shown} imitates {self._official_name(brand)} with look-alike characters",
            )
        plain = label.replace("-", "")
        near = self._fuzzy(plain, suffix)
        if near is None and sk != plain:
            near = self._fuzzy(sk, suffix, skeletons=True)
        if near is not None:
            brand, _choice, dist = near
            return Lookalike(
                "link.lookalike",
                brand,
                f"{shown} is a misspelling of {self._official_name(brand)} "
                f"({dist} letter{'s' if dist > 1 else ''} changed)",
            )
        # 7. a misspelt brand next to scam words (binnance-support.com), or next to other
        # words (binnance-rebate.com, facebok-video.me): a medium signal, only for distinctive
        # names and typos that keep the first letter (finance-news is no Binance)
        tokens = [t for t in _TOKEN_SPLIT.split(label) if t]
        if len(tokens) > 1:
            among: Lookalike | None = None
            for i, token in enumerate(tokens):
                rest = "-".join(tokens[:i] + tokens[i + 1 :])
                scam_words = self._rest_is_scam_words(rest)
                if not scam_words and (among is not None or len(token) < 5):
                    continue
                near = self._fuzzy(token, None) or self._skeleton_near(token)
                if near is None or near[0].policy not in ("fuzzy", "contains"):
                    doubled = self._doubled_letter(token) if scam_words else None
                    if doubled is not None:
                        return Lookalike(
                            "link.brand-keyword",
                            doubled,
                            f"{shown} puts the {doubled.name} name, with a letter doubled, "
                            "next to scam words",
                        )
                    continue
                if scam_words:
                    return Lookalike(
                        "link.brand-keyword",
                        near[0],
                        f"{shown} puts a misspelt {near[0].name} name next to scam words",
                    )
                if _same_first(token, near[1]):
                    among = Lookalike(
                        "link.brand-word",
                        near[0],
                        f"{shown} puts a misspelt {near[0].name} name next to other words "
                        f"(official: {self._official_name(near[0])})",
                    )
            if among is not None:
                return among
        # 8. a domain's end written early, whatever the name before it: a name in front of a
        # registrable label that opens with "com-" (airbnb.com-reservation-check.info,
        # shop.com-refund.xyz): who stops at the hyphen reads "airbnb.com", and nobody
        # registers such a label but to be read so
        if generic is None and sub and label.startswith(_FAKE_END) and len(label) > 4:
            return Lookalike(
                "link.lookalike",
                None,
                f"{shown} reads as {sub[-1]}.{label.split('-', 1)[0]} but is a page of "
                f"{link.domain}",
            )
        return generic

    def _doubled_letter(self, token: str) -> Brand | None:
        """The brand whose label (four letters or more) this token is with one letter typed
        twice (mayaa, gcassh): a dictionary-word name's typos are other words, but a doubled
        letter keeps the name in sight and makes no word."""
        if len(token) < 5 or token in self.labels:
            return None
        for i in range(len(token) - 1):
            if token[i] == token[i + 1]:
                brand = self.labels.get(token[:i] + token[i + 1 :])
                if brand is not None:
                    return brand
        return None

    def _skeleton_near(self, token: str) -> tuple[Brand, str, int] | None:
        """The brand a word spells with look-alike letters (telegrarn: rn for m), as a near
        miss of the brand's own label."""
        brand = self.skeletons.get(skeleton(token))
        if brand is None or token in brand.labels:
            return None
        return brand, brand.labels[0], 0

    def _digit_lookalike(self, label: str) -> Brand | None:
        """The brand a word of the label spells with digits for letters (amaz0n, 0kx, lun0),
        whatever the other words; never a brand whose own name has those digits (1inch)."""
        if label.isalpha():
            return None
        for token in label.replace("_", "-").split("-"):
            if len(token) < 3 or token.isdigit() or token.isalpha() or not token.isalnum():
                continue
            brand = self.skeletons.get(skeleton(token))
            if brand is None or token in brand.labels or _has_own_digits(token, brand):
                continue
            return brand
        return None

    @staticmethod
    def _odd_letters(uni: str, suffix: str, shown: str) -> Lookalike | None:
        """No brand found, but the letters themselves deceive: scripts mixed in one label, or
        a Latin name with accented letters on a suffix where they are not the local script."""
        found_scripts = scripts(uni)
        if is_mixed_script(uni):
            names = ", ".join(sorted(s.lower() for s in found_scripts))
            return Lookalike(
                "link.lookalike", None, f"{shown} mixes scripts ({names}) in one name"
            )
        top = suffix.rsplit(".", 1)[-1]
        if found_scripts == {"LATIN"} and (len(top) > 2 or top in ("io", "co", "me", "cc")):
            odd = "".join(sorted({ch for ch in uni if not ch.isascii()}))
            return Lookalike(
                "link.idn", None, f"{shown} writes a Latin name with accented letters ({odd})"
            )
        return None

    # --- handles ---------------------------------------------------------------------------

    def handle_lookalike(self, handle: str) -> Lookalike | None:
        """Which brand's official account this Telegram username imitates, if any."""
        if handle in self._handle_cache:
            return self._handle_cache[handle]
        result = self._judge_handle(handle)
        if len(self._handle_cache) > _CACHE_LIMIT:
            self._handle_cache.clear()
        self._handle_cache[handle] = result
        return result

    def _judge_handle(self, handle: str) -> Lookalike | None:
        if handle in self.official_handles:
            return None
        sk = skeleton(handle)
        official = self.handle_skeletons.get(sk)
        if official is not None:
            name, brand = official
            return Lookalike(
                "handle.lookalike",
                brand,
                f"@{handle} imitates the official {brand.name} account @{name}",
            )
        # every Telegram bot's username ends in "bot": the suffix says nothing about whom the
        # account imitates (@SafelloSupport_bot is @SafelloSupport)
        shown = handle
        if handle.endswith("bot") and len(handle) > 6:
            handle = handle[:-3].rstrip("_")
        plain = handle.replace("_", "")
        if len(plain) >= 6:
            for name, brand in self.official_handles.items():
                bare = name.replace("_", "")
                if (
                    len(bare) >= 6
                    and abs(len(bare) - len(plain)) <= 1
                    and OSA.distance(plain, bare, score_cutoff=1) <= 1
                ):
                    return Lookalike(
                        "handle.lookalike",
                        brand,
                        f"@{shown} imitates the official {brand.name} account @{name}",
                    )
        if len(self._handles_automaton):
            for end, (name, brand) in self._handles_automaton.iter(plain):
                start = end - len(name.replace("_", "")) + 1
                rest = plain[:start] + "-" + plain[end + 1 :]
                if self._rest_is_scam_words(rest, self.handle_words):
                    return Lookalike(
                        "handle.lookalike",
                        brand,
                        f"@{shown} imitates the official {brand.name} account @{name}",
                    )
        hit = self._brand_in_label(handle, allow_glued=True, words=self.handle_words)
        if hit is not None and hit.brand is not None and "scam words" in hit.why:
            return Lookalike(
                "handle.lookalike",
                hit.brand,
                f"@{shown} {hit.why} but is not an official {hit.brand.name} account",
            )
        # the brand as one word of the handle and a support / news / official word among the
        # others (@binance_news_vn, @okx_vn_support_247); fan clubs name no such word
        tokens = [t for t in _TOKEN_SPLIT.split(handle) if t]
        if len(tokens) > 2:
            words = [t for t in tokens if t in self.handle_words]
            for token in tokens:
                named = self.labels.get(token)
                # a dictionary-word name counts too when it is a bank's, exchange's or
                # agency's and a support word stands beside it (@bdo_customercare_ph)
                if named is not None and words and (
                    named.policy != "word"
                    or (named.kind in self.registry.service_kinds
                         and self.registry.support_words.intersection(words))
                ):
                    return Lookalike(
                        "handle.lookalike",
                        named,
                        f"@{shown} puts the {named.name} name next to {', '.join(words)} "
                        f"but is not an official {named.name} account",
                    )
        return None
