"""Everything the handlers share, built once at start and kept in `bot_data["services"]`."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import CallbackContext

from bot.core.model import ChatContext
from bot.core.similarity import SampleIndex
from bot.ratelimit import RateLimits
from bot.rulesholder import RulesHolder
from bot.settings import Settings
from bot.storage.common import GLOBAL_SAMPLES
from bot.wiring.admins import AdminCache
from bot.wiring.cas import CasClient
from bot.wiring.langguess import LanguageGuesser
from bot.wiring.metrics import Metrics

if TYPE_CHECKING:
    from bot.linkexpand import LinkExpander
    from bot.storage.models import ChatSettings
    from bot.storage.repository import Repository

log = logging.getLogger(__name__)

SERVICES_KEY = "services"


class ChatContexts:
    """The detector's per-chat context: settings turned into a ChatContext, with the chat's
    known-scam samples indexed once and kept until `invalidate(chat_id)` (a sample was added)."""

    def __init__(self, storage: Repository, max_chats: int = 10_000) -> None:
        self.storage = storage
        self.max_chats = max_chats
        self._samples: OrderedDict[int, SampleIndex | None] = OrderedDict()
        # Counts invalidations: an index read while one happened is used once, not kept.
        self._changes = 0

    def invalidate(self, chat_id: int) -> None:
        """Rebuild the chat's sample index on its next message; every chat's when the
        samples promoted to every group (chat GLOBAL_SAMPLES) changed."""
        self._changes += 1
        if chat_id == GLOBAL_SAMPLES:
            self._samples.clear()
        else:
            self._samples.pop(chat_id, None)

    def forget(self, chat_id: int | None) -> None:
        """Rebuild a chat's (None: every chat's) sample index on its next message."""
        self.invalidate(GLOBAL_SAMPLES if chat_id is None else chat_id)

    async def samples(self, chat_id: int) -> SampleIndex | None:
        if chat_id in self._samples:
            self._samples.move_to_end(chat_id)
            return self._samples[chat_id]
        changes = self._changes
        texts = await self.storage.list_samples(chat_id)
        if chat_id != GLOBAL_SAMPLES:
            texts += await self.storage.list_samples(GLOBAL_SAMPLES)
        index = SampleIndex.from_texts(texts, source=f"chat:{chat_id}") if texts else None
        if changes != self._changes:
            return index
        self._samples[chat_id] = index
        if len(self._samples) > self.max_chats:
            self._samples.popitem(last=False)
        return index

    async def context_for(self, settings: ChatSettings) -> ChatContext:
        """The ChatContext of a chat from its stored settings."""
        return ChatContext(
            sensitivity=settings.sensitivity,
            allow_domains=frozenset(settings.allow_domains),
            allow_handles=frozenset(settings.allow_handles),
            trusted_user_ids=frozenset(settings.trusted_users),
            samples=await self.samples(settings.chat_id),
        )


class ChatSettingsCache:
    """Chat settings kept in memory so a message does not read the database for them.

    `update()` writes through the repository and keeps what it stored; `invalidate()` drops a
    chat. Entries also expire after `ttl` seconds, which bounds how long a change made by
    another process (a second worker, the CLI) goes unseen. At most `max_chats` are kept.
    """

    def __init__(
        self, storage: Repository, *, ttl: float = 300.0, max_chats: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.ttl = ttl
        self.max_chats = max_chats
        self.clock = clock
        self._chats: OrderedDict[int, tuple[ChatSettings, float]] = OrderedDict()
        # Counts invalidations: a read that overlapped one is not kept (it may be stale).
        self._changes = 0

    async def get(self, chat_id: int) -> ChatSettings:
        """The chat's settings, from memory when read less than `ttl` seconds ago."""
        cached = self._chats.get(chat_id)
        now = self.clock()
        if cached is not None and now - cached[1] < self.ttl:
            self._chats.move_to_end(chat_id)
            return cached[0]
        changes = self._changes
        settings = await self.storage.get_chat_settings(chat_id)
        if changes == self._changes:
            self._keep(settings, now)
        return settings

    async def update(self, chat_id: int, actor_id: int | None, **changes: Any) -> ChatSettings:
        """Store `changes` (see `Repository.update_chat_settings`) and keep the result."""
        self.invalidate(chat_id)
        try:
            settings = await self.storage.update_chat_settings(chat_id, actor_id, **changes)
        finally:
            self.invalidate(chat_id)
        self._keep(settings, self.clock())
        return settings

    def invalidate(self, chat_id: int) -> None:
        """Read the chat's settings from the database next time."""
        self._changes += 1
        self._chats.pop(chat_id, None)

    def forget(self, chat_id: int | None) -> None:
        """Drop one chat (None: every chat), changed by another worker."""
        if chat_id is None:
            self._changes += 1
            self._chats.clear()
        else:
            self.invalidate(chat_id)

    def _keep(self, settings: ChatSettings, now: float) -> None:
        self._chats[settings.chat_id] = (settings, now)
        self._chats.move_to_end(settings.chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)


