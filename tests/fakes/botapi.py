"""A fake Telegram Bot API: the state and answers of one bot, independent of transport.

`FakeBotApi.handle(method, params)` answers as Telegram does: `{"ok": true, "result": ...}`
on success, `{"ok": false, "error_code": ..., "description": ...}` with the HTTP status on
failure (400 for bad requests and missing rights, 403 when a user blocked the bot, 429 with
`parameters.retry_after`, 5xx). It serves `getUpdates` from a queue that tests fill with raw
Bot API update JSON and records every call, so tests assert on what the bot sent.

Two transports share it: `FakeBotServer` (aiohttp on 127.0.0.1, a random port, real HTTP) and
`FakeRequest` (an in-process `telegram.request.BaseRequest`, fast handler tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

TOKEN = "123456789:TESTtokenTESTtokenTESTtokenTESTtoken00"
BOT_ID = 123456789
BOT_USERNAME = "scamguard_test_bot"

# Parameters that are strings even when they look like JSON ("123", "true").
STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "url", "secret_token",
        "description", "short_description", "name", "title", "query", "emoji", "language_code",
        "inline_message_id", "custom_title", "file_id", "ip_address", "business_connection_id",
    }
)

ALL_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}

# Methods that only acknowledge: they answer `true` and change nothing the fake tracks.
ACKNOWLEDGED = frozenset(
    {
        "answerCallbackQuery", "deleteMyCommands", "setChatMenuButton", "setMyName",
        "leaveChat", "sendChatAction",
        "pinChatMessage", "unpinChatMessage", "setMessageReaction", "close", "logOut",
        "approveChatJoinRequest", "declineChatJoinRequest", "setChatPermissions",
    }
)


@dataclass(frozen=True)
class Call:
    """One request the bot made: the method, its decoded parameters and any uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = 0.0


