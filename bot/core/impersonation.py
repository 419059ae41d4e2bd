"""Impersonation of a chat's admins and of brands' support by a sender or a forward origin.

A name is reduced to a *core*: its skeleton (`bot.core.normalize.skeleton`), diacritics
removed, split into words, with claim words ("support", "admin", "客服", "kundtjänst"...) and
surrounding digits taken off. Cores are compared with an edit distance that counts swapped
letters as one edit (rapidfuzz OSA), so "Аlice Support", "alice_admin", "alcie" and "alice2"
all reduce to something within reach of the admin "alice". What a name reduces to is cached,
as are the admins' cores, so a message costs a few dictionary lookups.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from bot.core.links.brands import Brand
from bot.core.model import ChatContext, ForwardOrigin, Hit, Person, Severity
from bot.core.normalize import skeleton

if TYPE_CHECKING:
    from bot.core.model import Message

ADMIN_RULE = "impersonation.admin"
BRAND_RULE = "impersonation.brand-support"
GENERIC_RULE = "impersonation.support-name"
OFFER_RULE = "impersonation.offers-help"
# Concepts of the phrase lexicon (every language) that make an impostor's message an offer:
# "DM me" / "message me" (contact + me), "I'm staff / support here", "I can fix it for you".
# The lexicon is rule data, so a new language brings its own words for these.
OFFER_PAIRS = (("contact", "me"),)
OFFER_SINGLES = ("support_claim", "support_self", "resolve_offer", "en_via_dm")
CATEGORY = "fake_support"
GROUP_TYPES = frozenset({"group", "supergroup"})
# Brand policies (see bot.core.links.brands) under which a name may also be a typo of the
# brand; under the others ("word", "exact") only the exact name or alias counts.
FUZZY_POLICIES = frozenset({"fuzzy", "contains"})

# Words that claim a role. ROLE_WORDS alone make a name pose as support ("Support",
# "客服"); SIDE_WORDS only decorate ("Alice Team", "Binance Care"). Several words in one entry
# are a phrase. Written as people type them; they go through the same folding as names.
ROLE_WORDS: tuple[str, ...] = (
    # en
    "support", "supports", "admin", "admins", "administrator", "administration", "official",
    "officials", "helpdesk", "help desk", "help center", "help centre", "cs",
    "customer service", "customer support", "customer care", "mod", "mods", "moderator",
    "moderators", "live chat", "livechat", "support team", "admin team",
    # vi
    "hỗ trợ", "hỗ trợ khách hàng", "chăm sóc khách hàng", "cskh", "quản trị", "quản trị viên",
    "chính thức", "tổng đài",
    # id
    "dukungan", "bantuan", "pusat bantuan", "layanan pelanggan", "resmi", "pengurus",
    # zh
    "客服", "官方", "管理员", "客户服务", "技术支持", "在线客服", "人工客服", "服务中心",
    "客服中心", "官方客服",
    # th
    "ฝ่ายบริการ", "ฝ่ายบริการลูกค้า", "บริการลูกค้า", "ผู้ดูแล", "ผู้ดูแลระบบ", "แอดมิน",
    "ทางการ", "ฝ่ายสนับสนุน", "ศูนย์ช่วยเหลือ", "คอลเซ็นเตอร์",
    # ms
    "sokongan", "khidmat pelanggan", "perkhidmatan pelanggan", "pentadbir", "rasmi",
    # tl
    "suporta", "tagapangasiwa", "opisyal", "serbisyo sa customer",
    # sv
    "kundtjänst", "kundservice", "kundsupport", "supporten", "officiell", "officiella",
    "administratör", "moderatorn",
)  # fmt: skip
SIDE_WORDS: tuple[str, ...] = (
    "team", "help", "desk", "customer", "customers", "service", "services", "care", "staff",
    "agent", "agents", "center", "centre", "assistant", "assistance", "manager", "verified",
    "real", "original", "genuine", "bot",
    "security", "khách hàng", "dịch vụ", "trung tâm", "nhân viên", "đội ngũ", "layanan",
    "pelanggan", "支持", "管理", "团队", "ช่วยเหลือ", "ทีมงาน", "pasukan", "khidmat", "tulong",
    "serbisyo", "hjälp", "teamet",
)  # fmt: skip

# Small words left out of a name's core without being a claim ("Alice from Support").
FILLER_WORDS = ("the", "from", "of", "at", "by", "dari", "từ", "của", "från", "ng", "sa", "mula")
_WORD = re.compile(r"[^\W_]+")
_DIGITS_EDGE = re.compile(r"^\d+|\d+$")
_LEET = str.maketrans("0134578", "oieastb")
_NON_SPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# The longest claim phrase in words; the shortest Latin word taken off a token's edge, and
# the shortest rest it may leave ("steam" is not "s" + "team").
_MAX_PHRASE = 4
_MIN_AFFIX = 4
_MIN_REST = 3


def _fold(text: str) -> str:
    """Skeleton of a name with diacritics and tone marks removed."""
    decomposed = unicodedata.normalize("NFD", skeleton(text))
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", bare).replace("đ", "d")


def _plain(text: str) -> str:
    """Case-folded letters and digits only, before any look-alike folding."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def _claim_tables() -> tuple[
    dict[tuple[str, ...], bool], dict[str, bool], tuple[tuple[str, bool], ...]
]:
    """Claim phrases as word tuples; words taken off the edges of a Latin token; words
    taken out of a Chinese / Thai run. Each with whether it is a
    role word."""
    phrases: dict[tuple[str, ...], bool] = {}
    edges: dict[str, bool] = {}
    inner: dict[str, bool] = {}
    for entries, role in ((SIDE_WORDS, False), (ROLE_WORDS, True)):
        for entry in entries:
            words = tuple(_WORD.findall(_fold(entry)))
            if not words:
                continue
            phrases[words] = role
            joined = "".join(words)
            if _NON_SPACED.search(joined):
                inner[joined] = role
            elif len(joined) >= _MIN_AFFIX:
                edges[joined] = role
    return phrases, edges, tuple(sorted(inner.items(), key=lambda kv: -len(kv[0])))


