"""Who administers a group: a cache of `getChatAdministrators` and `getChatMember` answers,
invalidated when admins change. Anonymous admins post as the chat itself."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberOwner, Message, User
from telegram.error import TelegramError

from bot.core.model import Person
from bot.errors import ScamguardError
from bot.policy import BotRights

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def person_from_user(user: User) -> Person:
    """The core's Person for a Telegram user."""
    return Person(name=user.full_name, username=user.username or "", id=user.id)


def rights_of(member: ChatMember) -> BotRights:
    """The moderation rights a chat member holds."""
    if isinstance(member, ChatMemberOwner):
        return BotRights.all()
    if isinstance(member, ChatMemberAdministrator):
        return BotRights(bool(member.can_delete_messages), bool(member.can_restrict_members))
    return BotRights()


class SharedAdmins(Protocol):
    """Where workers sharing a database keep each chat's admin list (PostgresStorage)."""

    async def load_admins(self, chat_id: int) -> tuple[dict[str, Any], float] | None: ...

    async def save_admins(self, chat_id: int, admins: Mapping[str, Any]) -> None: ...


@dataclass
class _Entry:
    admins: tuple[Person, ...]
    ids: frozenset[int]
    bot_rights: BotRights
    at: float
    known: bool = True  # False while getChatAdministrators fails: the admins are unknown


