"""The language of a group, guessed from its first messages with py3langid restricted to the
languages the bot speaks, until an admin chooses one."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any

# Messages of a chat looked at before a guess, and how much text is needed for one.
MAX_MESSAGES = 12
MIN_MESSAGES = 3
MIN_CHARS = 60
MIN_SHARE = 0.6
MIN_PROBABILITY = 0.7
# Loaded models by language set, shared by every guesser of the process (read-only).
_MODELS: dict[tuple[str, ...], Any] = {}
_NOISE = re.compile(r"https?://\S+|@\w+|/\w+|\d+")


class LanguageGuesser:
    """Collects the first messages of each chat and, once there is enough text, names the
    language most of them are written in (None while unsure). The model (about a second to
    load) is loaded on first use in a worker thread."""

    def __init__(self, languages: Iterable[str], max_chats: int = 10_000) -> None:
        self.languages = tuple(sorted(set(languages)))
        self.max_chats = max_chats
        self._model: Any = None
        self._lock = asyncio.Lock()
        self._chats: OrderedDict[int, list[tuple[str, int]]] = OrderedDict()
        self._done: set[int] = set()

    async def _identifier(self) -> Any:
        async with self._lock:
            if self._model is None:
                self._model = _MODELS.get(self.languages)
            if self._model is None:
                self._model = await asyncio.to_thread(_load, self.languages)
                _MODELS[self.languages] = self._model
            return self._model

    def done(self, chat_id: int) -> bool:
        return chat_id in self._done

    def forget(self, chat_id: int) -> None:
        """Stop guessing for this chat (an admin chose, or a guess was stored)."""
        self._chats.pop(chat_id, None)
        self._done.add(chat_id)
        if len(self._done) > self.max_chats * 4:
            self._done.clear()

    async def classify(self, text: str) -> tuple[str, float]:
        """(language, probability) of one text among the bot's languages."""
        identifier = await self._identifier()
        lang, probability = identifier.classify(text)
        return str(lang), float(probability)

    async def observe(self, chat_id: int, text: str) -> str | None:
        """Take one message of the chat into account; the chat's language once sure."""
        if chat_id in self._done:
            return None
        cleaned = _NOISE.sub(" ", text).strip()
        if len(cleaned) < 8:
            return None
        lang, probability = await self.classify(cleaned)
        seen = self._chats.setdefault(chat_id, [])
        self._chats.move_to_end(chat_id)
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)
        # An unsure message counts towards the limit but casts no vote.
        seen.append((lang, _weight(cleaned)) if probability >= MIN_PROBABILITY else ("", 0))
        sure = [(code, n) for code, n in seen if code]
        if len(sure) < MIN_MESSAGES or sum(n for _, n in sure) < MIN_CHARS:
            if len(seen) >= MAX_MESSAGES:
                self.forget(chat_id)
            return None
        votes = Counter(code for code, _ in sure)
        best, count = votes.most_common(1)[0]
        if count / len(sure) >= MIN_SHARE:
            self.forget(chat_id)
            return best
        if len(seen) >= MAX_MESSAGES:
            self.forget(chat_id)
        return None


def _weight(text: str) -> int:
    """How much text this is: a Chinese character says about as much as two letters."""
    return sum(2 if ord(c) >= 0x2E80 else 1 for c in text if not c.isspace())


def _load(languages: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)
    known = set(identifier.nb_classes)
    identifier.set_languages([lang for lang in languages if lang in known])
    return identifier