_PHRASES, _EDGES, _INNER = _claim_tables()
_FILLERS = frozenset(_fold(w) for w in FILLER_WORDS)
# A claim word at the start of a token, and (on the reversed token) at its end; longest first.
_HEAD = re.compile("|".join(re.escape(w) for w in sorted(_EDGES, key=len, reverse=True)))
_TAIL = re.compile("|".join(re.escape(w[::-1]) for w in sorted(_EDGES, key=len, reverse=True)))


@dataclass(frozen=True, slots=True)
class Name:
    """A display name or username reduced for comparison: `tokens` are its core words and
    `core` them joined; `claim` says a claim word was taken off, `role` that one of them was
    a role word, `digits` that digits were."""

    plain: str
    tokens: tuple[str, ...]
    claim: bool
    role: bool
    digits: bool
    core: str = ""


def _strip_token(token: str) -> tuple[str, bool, bool]:
    """Takes claim words off the edges of a token ("binancesupport"), and out of a Chinese
    or Thai run ("币安客服"); returns what is left, whether a claim and a role word went."""
    claim = role = False
    if _NON_SPACED.search(token):
        for word, is_role in _INNER:
            if word in token and len(token) > len(word):
                token = token.replace(word, "")
                claim, role = True, role or is_role
    changed = True
    while changed and token:
        whole = _PHRASES.get((token,))
        if whole is not None:
            return "", True, role or whole
        changed = False
        tail = _TAIL.match(token[::-1])
        if tail is not None and len(token) >= tail.end() + _MIN_REST:
            word = token[-tail.end() :]
            token = token[: -tail.end()]
        else:
            head = _HEAD.match(token)
            if head is None or len(token) < head.end() + _MIN_REST:
                continue
            word = token[: head.end()]
            token = token[head.end() :]
        claim, role, changed = True, role or _EDGES[word], True
    return token, claim, role


