"""Onboarding end to end on the fake Bot API: command menus and descriptions in every
language, /start with the "Add to group" deep link and its payloads, the language and region
keyboards, the greeting when the bot is added to a group, and the group language guess."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from bot.app import set_bot_profile
from handlers.onboarding import ADMIN_COMMANDS, MEMBER_COMMANDS, PRIVATE_COMMANDS
from tests.conftest import ALICE, BOB, CAROL, Harness
from tests.fakes import BOT_ID, BOT_USERNAME
from tests.fakes.updates import (
    GROUP_ID,
    callback_update,
    group,
    member,
    message,
    message_update,
    person,
    private,
)

LANGS = ("en", "id", "ms", "sv", "th", "tl", "vi", "zh")
VIET = ["Chào mọi người, hôm nay các bạn thế nào rồi?",
        "Tối nay mình đi ăn phở ở quán cũ nhé, ai đi thì báo mình",
        "Cảm ơn bạn đã chia sẻ thông tin rất hữu ích này",
        "Mai trời mưa to lắm, nhớ mang áo mưa khi ra đường"]


def command(sender: dict[str, Any], text: str, chat: dict[str, Any] | None = None) -> dict:
    name = text.split()[0]
    return message_update(message(chat or private(sender), sender, text,
                                  entities=[{"type": "bot_command", "offset": 0,
                                             "length": len(name)}]))


def bot_added(chat: dict[str, Any], adder: dict[str, Any], new: str = "member",
              old: str = "left") -> dict:
    """A my_chat_member update: the bot went from `old` to `new` in `chat`."""
    me = person(BOT_ID, "Scamguard", BOT_USERNAME, is_bot=True)
    new_member = member(me, new)
    if new == "administrator":
        new_member["can_restrict_members"] = False
    return {"my_chat_member": {"chat": chat, "from": adder, "date": int(time.time()),
                               "old_chat_member": member(me, old),
                               "new_chat_member": new_member}}


def buttons(call) -> list[dict]:
    return [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


async def test_menus_and_descriptions_in_every_language(harness: Harness):
    """Each of the three scopes gets its commands in every language (and a default), the
    descriptions too, all accepted by the fake's Telegram checks."""
    texts = harness.services.rules.texts
    await set_bot_profile(harness.app)
    api = harness.api
    for lang in ("", *LANGS):
        shown = lang or "en"
        for scope, names in (("all_private_chats", PRIVATE_COMMANDS),
                             ("all_group_chats", MEMBER_COMMANDS),
                             ("all_chat_administrators", ADMIN_COMMANDS)):
            menu = api.menus[(scope, lang)]
            assert [c["command"] for c in menu] == list(names)
            assert menu[0]["description"] == texts.raw(shown, f"onboard.cmd_{names[0]}")
        assert api.descriptions[lang] == texts.raw(shown, "onboard.description")
        assert api.short_descriptions[lang] == texts.raw(shown, "onboard.short_description")
    assert api.menus[("all_private_chats", "vi")][0]["description"] != \
        api.menus[("all_private_chats", "sv")][0]["description"]


async def test_profile_survives_telegram_refusals(harness: Harness):
    """A refused or failing call is logged and the others are still made."""
    harness.api.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID", times=2)
    harness.api.fail("setMyDescription", 500, "Internal Server Error")
    await set_bot_profile(harness.app)
    assert len(harness.api.calls("setMyCommands")) == 27
    assert len(harness.api.menus) == 25
    assert len(harness.api.descriptions) == 8
    assert len(harness.api.short_descriptions) == 9


