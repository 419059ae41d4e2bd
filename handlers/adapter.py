"""The one place that turns a `telegram.Message` into the core's `CheckRequest`."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    MessageOrigin,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)

from bot.core.model import Anchor, ChatInfo, CheckRequest, ForwardOrigin, Person
from bot.wiring.admins import person_from_user

_LINK_ENTITIES: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]


def message_text(message: Message) -> str:
    """The text or caption of a message ("" for media without a caption, stickers...)."""
    return message.text or message.caption or ""


def hidden_links(message: Message) -> tuple[list[str], list[Anchor]]:
    """URLs a reader does not see as text: text_link targets and button URLs, with anchors."""
    urls: list[str] = []
    anchors: list[Anchor] = []
    for parsed in (message.parse_entities(_LINK_ENTITIES),
                   message.parse_caption_entities(_LINK_ENTITIES)):
        for entity, shown in parsed.items():
            if entity.type == MessageEntity.TEXT_LINK and entity.url:
                urls.append(entity.url)
                anchors.append(Anchor(shown, entity.url))
    markup = message.reply_markup
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                for url in (button.url,
                            button.login_url.url if button.login_url else None,
                            button.web_app.url if button.web_app else None):
                    if url:
                        urls.append(url)
                        anchors.append(Anchor(button.text, url))
    return list(dict.fromkeys(urls)), anchors


def forward_origin(origin: MessageOrigin | None) -> ForwardOrigin | None:
    """The core's ForwardOrigin for a message's `forward_origin`."""
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        return ForwardOrigin("user", user.full_name, user.username or "", user.id)
    if isinstance(origin, MessageOriginHiddenUser):
        return ForwardOrigin("hidden_user", origin.sender_user_name)
    if isinstance(origin, MessageOriginChat):
        chat = origin.sender_chat
        return ForwardOrigin("chat", chat.title or "", chat.username or "", chat.id)
    if isinstance(origin, MessageOriginChannel):
        chat = origin.chat
        return ForwardOrigin("channel", chat.title or "", chat.username or "", chat.id)
    return None


def sender_of(message: Message) -> Person | None:
    """Who posted: the user, or the chat posting in its own name (channel, anonymous admin)."""
    if message.sender_chat is not None:
        chat = message.sender_chat
        return Person(chat.title or chat.full_name or "", chat.username or "", chat.id)
    if message.from_user is not None:
        return person_from_user(message.from_user)
    return None


def chat_info(chat: Chat, admins: Sequence[Person] = ()) -> ChatInfo:
    return ChatInfo(type=chat.type, title=chat.title or "", admins=tuple(admins))


def replied_content(message: Message) -> tuple[list[str], list[str], list[Anchor]]:
    """What a message quotes or replies to: (texts, urls, anchors) of the quote, the
    replied-to message of the same chat, and the link preview of a reply to another chat."""
    parts: list[str] = []
    urls: list[str] = []
    anchors: list[Anchor] = []
    if message.quote is not None and message.quote.text:
        parts.append(message.quote.text)
    replied = message.reply_to_message
    if replied is not None:
        text = message_text(replied)
        if text and text not in parts:
            parts.append(text)
        more_urls, more_anchors = hidden_links(replied)
        urls.extend(more_urls)
        anchors.extend(more_anchors)
    external = message.external_reply
    if external is not None and external.link_preview_options is not None:
        url = external.link_preview_options.url
        if isinstance(url, str) and url:
            urls.append(url)
    return parts, list(dict.fromkeys(urls)), anchors


def quoted_author(message: Message) -> Person | ForwardOrigin | None:
    """Who wrote what a message replies to: the replied-to sender of the same chat, or the
    origin of a message of another chat."""
    if message.reply_to_message is not None:
        return sender_of(message.reply_to_message)
    if message.external_reply is not None:
        return forward_origin(message.external_reply.origin)
    return None


def quoted_request(
    message: Message, *, admins: Sequence[Person] = (), lang: str | None = None
) -> CheckRequest | None:
    """A CheckRequest for only what the message quotes or replies to (None when it quotes
    nothing): checked on its own, so nothing the replying member wrote is held against them."""
    parts, urls, anchors = replied_content(message)
    if not parts and not urls:
        return None
    author = quoted_author(message)
    return CheckRequest(
        text="\n\n".join(parts),
        urls=tuple(urls),
        sender=author if isinstance(author, Person) else None,
        forward_from=author if isinstance(author, ForwardOrigin) else None,
        chat=chat_info(message.chat, admins),
        lang=(lang or None) and lang.strip().lower()[:8],
        anchors=tuple(anchors),
    )


def to_check_request(
    message: Message,
    *,
    admins: Sequence[Person] = (),
    lang: str | None = None,
    include_reply: bool = False,
    extra_urls: Sequence[str] = (),
) -> CheckRequest:
    """The CheckRequest for a message: text or caption, hidden links and buttons, sender,
    forward origin, chat and its admins, language.

    With `include_reply` the quoted part, the replied-to message's text and links and the
    link of a reply to another chat's message are checked too (a user asking about a message
    they reply to).
    """
    parts = [message_text(message)]
    urls, anchors = hidden_links(message)
    if include_reply:
        quoted, more_urls, more_anchors = replied_content(message)
        parts.extend(quoted)
        urls.extend(u for u in more_urls if u not in urls)
        anchors.extend(more_anchors)
    urls.extend(u for u in extra_urls if u not in urls)
    if lang is None and message.from_user is not None:
        lang = message.from_user.language_code
    return CheckRequest(
        text="\n\n".join(p for p in parts if p),
        urls=tuple(urls),
        sender=sender_of(message),
        forward_from=forward_origin(message.forward_origin),
        chat=chat_info(message.chat, admins),
        lang=(lang or None) and lang.strip().lower()[:8],
        anchors=tuple(anchors),
    )