@lru_cache(maxsize=16_384)
def parse_name(text: str) -> Name:
    """Reduces a display name or a username to its core words and what was added to them."""
    words = _WORD.findall(_fold(text))[:12]
    claim = role = digits = False
    kept: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            is_role = _PHRASES.get(tuple(words[i : i + size]))
            if is_role is not None:
                claim, role = True, role or is_role
                i += size
                break
        else:
            word = words[i]
            i += 1
            if word in _FILLERS:
                continue
            bare = _DIGITS_EDGE.sub("", word)
            if bare != word:
                digits = True
            if not bare:
                continue
            bare, stripped, stripped_role = _strip_token(bare.translate(_LEET))
            claim, role = claim or stripped, role or stripped_role
            if bare:
                kept.append(bare)
    return Name(_plain(text), tuple(kept), claim, role, digits, "".join(kept))


def _keyable(core: str) -> bool:
    """Whether a core says enough to compare: three letters, or two Chinese characters."""
    return len(core) >= 3 or (len(core) == 2 and bool(_NON_SPACED.search(core)))


def _limit(length: int) -> int:
    """Edits tolerated between a decorated name's core and an admin's of this length."""
    if length < 4:
        return 0
    return 1 if length < 10 else 2


def _slip(cand: str, key: str) -> bool:
    """One slip that keeps a name's look: two neighbouring letters swapped, or one letter
    added or dropped, never the first ("Jonh", "Allice"; not "Tuan" for "Juan")."""
    if not cand or cand[0] != key[0] or abs(len(cand) - len(key)) > 1:
        return False
    if len(cand) != len(key):
        return Indel.distance(cand, key, score_cutoff=1) <= 1
    diff = [i for i, (a, b) in enumerate(zip(cand, key, strict=True)) if a != b]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and cand[diff[0]] == key[diff[1]]
        and cand[diff[1]] == key[diff[0]]
    )


def _distinctive(name: Name) -> bool:
    """A full name or a long nickname, not something many people share ("Linh", "Somchai")."""
    return len(name.tokens) > 1 or len(name.core) >= 8


@dataclass(frozen=True, slots=True)
class _Admin:
    label: str
    id: int | None
    username: str
    name: Name
    user: Name


def _label(person: Person) -> str:
    name = person.name.strip() or person.username
    return f"{name} (@{person.username})" if person.username else name


@dataclass(frozen=True, slots=True)
class _AdminSet:
    """A chat's admins prepared for lookups: exclusions and the cores of their names and
    usernames, in the admins' order."""

    admins: tuple[_Admin, ...]
    ids: frozenset[int]
    usernames: frozenset[str]
    by_length: dict[int, tuple[tuple[str, int], ...]]

    def near(self, core: str) -> list[_Admin]:
        """Admins whose name or username core is within two edits of `core`, in order
        (`_imitates` then decides)."""
        size = len(core)
        if not _keyable(core):
            return []
        found: set[int] = set()
        by_length = self.by_length
        for length in range(size - 2, size + 3):
            for key, i in by_length.get(length, ()):
                if OSA.distance(core, key, score_cutoff=2) <= 2:
                    found.add(i)
        return [self.admins[i] for i in sorted(found)] if found else []


@lru_cache(maxsize=1024)
def _admin_set(admins: tuple[Person, ...]) -> _AdminSet:
    prepared = tuple(
        _Admin(
            label=_label(a),
            id=a.id,
            username=a.username.casefold(),
            name=parse_name(a.name),
            user=parse_name(a.username),
        )
        for a in admins
    )
    by_length: dict[int, list[tuple[str, int]]] = {}
    for i, admin in enumerate(prepared):
        for key in {admin.name.core, admin.user.core}:
            if _keyable(key):
                by_length.setdefault(len(key), []).append((key, i))
    return _AdminSet(
        admins=prepared,
        ids=frozenset(a.id for a in admins if a.id is not None),
        usernames=frozenset(a.username for a in prepared if a.username),
        by_length={k: tuple(v) for k, v in by_length.items()},
    )


def _near_key(cand: str, key: str) -> bool:
    limit = _limit(len(key))
    return cand == key or (limit > 0 and OSA.distance(cand, key, score_cutoff=limit) <= limit)