async def test_start_offers_the_add_to_group_link(harness: Harness):
    """/start in private: the introduction with a button that adds the bot to a group and
    asks for the rights it needs."""
    u = person(5001, "Minh", "minh", language_code="th")
    await harness.feed(command(u, "/start"))
    (sent,) = harness.api.calls("sendMessage")
    (button,) = buttons(sent)
    texts = harness.services.rules.texts
    assert button["text"] == texts.raw("th", "onboard.add_to_group")
    url = urlsplit(button["url"])
    assert (url.netloc, url.path) == ("t.me", f"/{BOT_USERNAME}")
    query = url.query.split("&")
    assert "startgroup=setup" in query
    admin = next(q for q in query if q.startswith("admin=")).removeprefix("admin=").split("+")
    assert {"delete_messages", "restrict_members"} <= set(admin)


async def test_start_payload_opens_the_language_keyboard(harness: Harness):
    """/start language shows the languages; a press stores the choice and answers in it."""
    u = person(5002, "Ann", "ann", language_code="en")
    await harness.feed(command(u, "/start language"))
    (sent,) = harness.api.calls("sendMessage")
    data = [b["callback_data"] for b in buttons(sent)]
    assert data == [f"ul:{lang}" for lang in LANGS]
    msg = message(private(u), person(BOT_ID, "Scamguard", BOT_USERNAME, is_bot=True), "x")
    await harness.feed(callback_update(u, msg, "ul:sv"))
    prefs = await harness.services.storage.get_user_prefs(u["id"])
    assert prefs.language == "sv"
    (edit,) = harness.api.calls("editMessageText")
    assert edit.params["text"] == harness.services.rules.texts.text("sv", "private.language_set")


async def test_region_keyboard_groups_regions_by_language(harness: Harness):
    """/region: languages first (and Global), then that language's regions, then stored."""
    u = person(5003, "Bao", "bao", language_code="en")
    await harness.feed(command(u, "/region"))
    (sent,) = harness.api.calls("sendMessage")
    data = [b["callback_data"] for b in buttons(sent)]
    assert "ur:g:vi" in data and "ur:g:zh" in data and data[-1] == "ur:s:ZZ"
    msg = message(private(u), person(BOT_ID, "Scamguard", BOT_USERNAME, is_bot=True), "x")
    await harness.feed(callback_update(u, msg, "ur:g:zh"))
    edit = harness.api.calls("editMessageText")[-1]
    regions = [b["callback_data"] for b in buttons(edit)]
    assert regions == ["ur:s:CN", "ur:s:HK", "ur:s:TW", "ur:g:"]
    await harness.feed(callback_update(u, msg, "ur:s:HK"))
    assert (await harness.services.storage.get_user_prefs(u["id"])).region == "HK"
    await harness.feed(callback_update(u, msg, "ur:s:XX"))
    assert (await harness.services.storage.get_user_prefs(u["id"])).region == "HK"


async def test_typed_codes_still_work(harness: Harness):
    """/language th and /region VN keep working without the keyboards."""
    u = person(5004, "Dee", "dee", language_code="en")
    await harness.feed(command(u, "/language th"))
    await harness.feed(command(u, "/region VN"))
    prefs = await harness.services.storage.get_user_prefs(u["id"])
    assert (prefs.language, prefs.region) == ("th", "VN")


async def test_added_to_group_greets_with_missing_rights(harness: Harness):
    """Added as a plain member by an admin whose Telegram speaks Indonesian: a greeting in
    Indonesian naming both missing rights, and the group's language set to it (a guess)."""
    chat = group(-100777, "Komunitas Kripto")
    adder = person(ALICE["id"], "Alice", "alice_admin", language_code="id")
    await harness.feed(bot_added(chat, adder))
    (sent,) = harness.api.calls("sendMessage")
    texts = harness.services.rules.texts
    text = sent.params["text"]
    assert sent.params["chat_id"] == -100777
    assert texts.raw("id", "right.can_delete_messages") in text
    assert texts.raw("id", "right.can_restrict_members") in text
    assert "Komunitas Kripto" in text and "/settings" in text
    settings = await harness.services.storage.get_chat_settings(-100777)
    assert settings.language == "id" and settings.language_auto


