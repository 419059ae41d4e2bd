"""What both database backends share: turning the bot's records into stored values (redacted
excerpts and indicators, hit rows, JSON) and back."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.model import Hit, Severity
from bot.core.redact import redact
from bot.storage.models import IndicatorsLike, StorageValueError

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(moment: datetime) -> str:
    """A fixed-width UTC ISO form, so that text order is time order; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def redact_tree(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_tree(v) for v in value]
    return value


def indicators_json(indicators: IndicatorsLike | None, keep_full: bool) -> str:
    if indicators is None:
        data: Any = {}
    elif isinstance(indicators, Mapping):
        data = dict(indicators)
    else:
        data = indicators.to_dict()
    if not keep_full:
        data = redact_tree(data)
    return dumps(data)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def check_score(score: float) -> float:
    value = float(score)
    if not 0.0 <= value <= 1.0:
        raise StorageValueError(f"score must be between 0 and 1, not {score!r}")
    return value


def hit_rows(hits: Sequence[Hit], keep_full: bool) -> list[tuple[str, str, str, str]]:
    rows = []
    for hit in hits:
        reason = hit.reason if keep_full else redact(hit.reason)
        rows.append((hit.rule, hit.category, hit.severity.label, reason))
    return rows


def make_hit(rule: str, category: str, severity: str, reason: str) -> Hit:
    try:
        level = Severity.parse(severity)
    except ValueError:
        level = Severity.LOW
    return Hit(rule=rule, category=category, severity=level, reason=reason)



LIST_SETTINGS = ("allow_domains", "allow_handles", "trusted_users")


def check_list_name(name: str) -> None:
    if name not in LIST_SETTINGS:
        raise StorageValueError(
            f"{name!r} is not a list setting (one of: {', '.join(LIST_SETTINGS)})"
        )




# -- read-only queries of the web console (one SQL for both engines) -------------------------

Mark = Callable[[Any], str]


def incident_query_sql(query: Any, mark: Mark, when: Callable[[datetime], Any]) -> str:
    """SELECT of the incidents an `IncidentQuery` matches, newest first; `mark(value)` adds
    a parameter and returns its placeholder, `when` turns a time into the stored form."""
    where: list[str] = []
    if query.chat_id is not None:
        where.append(f"i.chat_id = {mark(query.chat_id)}")
    if query.verdict:
        where.append(f"i.verdict = {mark(query.verdict)}")
    if query.category:
        where.append("EXISTS (SELECT 1 FROM incident_hits h WHERE h.incident_id = i.id"
                     f" AND h.category = {mark(query.category)})")
    if query.action:
        where.append("EXISTS (SELECT 1 FROM incident_actions a WHERE a.incident_id = i.id"
                     f" AND a.action = {mark(query.action)})")
    if query.since is not None:
        where.append(f"i.created_at >= {mark(when(query.since))}")
    if query.until is not None:
        where.append(f"i.created_at < {mark(when(query.until))}")
    if query.before_id is not None:
        where.append(f"i.id < {mark(query.before_id)}")
    sql = "SELECT i.* FROM incidents i"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + f" ORDER BY i.id DESC LIMIT {mark(max(0, min(int(query.limit), 1000)))}"


def activity_sql(day: Callable[[str], str], since: Any, chat_id: int | None, mark: Mark
                 ) -> str:
    """One UNION of the per-day counts `ActivityRow` holds; `day(alias)` is the engine's
    UTC date (YYYY-MM-DD) of that table's created_at."""
    def where(alias: str, chat: str = "i") -> str:
        parts = [f"{alias}.created_at >= {mark(since)}"]
        if chat_id is not None:
            parts.append(f"{chat}.chat_id = {mark(chat_id)}")
        return " WHERE " + " AND ".join(parts)

    parts = [
        f"SELECT {day('i')} AS day, i.chat_id AS chat, 'verdict' AS kind, i.verdict AS k,"
        f" COUNT(*) AS n FROM incidents i{where('i')} GROUP BY 1, 2, 4",
        f"SELECT {day('i')}, i.chat_id, 'category', h.category, COUNT(DISTINCT i.id)"
        f" FROM incidents i JOIN incident_hits h ON h.incident_id = i.id{where('i')}"
        " GROUP BY 1, 2, 4",
        f"SELECT {day('a')}, i.chat_id, 'action',"
        " a.action || CASE WHEN a.ok THEN ':ok' ELSE ':failed' END, COUNT(*)"
        f" FROM incident_actions a JOIN incidents i ON i.id = a.incident_id{where('a')}"
        " GROUP BY 1, 2, 4",
        f"SELECT {day('f')}, i.chat_id, 'feedback', f.kind, COUNT(*)"
        f" FROM feedback f JOIN incidents i ON i.id = f.incident_id{where('f')}"
        " GROUP BY 1, 2, 4",
    ]
    if chat_id is None:
        parts.append(
            f"SELECT {day('p')}, CAST(NULL AS BIGINT), 'private_check', p.verdict, COUNT(*)"
            f" FROM private_checks p WHERE p.created_at >= {mark(since)} GROUP BY 1, 2, 4"
        )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 4"


KNOWN_CHATS_SQL = (
    "SELECT chat_id FROM chat_settings UNION SELECT chat_id FROM incidents"
    " UNION SELECT chat_id FROM samples ORDER BY 1"
)


def samples_sql(chat_id: int | None, limit: int, mark: Mark) -> str:
    sql = "SELECT id, chat_id, text, category, added_by, created_at FROM samples"
    if chat_id is not None:
        sql += f" WHERE chat_id = {mark(chat_id)}"
    return sql + f" ORDER BY id DESC LIMIT {mark(max(0, min(int(limit), 5000)))}"