def _imitates(cand: Name, cand_is_user: bool, admin: _Admin, distinct: bool) -> bool:
    """Whether one field of a candidate (display name or username) imitates an admin."""
    own, other = (admin.user, admin.name) if cand_is_user else (admin.name, admin.user)
    core, key = cand.core, own.core
    if core and own.tokens and _keyable(key):
        if core == key:
            if cand.claim:
                return True
            if cand.digits:
                # "linh24" next to @linh is a first name with digits, not an imitation.
                return _distinctive(own)
            # Same letters: another username (usernames are unique: "a_lice"), look-alike
            # letters, or a distinct account copying a full name.
            if cand_is_user or cand.plain != own.plain:
                return True
            return distinct and _distinctive(own)
        if cand.claim and _near_key(core, key):
            return True
        if len(key) >= 6 and len(cand.tokens) == len(own.tokens) and _slip(core, key):
            return True
    # Crossed fields ("Alice Support" against @alice) only with an added claim word.
    return (
        cand.claim
        and bool(core)
        and bool(other.tokens)
        and _keyable(other.core)
        and _near_key(core, other.core)
    )


class ImpersonationCheck:
    """`check(message, context)`: hits for a sender or forward origin that imitates one of the
    chat's admins, a brand's support, or poses as a generic "Support" account."""

    def __init__(
        self, brands: Sequence[Brand], concept_ids: Callable[[str], int | None] | None = None
    ) -> None:
        self.brands = tuple(brands)
        ids = concept_ids or (lambda _name: None)
        self._offer_pairs = tuple(
            (a, b) for a, b in ((ids(x), ids(y)) for x, y in OFFER_PAIRS)
            if a is not None and b is not None
        )
        self._offer_singles = frozenset(
            i for i in (ids(name) for name in OFFER_SINGLES) if i is not None
        )
        self._exact: dict[str, Brand] = {}
        self._fuzzy: dict[str, Brand] = {}
        self._handles: dict[str, frozenset[str]] = {}
        for brand in self.brands:
            self._handles[brand.id] = frozenset(h.lstrip("@").casefold() for h in brand.handles)
            for text in (brand.name, *brand.aliases):
                key = parse_name(text).core
                if not _keyable(key):
                    continue
                self._exact.setdefault(key, brand)
                if brand.policy in FUZZY_POLICIES and len(key) >= 5:
                    self._fuzzy.setdefault(key, brand)
        self._fuzzy_keys = tuple(self._fuzzy)
        self._brand_cache: dict[Name, Brand | None] = {}
        self._admin_sets: dict[int, tuple[Sequence[Person], _AdminSet]] = {}

    def __call__(self, message: Message, context: ChatContext) -> Iterable[Hit]:
        request = message.request
        chat = request.chat
        admins = chat.admins if chat else ()
        in_group = chat is not None and chat.type in GROUP_TYPES
        hits: list[Hit] = []
        # In a private chat the sender is the person asking the bot, not a suspect.
        if request.sender is not None and (chat is None or chat.type != "private"):
            found = self.screen(request.sender, admins, context, in_group, "")
            hits.extend(found)
            if found and not message.framed and self._offers_help(message):
                hits.append(Hit(OFFER_RULE, CATEGORY, Severity.CRITICAL, (
                    "poses as an admin or support and offers help or asks you to write "
                    "to them privately")))
        origin = request.forward_from
        if origin is not None and origin.type != "chat":
            hits.extend(self.screen(origin, admins, context, True, "forwarded from "))
        return hits

    def screen(
        self,
        who: Person | ForwardOrigin,
        admins: Sequence[Person],
        context: ChatContext,
        generic: bool = True,
        prefix: str = "",
    ) -> tuple[Hit, ...]:
        """Hits for one account; `generic` also flags a bare "Support"-like name."""
        username = who.username.casefold()
        if (who.id is not None and who.id in context.trusted_user_ids) or (
            username and username in context.allow_handles
        ):
            return ()
        known = self._admin_set(admins)
        if (who.id is not None and who.id in known.ids) or (
            username and username in known.usernames
        ):
            return ()
        name = parse_name(who.name) if who.name else None
        user = parse_name(who.username) if who.username else None
        distinct = who.id is not None or bool(who.username)
        for field, is_user in ((name, False), (user, True)):
            if field is None:
                continue
            for admin in known.near(field.core):
                if _imitates(field, is_user, admin, distinct):
                    shown = f"username @{who.username}" if is_user else f'"{who.name}"'
                    what = "display name " if not prefix and not is_user else prefix
                    reason = f"{what}{shown} imitates admin {admin.label}"
                    return (Hit(ADMIN_RULE, CATEGORY, Severity.HIGH, reason),)
        for field in (name, user):
            if field is None or not field.claim:
                continue
            brand = self._brand(field)
            if brand is not None and username not in self._handles[brand.id]:
                return (Hit(BRAND_RULE, CATEGORY, Severity.HIGH, _brand_reason(brand)),)
        if generic:
            for field, is_user in ((name, False), (user, True)):
                if field is not None and field.role and not field.tokens:
                    shown = f"@{who.username}" if is_user else f'"{who.name}"'
                    reason = f"{prefix or 'the name '}{shown} poses as support but is not an admin"
                    return (Hit(GENERIC_RULE, CATEGORY, Severity.MEDIUM, reason),)
        return ()

    def _offers_help(self, message: Message) -> bool:
        """Whether the text offers help, claims a staff role or pulls the reader into a
        private chat (the lexicon's concepts, in any language)."""
        scan = message.scan
        found = getattr(scan, "by_concept", None)
        if not found:
            return False
        if any(concept in found for concept in self._offer_singles):
            return True
        return any(a in found and b in found for a, b in self._offer_pairs)

    def _admin_set(self, admins: Sequence[Person]) -> _AdminSet:
        """The prepared admins; the same admins object (a chat's cached list) is found by
        identity, without hashing every admin again."""
        entry = self._admin_sets.get(id(admins))
        if entry is not None and entry[0] is admins:
            return entry[1]
        prepared = _admin_set(tuple(admins))
        if len(self._admin_sets) >= 256:
            self._admin_sets.clear()
        self._admin_sets[id(admins)] = (admins, prepared)
        return prepared

    def _brand(self, name: Name) -> Brand | None:
        """The brand whose name or alias is among the name's core words, if any."""
        if name in self._brand_cache:
            return self._brand_cache[name]
        found: Brand | None = None
        tokens = name.tokens
        spans = [
            "".join(tokens[i : i + size])
            for size in (3, 2, 1)
            for i in range(len(tokens) - size + 1)
        ]
        for span in spans:
            if span in self._exact:
                found = self._exact[span]
                break
        if found is None and self._fuzzy_keys:
            for span in spans:
                if len(span) < 4:
                    continue
                limit = 1 if len(span) < 10 else 2
                best = process.extractOne(
                    span, self._fuzzy_keys, scorer=OSA.distance, score_cutoff=limit
                )
                if best is not None and len(best[0]) >= 5:
                    found = self._fuzzy[best[0]]
                    break
        if len(self._brand_cache) > 8192:
            self._brand_cache.clear()
        self._brand_cache[name] = found
        return found