@dataclass
class Fault:
    """An answer to force on the next `times` calls of `method` that match `when`."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None
    delay: float = 0.0
    gate: asyncio.Event | None = None


def user_json(user_id: int, first_name: str = "", username: str = "", **extra: Any) -> dict:
    """A Bot API User object."""
    out: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name or "User"}
    if username:
        out["username"] = username
    out.update(extra)
    return out


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode form or query values the way PTB encodes them (JSON for non-strings)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) and key not in STRING_PARAMS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        else:
            out[key] = value
    return out


class FakeBotApi:
    """The Bot API of one fake bot: answers, chat state, queued updates and recorded calls."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.me = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Scamguard",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }
        self._calls: list[Call] = []
        self._changed = asyncio.Event()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._updates_ready = asyncio.Event()
        self._message_ids = itertools.count(10_000)
        self._faults: list[Fault] = []
        self.confirmed_offset = 0
        self.chats: dict[int, dict[str, Any]] = {}
        self.admins: dict[int, list[dict[str, Any]]] = {}
        self.bot_rights: dict[int, dict[str, bool] | None] = {}
        self.blocked: dict[int, str] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.restricted: dict[tuple[int, int], dict[str, Any]] = {}
        self.banned: set[tuple[int, int]] = set()
        self.banned_channels: set[tuple[int, int]] = set()
        self.linked: dict[int, int] = {}
        self.webhook: dict[str, Any] = {}
        self.poll_wait = 0.5
        self._chaos: tuple[float, random.Random, float, frozenset[str]] | None = None
        self.injected: list[tuple[str, str]] = []
        # The bot's profile as set: menus by (scope type, language code or ""), descriptions
        # and short descriptions by language code ("" for the default).
        self.menus: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}

    # ---- what tests set up ----------------------------------------------------------------

    def add_update(self, raw: dict[str, Any]) -> int:
        """Queue one raw update for getUpdates; assigns `update_id` when missing."""
        update = dict(raw)
        update.setdefault("update_id", next(self._update_ids))
        for chat in _chats_in(update):
            self.chats.setdefault(chat["id"], chat)
        self._updates.append(update)
        self._updates_ready.set()
        return int(update["update_id"])

    def set_admins(
        self, chat_id: int, users: Iterable[dict[str, Any]], *, owner: int | None = None
    ) -> None:
        """Declare the human admins of a chat (Bot API User objects); `owner` is the creator."""
        members = []
        for user in users:
            if user["id"] == owner:
                members.append({"status": "creator", "user": user, "is_anonymous": False})
            else:
                members.append(
                    {"status": "administrator", "user": user, "can_be_edited": False,
                     "is_anonymous": False, **ALL_RIGHTS}
                )
        self.admins[chat_id] = members

    def set_bot_rights(self, chat_id: int, **rights: bool) -> None:
        """Make the bot an admin of the chat with these rights changed from ALL_RIGHTS."""
        self.bot_rights[chat_id] = {**ALL_RIGHTS, **rights}

    def link_channel(self, chat_id: int, channel_id: int) -> None:
        """Make `chat_id` the discussion group of the channel `channel_id` (getChat's
        `linked_chat_id`)."""
        self.linked[chat_id] = channel_id

    def make_bot_member(self, chat_id: int) -> None:
        """The bot is a plain member of the chat: no rights at all."""
        self.bot_rights[chat_id] = None

    def block(self, user_id: int, reason: str = "bot was blocked by the user") -> None:
        """Private messages to this user fail with 403 Forbidden and this reason."""
        self.blocked[user_id] = reason

    def fail(
        self,
        method: str,
        status: int = 400,
        description: str = "Bad Request",
        *,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` matching calls of `method` with this error."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if status == 429 and description == "Bad Request":
            description = f"Too Many Requests: retry after {retry_after}"
        self._faults.append(Fault(method, status, description, retry_after, times, when))

    def chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        timeout_delay: float = 2.0,
        spare: frozenset[str] = frozenset({"getMe", "getUpdates", "setWebhook"}),
    ) -> None:
        """Answer a share `rate` of calls (except `spare` methods) with a random fault: 502,
        429 (retry_after 1) or an answer slower than `timeout_delay` seconds."""
        self._chaos = (rate, random.Random(seed), timeout_delay, spare)

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` only after `seconds`."""
        self._faults.append(Fault(method, 200, "", None, times, None, seconds))

    def hold(self, method: str, *, times: int = 1) -> asyncio.Event:
        """Answer the next `times` calls of `method` only once the returned event is set."""
        gate = asyncio.Event()
        self._faults.append(Fault(method, 200, "", None, times, None, 0.0, gate))
        return gate

    # ---- what tests inspect -----------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded call, or those of one method, in order."""
        return [c for c in self._calls if method is None or c.method == method]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of every sendMessage, optionally to one chat."""
        return [
            str(c.params.get("text", ""))
            for c in self.calls("sendMessage")
            if chat_id is None or c.params.get("chat_id") == chat_id
        ]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[Call]:
        """Wait until at least `count` calls of `method` were made; return them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.calls(method)) < count:
            remaining = deadline - loop.time()
            if remaining <= 0:
                made = [c.method for c in self._calls]
                raise AssertionError(f"expected {count} x {method}; calls so far: {made}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue
        return self.calls(method)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates the bot has not confirmed (by a later getUpdates offset)."""
        return [u for u in self._updates if u["update_id"] >= self.confirmed_offset]

    # ---- the API ------------------------------------------------------------------------------

    async def handle(
        self, method: str, params: dict[str, Any], files: dict[str, bytes] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Answer one call: (HTTP status, JSON body)."""
        self._calls.append(Call(method, params, files or {}, time.monotonic()))
        self._changed.set()
        fault = self._take_fault(method, params) or self._chaos_fault(method)
        if fault is not None:
            if fault.gate is not None:
                await fault.gate.wait()
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.status != 200:
                return _error(fault.status, fault.description, fault.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is not None:
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            return result  # type: ignore[no-any-return]
        if method in ACKNOWLEDGED:
            return _ok(True)
        return _error(404, "Not Found: method not found")

    def _chaos_fault(self, method: str) -> Fault | None:
        if self._chaos is None:
            return None
        rate, rng, slow, spare = self._chaos
        if method in spare or rng.random() >= rate:
            return None
        kind = rng.choice(("5xx", "429", "timeout"))
        self.injected.append((method, kind))
        if kind == "5xx":
            return Fault(method, 502, "Bad Gateway")
        if kind == "429":
            return Fault(method, 429, "Too Many Requests: retry after 1", retry_after=1)
        return Fault(method, 200, "", delay=slow)

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault.method == method and (fault.when is None or fault.when(params)):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        cid = int(chat_id)
        if cid in self.chats:
            return self.chats[cid]
        if cid > 0:
            return {"id": cid, "type": "private", "first_name": "User"}
        return {"id": cid, "type": "supergroup", "title": f"Group {cid}"}

    def _rights(self, chat_id: int) -> dict[str, bool] | None:
        if chat_id > 0:
            return None
        return self.bot_rights.get(chat_id, dict(ALL_RIGHTS))

    def _is_admin(self, chat_id: int, user_id: int) -> bool:
        return any(m["user"]["id"] == user_id for m in self.admins.get(chat_id, []))

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(params["chat_id"]),
            "from": self.me,
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _api_setMyCommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            return _error(400, "Bad Request: commands must be a list of at most 100")
        for command in commands:
            name, text = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                return _error(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(text)) <= 256:
                return _error(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {"type": "default"}
        self.menus[(str(scope.get("type")), str(params.get("language_code") or ""))] = commands
        return _ok(True)

    def _api_setMyDescription(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("description") or "")
        if len(text) > 512:
            return _error(400, "Bad Request: BOT_DESCRIPTION_INVALID")
        self.descriptions[str(params.get("language_code") or "")] = text
        return _ok(True)

    def _api_setMyShortDescription(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("short_description") or "")
        if len(text) > 120:
            return _error(400, "Bad Request: BOT_SHORT_DESCRIPTION_INVALID")
        self.short_descriptions[str(params.get("language_code") or "")] = text
        return _ok(True)

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(self.me)

    async def _api_getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
        # Telegram forgets confirmed updates: a restarted bot (offset 0) gets the rest only.
        offset = max(offset, self.confirmed_offset)
        ready = [u for u in self._updates if u["update_id"] >= offset]
        if not ready and timeout > 0:
            self._updates_ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updates_ready.wait(), min(timeout, self.poll_wait))
            ready = [u for u in self._updates if u["update_id"] >= offset]
        return _ok(ready[:limit])

    def _api_setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = dict(params)
        return _ok(True)

    def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = {}
        return _ok(True)

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(
            {"url": self.webhook.get("url", ""), "has_custom_certificate": False,
             "pending_update_count": len(self.pending_updates)}
        )

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, f"Forbidden: {self.blocked[chat_id]}")
        text = str(params.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return _ok(self._new_message(params, text=text))

    def _api_sendDocument(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, f"Forbidden: {self.blocked[chat_id]}")
        document = {"file_id": "doc1", "file_unique_id": "doc1u", "file_name": "file"}
        return _ok(self._new_message(params, document=document, caption=params.get("caption")))

    def _api_editMessageText(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(self._new_message(params, text=str(params.get("text", ""))))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return _ok(self._new_message(params, text="(edited)"))

    def _api_deleteMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        rights = self._rights(chat_id)
        if chat_id < 0 and not (rights and rights.get("can_delete_messages")):
            return _error(400, "Bad Request: message can't be deleted")
        if (chat_id, message_id) in self.deleted:
            return _error(400, "Bad Request: message to delete not found")
        self.deleted.add((chat_id, message_id))
        return _ok(True)

    def _api_deleteMessages(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        for message_id in params.get("message_ids", []):
            self.deleted.add((chat_id, int(message_id)))
        return _ok(True)

    def _member_action(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        rights = self._rights(chat_id)
        if not (rights and rights.get("can_restrict_members")):
            return _error(400, "Bad Request: not enough rights to restrict/unrestrict chat member")
        if self._is_admin(chat_id, user_id):
            return _error(400, "Bad Request: user is an administrator of the chat")
        return None

    def _api_restrictChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        refused = self._member_action(params)
        if refused:
            return refused
        key = (int(params["chat_id"]), int(params["user_id"]))
        permissions = params.get("permissions") or {}
        if permissions.get("can_send_messages") and key in self.restricted:
            del self.restricted[key]
        else:
            self.restricted[key] = {"permissions": permissions,
                                    "until_date": params.get("until_date")}
        return _ok(True)

    def _api_banChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        refused = self._member_action(params)
        if refused:
            return refused
        self.banned.add((int(params["chat_id"]), int(params["user_id"])))
        return _ok(True)

    def _api_unbanChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.banned.discard((int(params["chat_id"]), int(params["user_id"])))
        return _ok(True)

    def _api_banChatSenderChat(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, sender_chat_id = int(params["chat_id"]), int(params["sender_chat_id"])
        rights = self._rights(chat_id)
        if not (rights and rights.get("can_restrict_members")):
            return _error(400, "Bad Request: not enough rights to ban a chat")
        if sender_chat_id == chat_id or self.linked.get(chat_id) == sender_chat_id:
            return _error(400, "Bad Request: can't ban the chat itself or its linked channel")
        self.banned_channels.add((chat_id, sender_chat_id))
        return _ok(True)

    def _api_unbanChatSenderChat(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.banned_channels.discard((int(params["chat_id"]), int(params["sender_chat_id"])))
        return _ok(True)

    def _bot_member(self, chat_id: int) -> dict[str, Any]:
        rights = self._rights(chat_id)
        if rights is None:
            return {"status": "member", "user": self.me}
        return {"status": "administrator", "user": self.me, "can_be_edited": False,
                "is_anonymous": False, **rights}

    def _api_getChatAdministrators(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id = int(params["chat_id"])
        if chat_id > 0:
            return _error(400, "Bad Request: there are no administrators in the private chat")
        members = list(self.admins.get(chat_id, []))
        if self._rights(chat_id) is not None:
            members.append(self._bot_member(chat_id))
        return _ok(members)

    def _api_getChatMember(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        if user_id == BOT_ID:
            return _ok(self._bot_member(chat_id))
        for member in self.admins.get(chat_id, []):
            if member["user"]["id"] == user_id:
                return _ok(member)
        user = user_json(user_id)
        if (chat_id, user_id) in self.banned:
            return _ok({"status": "kicked", "user": user, "until_date": 0})
        return _ok({"status": "member", "user": user})

    def _api_getChat(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat = dict(self._chat(params["chat_id"]))
        if chat["id"] in self.linked:
            chat["linked_chat_id"] = self.linked[chat["id"]]
        chat.setdefault("accent_color_id", 0)
        chat.setdefault("max_reaction_count", 11)
        return _ok(chat)


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _error(status: int, description: str, retry_after: int | None = None) -> tuple[int, dict]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return status, body


def _chats_in(update: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat")
            if isinstance(chat, dict) and "id" in chat:
                yield chat
            message = value.get("message")
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                yield message["chat"]