async def test_promoted_bot_names_only_the_missing_right(harness: Harness):
    """Promoted to admin without the ban right: one line naming that right only."""
    chat = group(-100778, "Crypto Club")
    await harness.feed(bot_added(chat, ALICE, new="administrator", old="member"))
    (sent,) = harness.api.calls("sendMessage")
    texts = harness.services.rules.texts
    assert sent.params["text"] == texts.text(
        "en", "onboard.rights_missing", rights=texts.raw("en", "right.can_restrict_members"))


async def test_start_setup_in_group_greets_with_rights(harness: Harness):
    """The "Add to group" link sends /start setup into the group: greeting, rights known."""
    await harness.feed(command(ALICE, "/start setup", chat=group()))
    (sent,) = harness.api.calls("sendMessage")
    assert harness.services.rules.texts.text("en", "onboard.rights_ok") in sent.params["text"]


async def test_group_language_is_guessed_from_first_messages(harness: Harness):
    """Four Vietnamese messages make the group Vietnamese; the warnings follow."""
    for i, text in enumerate(VIET):
        sender = person(2100 + i, f"Member {i}", f"member{i}")
        await harness.feed(message_update(message(group(), sender, text)))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.language == "vi" and settings.language_auto


async def test_admin_choice_stops_the_guess(harness: Harness):
    """Once an admin picks the language on the keyboard, messages no longer change it."""
    await harness.feed(command(ALICE, "/settings", chat=group()))
    sent = harness.api.calls("sendMessage")[0]
    await harness.feed(callback_update(ALICE, message(group(), person(BOT_ID, "Scamguard",
                                                                      BOT_USERNAME,
                                                                      is_bot=True), "s"),
                                       "set:language:sv"))
    for i, text in enumerate(VIET):
        await harness.feed(message_update(message(group(), person(2200 + i, "M", ""), text)))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.language == "sv" and not settings.language_auto
    assert sent.params["chat_id"] == GROUP_ID


async def test_guess_is_restricted_to_the_bots_languages(harness: Harness):
    """German is not one of the eight: it is classified as one of them, never as 'de'."""
    lang, _ = await harness.services.languages.classify("Guten Morgen, wie geht es euch?")
    assert lang in LANGS


async def test_non_admin_cannot_press_settings(harness: Harness):
    """The language keyboard press of a member is refused, nothing stored."""
    await harness.feed(callback_update(CAROL, message(group(), BOB, "s"), "set:language:th"))
    settings = await harness.services.storage.get_chat_settings(GROUP_ID)
    assert settings.language == "en"
    (answer,) = harness.api.calls("answerCallbackQuery")
    assert answer.params["show_alert"] is True


async def test_run_sets_the_profile_over_http(settings, services, fake_server, fake_api):
    """`scamguard run` sets the menus and descriptions in the background over real HTTP,
    while it already polls; a Telegram that refuses them does not stop it."""
    import asyncio
    from dataclasses import replace

    from bot.commands.run import serve

    fake_api.fail("setMyDescription", 400, "Bad Request: BOT_DESCRIPTION_INVALID", times=9)
    settings = replace(settings, api_url=fake_server.base_url)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services))
    try:
        await fake_api.wait_for("setMyShortDescription", 9, within=20)
        await fake_api.wait_for("getUpdates")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert len(fake_api.menus) == 27 and fake_api.descriptions == {}
    assert fake_api.short_descriptions["vi"] == \
        services.rules.texts.raw("vi", "onboard.short_description")


async def test_added_by_the_link_greets_once(harness: Harness):
    """The "Add to group" link makes Telegram report the join and send /start setup: one
    greeting, not two."""
    chat = group(-100779, "New Group")
    await harness.feed(bot_added(chat, ALICE))
    await harness.feed(command(ALICE, "/start setup", chat=chat))
    assert len(harness.api.sent_texts(-100779)) == 1