def _brand_reason(brand: Brand) -> str:
    handles = ", ".join(f"@{h.lstrip('@')}" for h in brand.handles)
    if handles:
        return (
            f"the name claims to be {brand.name} support, but {brand.name}'s official "
            f"accounts are {handles}"
        )
    return f"the name claims to be {brand.name} support, but it is not an official account"


_CHECKERS: dict[int, tuple[Sequence[Brand], ImpersonationCheck]] = {}


def _checker(brands: Sequence[Brand]) -> ImpersonationCheck:
    """One prepared check per brand registry, found by identity (a rule set's tuple)."""
    entry = _CHECKERS.get(id(brands))
    if entry is not None and entry[0] is brands:
        return entry[1]
    check = ImpersonationCheck(brands)
    if len(_CHECKERS) >= 4:
        _CHECKERS.clear()
    _CHECKERS[id(brands)] = (brands, check)
    return check


def screen_person(
    person: Person,
    admins: Sequence[Person],
    brands: Sequence[Brand],
    trusted_ids: frozenset[int] = frozenset(),
) -> tuple[Hit, ...]:
    """Join screening: hits for a person whose name imitates an admin or a brand's support,
    or is a bare "Support" / "Admin" name (the person is joining a group)."""
    context = ChatContext(trusted_user_ids=frozenset(trusted_ids))
    return _checker(brands).screen(person, admins, context, generic=True)
