"""Builders of raw Bot API update JSON, as Telegram sends it, for feeding the real PTB parser."""

from __future__ import annotations

import itertools
import time
from typing import Any

from .botapi import user_json

_message_ids = itertools.count(1)

GROUP_ID = -1001234567890


def group(chat_id: int = GROUP_ID, title: str = "Crypto Friends", **extra: Any) -> dict:
    """A supergroup Chat object."""
    return {"id": chat_id, "type": "supergroup", "title": title, **extra}


def private(user: dict[str, Any]) -> dict:
    """The private Chat object of a user."""
    chat = {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}
    if user.get("username"):
        chat["username"] = user["username"]
    return chat


def channel(chat_id: int, title: str, username: str = "") -> dict:
    """A channel Chat object."""
    chat: dict[str, Any] = {"id": chat_id, "type": "channel", "title": title}
    if username:
        chat["username"] = username
    return chat


def utf16_span(text: str, part: str) -> tuple[int, int]:
    """Offset and length of `part` inside `text` in UTF-16 code units, as Telegram counts."""
    index = text.index(part)
    offset = len(text[:index].encode("utf-16-le")) // 2
    return offset, len(part.encode("utf-16-le")) // 2


def text_link(text: str, part: str, url: str) -> dict:
    """A text_link entity: `part` of `text` shown, `url` opened."""
    offset, length = utf16_span(text, part)
    return {"type": "text_link", "offset": offset, "length": length, "url": url}


def url_entity(text: str, part: str) -> dict:
    """A url entity over a visible link inside `text`."""
    offset, length = utf16_span(text, part)
    return {"type": "url", "offset": offset, "length": length}


def url_button(text: str, url: str) -> dict:
    """An inline keyboard with one URL button."""
    return {"inline_keyboard": [[{"text": text, "url": url}]]}


def message(
    chat: dict[str, Any],
    sender: dict[str, Any] | None,
    text: str | None = None,
    *,
    message_id: int | None = None,
    entities: list[dict] | None = None,
    caption: str | None = None,
    caption_entities: list[dict] | None = None,
    photo: bool = False,
    reply_to: dict[str, Any] | None = None,
    quote: str | None = None,
    forward_origin: dict[str, Any] | None = None,
    reply_markup: dict[str, Any] | None = None,
    sender_chat: dict[str, Any] | None = None,
    is_automatic_forward: bool = False,
    sticker: bool = False,
    edit_date: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A Message object with only the fields given."""
    msg: dict[str, Any] = {
        "message_id": message_id or next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
    }
    if sender is not None:
        msg["from"] = sender
    if sender_chat is not None:
        msg["sender_chat"] = sender_chat
    if text is not None:
        msg["text"] = text
    if entities:
        msg["entities"] = entities
    if caption is not None:
        msg["caption"] = caption
    if caption_entities:
        msg["caption_entities"] = caption_entities
    if photo:
        msg["photo"] = [{"file_id": "p1", "file_unique_id": "p1u", "width": 90, "height": 90}]
    if sticker:
        msg["sticker"] = {"file_id": "s1", "file_unique_id": "s1u", "type": "regular",
                          "width": 512, "height": 512, "is_animated": False, "is_video": False}
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    if quote is not None:
        msg["quote"] = {"text": quote, "position": 0}
    if forward_origin is not None:
        msg["forward_origin"] = forward_origin
    if reply_markup is not None:
        msg["reply_markup"] = reply_markup
    if is_automatic_forward:
        msg["is_automatic_forward"] = True
    if edit_date is not None:
        msg["edit_date"] = edit_date
    msg.update(extra)
    return msg


def origin_user(user: dict[str, Any]) -> dict:
    return {"type": "user", "date": int(time.time()), "sender_user": user}


def origin_hidden(name: str) -> dict:
    return {"type": "hidden_user", "date": int(time.time()), "sender_user_name": name}


def origin_channel(chat: dict[str, Any], message_id: int = 1) -> dict:
    return {"type": "channel", "date": int(time.time()), "chat": chat, "message_id": message_id}


def origin_chat(chat: dict[str, Any]) -> dict:
    return {"type": "chat", "date": int(time.time()), "sender_chat": chat}


def message_update(msg: dict[str, Any]) -> dict[str, Any]:
    return {"message": msg}


def edited_update(msg: dict[str, Any]) -> dict[str, Any]:
    msg = dict(msg)
    msg.setdefault("edit_date", int(time.time()))
    return {"edited_message": msg}


def channel_post_update(msg: dict[str, Any]) -> dict[str, Any]:
    return {"channel_post": msg}


def callback_update(
    sender: dict[str, Any], msg: dict[str, Any], data: str, query_id: str = "cb1"
) -> dict[str, Any]:
    """A callback_query from pressing an inline button on `msg`."""
    return {
        "callback_query": {
            "id": query_id,
            "from": sender,
            "message": msg,
            "chat_instance": "ci-1",
            "data": data,
        }
    }


def member(user: dict[str, Any], status: str = "member") -> dict[str, Any]:
    """A ChatMember object with a simple status (member, left, kicked, administrator)."""
    if status == "administrator":
        return {"status": status, "user": user, "can_be_edited": False, "is_anonymous": False,
                "can_manage_chat": True, "can_delete_messages": True,
                "can_manage_video_chats": False, "can_restrict_members": True,
                "can_promote_members": False, "can_change_info": False,
                "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
                "can_delete_stories": False}
    if status == "kicked":
        return {"status": status, "user": user, "until_date": 0}
    return {"status": status, "user": user}


def chat_member_update(
    chat: dict[str, Any],
    user: dict[str, Any],
    old: str = "left",
    new: str = "member",
    actor: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A chat_member update: `user` went from status `old` to `new`."""
    return {
        "chat_member": {
            "chat": chat,
            "from": actor or user,
            "date": int(time.time()),
            "old_chat_member": member(user, old),
            "new_chat_member": member(user, new),
        }
    }


def person(user_id: int, first_name: str, username: str = "", **extra: Any) -> dict:
    """A User object (alias of user_json for readability in tests)."""
    return user_json(user_id, first_name, username, **extra)