class AdminCache:
    """Cached admins and bot rights per chat; `ttl` seconds, or until `invalidate(chat_id)`."""

    def __init__(
        self, ttl: float = 600.0, error_ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.error_ttl = error_ttl
        self.clock = clock
        self._chats: dict[int, _Entry] = {}
        self._members: dict[tuple[int, int], tuple[bool, float]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._linked: dict[int, tuple[int | None, float]] = {}
        # Tells other workers sharing the database (set by build_services).
        self.on_invalidate: Callable[[int], asyncio.Future[None]] | None = None
        # Admin lists shared with those workers: one getChatAdministrators per chat for all.
        self.shared: SharedAdmins | None = None
        self._dropping: dict[int, asyncio.Future[None]] = {}

    def invalidate(self, chat_id: int) -> None:
        """Forget what is known about a chat's admins (they changed), here and in every
        other worker."""
        self.forget(chat_id)
        if self.on_invalidate is not None:
            # The shared copy is dropped in the background: read it only once that is done.
            self._dropping[chat_id] = self.on_invalidate(chat_id)

    def forget(self, chat_id: int | None) -> None:
        """Forget one chat's admins (None: every chat's) in this process only."""
        if chat_id is None:
            self._chats.clear()
            self._linked.clear()
            self._members.clear()
            return
        self._chats.pop(chat_id, None)
        self._linked.pop(chat_id, None)
        for key in [k for k in self._members if k[0] == chat_id]:
            del self._members[key]

    async def _entry(self, bot: Bot, chat_id: int) -> _Entry:
        entry = self._chats.get(chat_id)
        if entry is not None and self.clock() - entry.at < self.ttl:
            return entry
        # One getChatAdministrators per chat at a time: a burst waits for the first answer.
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            entry = self._chats.get(chat_id)
            if entry is not None and self.clock() - entry.at < self.ttl:
                return entry
            entry = await self._fetch(bot, chat_id)
        if not lock.locked():
            self._locks.pop(chat_id, None)
        return entry

    async def _fetch(self, bot: Bot, chat_id: int) -> _Entry:
        shared = await self._load_shared(chat_id)
        if shared is not None:
            return shared
        now = self.clock()
        try:
            members = await bot.get_chat_administrators(chat_id)
        except TelegramError as exc:
            log.warning("getChatAdministrators failed for chat %s: %s", chat_id, exc)
            # Remember the failure briefly so a burst does not repeat the call per message;
            # rights are unknown, so actions are tried and a refusal is handled where it comes.
            entry = _Entry((), frozenset(), BotRights.all(), now - self.ttl + self.error_ttl,
                           known=False)
            self._chats[chat_id] = entry
            return entry
        humans = [m.user for m in members if not m.user.is_bot]
        bot_rights = BotRights()
        for member in members:
            if member.user.id == bot.id:
                bot_rights = rights_of(member)
        entry = _Entry(
            tuple(person_from_user(u) for u in humans),
            frozenset(u.id for u in humans),
            bot_rights,
            now,
        )
        self._chats[chat_id] = entry
        await self._save_shared(chat_id, entry)
        return entry

    async def _load_shared(self, chat_id: int) -> _Entry | None:
        """The admin list another worker fetched less than `ttl` ago, or None."""
        if self.shared is None:
            return None
        dropping = self._dropping.pop(chat_id, None)
        if dropping is not None:
            await asyncio.wait([dropping], timeout=5.0)
        try:
            found = await self.shared.load_admins(chat_id)
        except ScamguardError as exc:
            log.warning("shared admin list of chat %s unreadable: %s", chat_id, exc)
            return None
        if found is None or found[1] >= self.ttl:
            return None
        data, age = found
        try:
            admins = tuple(Person(str(p["name"]), str(p["username"]), int(p["id"]))
                           for p in data["admins"])
            rights = BotRights(bool(data["can_delete"]), bool(data["can_restrict"]))
        except (KeyError, TypeError, ValueError):
            return None
        entry = _Entry(admins, frozenset(p.id for p in admins if p.id is not None), rights,
                       self.clock() - age)
        self._chats[chat_id] = entry
        return entry

    async def _save_shared(self, chat_id: int, entry: _Entry) -> None:
        if self.shared is None:
            return
        data = {"admins": [{"name": p.name, "username": p.username, "id": p.id}
                           for p in entry.admins],
                "can_delete": entry.bot_rights.can_delete,
                "can_restrict": entry.bot_rights.can_restrict}
        try:
            await self.shared.save_admins(chat_id, data)
        except ScamguardError as exc:
            log.warning("admin list of chat %s not shared: %s", chat_id, exc)

    async def get_admins(self, bot: Bot, chat_id: int) -> tuple[Person, ...]:
        """The chat's human administrators (cached getChatAdministrators)."""
        return (await self._entry(bot, chat_id)).admins

    async def admin_ids(self, bot: Bot, chat_id: int) -> frozenset[int]:
        """The ids of the chat's human administrators (empty while they are unknown)."""
        return (await self._entry(bot, chat_id)).ids

    async def admins_known(self, bot: Bot, chat_id: int) -> bool:
        """Whether the chat's admin list is known (False while getChatAdministrators fails)."""
        return (await self._entry(bot, chat_id)).known

    async def bot_rights(self, bot: Bot, chat_id: int) -> BotRights:
        """What the bot itself may do in the chat (no rights when it is not an admin)."""
        return (await self._entry(bot, chat_id)).bot_rights

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Whether the user administers the chat (cached getChatMember; False on errors)."""
        return bool(await self.admin_status(bot, chat_id, user_id))

    async def admin_status(self, bot: Bot, chat_id: int, user_id: int) -> bool | None:
        """Whether the user administers the chat: the cached admin list when it is known,
        else a cached getChatMember; None when Telegram cannot tell."""
        entry = self._chats.get(chat_id)
        now = self.clock()
        if entry is not None and now - entry.at < self.ttl and entry.known:
            return user_id in entry.ids
        cached = self._members.get((chat_id, user_id))
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning("getChatMember failed for chat %s: %s", chat_id, exc)
            return None
        result = member.status in ADMIN_STATUSES
        self._members[(chat_id, user_id)] = (result, now)
        return result

    async def is_own_channel(self, bot: Bot, chat_id: int, channel_id: int) -> bool:
        """Whether `channel_id` is the channel linked to the discussion group `chat_id`
        (cached getChat). True when Telegram cannot tell: never punish a channel blindly."""
        now = self.clock()
        cached = self._linked.get(chat_id)
        if cached is None or now - cached[1] >= self.ttl:
            try:
                info = await bot.get_chat(chat_id)
            except TelegramError as exc:
                log.warning("getChat failed for chat %s: %s", chat_id, exc)
                return True
            cached = (info.linked_chat_id, now)
            self._linked[chat_id] = cached
        return cached[0] == channel_id

    async def is_admin_message(self, bot: Bot, message: Message) -> bool:
        """Whether a message was sent by an admin of its chat, anonymous admins included."""
        if message.sender_chat is not None:
            return message.sender_chat.id == message.chat.id
        if message.from_user is None:
            return False
        return await self.is_admin(bot, message.chat.id, message.from_user.id)