@dataclass
class Services:
    """The bot's dependencies. Handlers reach them with `services_of(context)`.

    Read and change chat settings through `chat_settings` (cached). After adding a chat
    sample call `contexts.invalidate(chat_id)`; after changing a chat's admins call
    `admins.invalidate(chat_id)`.
    """

    settings: Settings
    rules: RulesHolder
    storage: Repository
    admins: AdminCache = field(default_factory=AdminCache)
    limiter: RateLimits = field(default_factory=RateLimits)
    expander: LinkExpander | None = None
    metrics: Metrics = field(default_factory=Metrics)
    warn_interval: float = 60.0
    cas: CasClient = field(default_factory=CasClient)
    # Reputation across groups: a removal scores 1.0, halved every `reputation_half_life`
    # days; a sender at `reputation_threshold` or more is flagged in the other groups.
    reputation_half_life: float = 14.0
    reputation_threshold: float = 0.5
    contexts: ChatContexts = field(init=False)
    chat_settings: ChatSettingsCache = field(init=False)
    languages: LanguageGuesser = field(init=False)
    # Called when another worker queued a warning (set by this worker's outbox sender).
    on_outbox: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.contexts = ChatContexts(self.storage)
        self.chat_settings = ChatSettingsCache(self.storage)
        self.languages = LanguageGuesser(self.rules.texts.languages)

    def on_change(self, kind: str, chat_id: int) -> None:
        """Forget what another worker changed: a chat's settings, samples or admins ("all":
        everything, after the change listener reconnected)."""
        if kind in ("settings", "all"):
            self.chat_settings.forget(None if kind == "all" else chat_id)
        if kind in ("samples", "all"):
            self.contexts.forget(None if kind == "all" else chat_id)
        if kind in ("admins", "all"):
            self.admins.forget(None if kind == "all" else chat_id)

    def outbox_woken(self) -> None:
        if self.on_outbox is not None:
            self.on_outbox()

    async def close(self) -> None:
        """Close the database and the CAS client."""
        await self.cas.close()
        await self.storage.close()


def services_of(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The Services of the application that runs this callback."""
    services = context.application.bot_data.get(SERVICES_KEY)
    if not isinstance(services, Services):
        raise RuntimeError("the application was not built with build_application()")
    return services


async def build_services(settings: Settings, *, rules: RulesHolder | None = None) -> Services:
    """Open the database, load the rules (unless given) and build the link expander the
    settings ask for."""
    from bot.storage import PostgresStorage, open_storage

    rules = rules or RulesHolder(settings.rules_dir, lists_dir=settings.lists_dir)
    for warning in rules.detector.rules.warnings:
        log.error("the learned layer is not loaded, the rules work alone: %s", warning)
    storage = await open_storage(settings.database)
    expander = None
    if settings.expand_links:
        from bot.linkexpand import LinkExpander

        expander = LinkExpander(timeout=settings.link_timeout)
    services = Services(settings=settings, rules=rules, storage=storage, expander=expander)
    if isinstance(storage, PostgresStorage):
        # Several workers share the database: hear of what the others change, and tell
        # them when this one learns that a chat's admins changed.
        await storage.listen(services.on_change, on_outbox=services.outbox_woken)
        services.admins.on_invalidate = storage.announce("admins")
        services.admins.shared = storage
    return services
