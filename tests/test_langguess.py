"""The group language guess: enough text in one language names it; too little, or no
majority within the first messages, names nothing."""

from __future__ import annotations

import pytest

from bot.wiring.langguess import MAX_MESSAGES, LanguageGuesser

LANGS = ("en", "id", "ms", "sv", "th", "tl", "vi", "zh")

CHATS = {
    "sv": ["Hej allihopa, hur mår ni idag?", "Vi ses på mötet i morgon eftermiddag",
           "Tack för att du delade den här länken med oss"],
    "th": ["สวัสดีทุกคน วันนี้เป็นอย่างไรบ้าง", "พรุ่งนี้เราจะไปกินข้าวด้วยกันที่ร้านเดิม",
           "ขอบคุณมากสำหรับข้อมูลที่มีประโยชน์นี้นะครับ"],
    "zh": ["大家好，今天过得怎么样？", "明天下午我们在老地方见面吧，记得带资料",
           "谢谢你分享这个很有用的信息，我学到了很多"],
    "tl": ["Magandang umaga sa inyong lahat, kumusta kayo?",
           "Magkita tayo bukas ng hapon sa dati nating tagpuan",
           "Salamat sa pagbabahagi ng impormasyong ito sa amin"],
}


@pytest.mark.parametrize("lang", sorted(CHATS), ids=sorted(CHATS))
async def test_three_messages_name_the_language(lang: str) -> None:
    guesser = LanguageGuesser(LANGS)
    answers = [await guesser.observe(1, text) for text in CHATS[lang]]
    assert answers[:-1] == [None, None] and answers[-1] == lang
    assert guesser.done(1)
    assert await guesser.observe(1, CHATS[lang][0]) is None


async def test_short_and_noisy_messages_name_nothing() -> None:
    guesser = LanguageGuesser(LANGS)
    for text in ["ok", "lol", "👍👍", "https://example.com/x", "@someone 12345", "/start"]:
        assert await guesser.observe(2, text) is None
    assert not guesser.done(2)


async def test_no_majority_gives_up_after_the_first_messages() -> None:
    guesser = LanguageGuesser(LANGS)
    mixed = [CHATS[lang][i % 3] for i in range(MAX_MESSAGES) for lang in ("sv", "th", "zh")]
    results = [await guesser.observe(3, text) for text in mixed[:MAX_MESSAGES]]
    assert results == [None] * MAX_MESSAGES
    assert guesser.done(3)
