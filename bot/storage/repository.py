"""The narrow async interface the bot uses to keep its state. SQLite implements it
(`bot.storage.sqlite`); another backend is another module with the same methods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.core.model import Hit
from bot.storage.models import (
    ActivityRow,
    AuditEntry,
    ChatSettings,
    Incident,
    IncidentQuery,
    IndicatorsLike,
    LogChatCode,
    PrivateCheck,
    Reputation,
    Sample,
    Stats,
    UserPrefs,
)


class Repository(Protocol):
    """Everything the bot stores. Every write is committed before the call returns; a database
    that cannot be used raises `bot.errors.StorageError`, a bad value `StorageValueError`."""

    async def get_chat_settings(self, chat_id: int) -> ChatSettings: ...

    async def update_chat_settings(
        self, chat_id: int, actor_id: int | None, **changes: Any
    ) -> ChatSettings: ...

    async def add_to_list(
        self, chat_id: int, actor_id: int | None, name: str, *items: Any
    ) -> ChatSettings: ...

    async def remove_from_list(
        self, chat_id: int, actor_id: int | None, name: str, *items: Any
    ) -> ChatSettings: ...

    async def add_incident(
        self,
        chat_id: int,
        message_id: int | None,
        sender_id: int | None,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        text: str,
        indicators: IndicatorsLike | None = None,
        keep_full: bool = False,
        edit_date: int = 0,
    ) -> int: ...

    async def add_or_get_incident(
        self,
        chat_id: int,
        message_id: int | None,
        sender_id: int | None,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        text: str,
        indicators: IndicatorsLike | None = None,
        keep_full: bool = False,
        edit_date: int = 0,
    ) -> tuple[int, Incident | None]: ...

    async def find_incident(
        self, chat_id: int, message_id: int, edit_date: int = 0
    ) -> Incident | None: ...

    async def sender_flagged_since(self, chat_id: int, sender_id: int,
                                   since: datetime) -> bool: ...

    async def record_action(
        self, incident_id: int, action: str, ok: bool, error: str | None = None
    ) -> None: ...

    async def get_incident(self, incident_id: int) -> Incident | None: ...

    async def list_incidents(
        self,
        chat_id: int | None = None,
        since: datetime | None = None,
        limit: int | None = 100,
        before_id: int | None = None,
    ) -> list[Incident]: ...

    async def add_private_check(
        self,
        user_id: int,
        verdict: str,
        score: float,
        hits: Sequence[Hit],
        indicators: IndicatorsLike | None,
        text: str,
        keep_full: bool = False,
    ) -> int: ...

    async def last_private_check(self, user_id: int) -> PrivateCheck | None: ...

    async def get_user_prefs(self, user_id: int) -> UserPrefs: ...

    async def set_user_prefs(self, user_id: int, **changes: Any) -> UserPrefs: ...

    async def add_feedback(
        self,
        incident_id: int,
        user_id: int,
        kind: str = "false_positive",
        note: str | None = None,
    ) -> int: ...

    async def add_sample(
        self, chat_id: int, text: str, added_by: int, category: str | None = None
    ) -> int: ...

    async def list_samples(self, chat_id: int) -> list[str]: ...

    async def list_sample_rows(
        self, chat_id: int | None = None, limit: int | None = None
    ) -> list[Sample]: ...

    async def get_sample(self, sample_id: int) -> Sample | None: ...

    async def remove_sample(
        self, chat_id: int | None, sample_id: int, actor_id: int | None
    ) -> Sample | None: ...

    async def promote_sample(self, sample_id: int, actor_id: int) -> int | None: ...

    async def flag_user(
        self, user_id: int, chat_id: int, incident_id: int | None, weight: float = 1.0,
        half_life_days: float = 14.0,
    ) -> Reputation: ...

    async def get_reputation(self, user_id: int) -> Reputation | None: ...

    async def claim_reputation_flag(self, user_id: int, chat_id: int) -> bool: ...

    async def clear_reputation(
        self, user_id: int, actor_id: int | None, chat_id: int | None
    ) -> bool: ...

    async def add_log_chat_code(
        self, code: str, chat_id: int, title: str, admin_id: int, expires_at: datetime
    ) -> None: ...

    async def get_log_chat_code(self, code: str) -> LogChatCode | None: ...

    async def drop_log_chat_code(self, code: str) -> bool: ...

    async def labelled_lines(self) -> list[dict[str, Any]]: ...

    async def audit(
        self, actor_id: int | None, chat_id: int | None, action: str, detail: dict[str, Any]
    ) -> int: ...

    async def list_audit(
        self, chat_id: int | None = None, limit: int | None = 50
    ) -> list[AuditEntry]: ...

    async def stats(self, chat_id: int | None = None) -> Stats: ...

    async def search_incidents(self, query: IncidentQuery) -> list[Incident]: ...

    async def activity(
        self, since: datetime, chat_id: int | None = None
    ) -> list[ActivityRow]: ...

    async def known_chats(self) -> list[int]: ...

    async def list_chat_settings(self) -> list[ChatSettings]: ...

    async def purge(self, older_than: datetime) -> int: ...

    async def probe(self) -> str | None: ...

    async def close(self) -> None: ...
