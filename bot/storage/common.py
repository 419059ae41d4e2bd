"""What both database backends share: turning the bot's records into stored values (redacted
excerpts and indicators, hit rows, JSON) and back."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.model import Hit, Severity
from bot.core.redact import redact
from bot.storage.models import IndicatorsLike, Reputation, StorageValueError

Clock = Callable[[], datetime]

# The chat id of samples an operator promoted to every group.
GLOBAL_SAMPLES = 0


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


def reputation_score(previous: Reputation | None, now: datetime, weight: float,
                     half_life_days: float) -> float:
    """A sender's score after one more removal of `weight`: the previous score decayed to
    `now`, plus the weight."""
    if not half_life_days > 0:
        raise StorageValueError(f"half_life_days must be positive, not {half_life_days!r}")
    if not weight > 0:
        raise StorageValueError(f"a reputation weight must be positive, not {weight!r}")
    decayed = previous.score_at(now, half_life_days) if previous is not None else 0.0
    return float(weight) + decayed


def check_log_code(code: str) -> str:
    """A /logchat code as deep links carry it: 1-64 of A-Z a-z 0-9 _ -."""
    if not (isinstance(code, str) and 0 < len(code) <= 64
            and all(c.isascii() and (c.isalnum() or c in "_-") for c in code)):
        raise StorageValueError("a log chat code is 1 to 64 letters, digits, _ or -")
    return code


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


# Groups with settings, incidents or samples of their own (not GLOBAL_SAMPLES).
KNOWN_CHATS_SQL = (
    "SELECT chat_id FROM chat_settings UNION SELECT chat_id FROM incidents"
    f" UNION SELECT chat_id FROM samples WHERE chat_id <> {GLOBAL_SAMPLES} ORDER BY 1"
)


SAMPLE_COLUMNS = "id, chat_id, text, added_by, created_at, category"


def samples_sql(chat_id: int | None, limit: int | None, mark: Mark) -> str:
    """SELECT of `SAMPLE_COLUMNS` of one chat's samples (None: every chat's, promoted ones
    included), oldest first; with `limit`, only the newest `limit` of them."""
    sql = f"SELECT {SAMPLE_COLUMNS} FROM samples"
    if chat_id is not None:
        sql += f" WHERE chat_id = {mark(chat_id)}"
    if limit is None:
        return sql + " ORDER BY id"
    newest = f"{sql} ORDER BY id DESC LIMIT {mark(max(0, min(int(limit), 5000)))}"
    return f"SELECT * FROM ({newest}) AS newest ORDER BY id"


def sender_flagged_sql(chat_id: int, sender_id: int, since: Any, mark: Mark) -> str:
    """SELECT of one row when a message of this sender in this chat was flagged at `since`
    (the stored form) or later and no admin called it "Not a scam"."""
    return ("SELECT 1 FROM incidents i"
            f" WHERE i.chat_id = {mark(chat_id)} AND i.sender_id = {mark(sender_id)}"
            f" AND i.created_at >= {mark(since)} AND i.verdict IN ('scam', 'suspicious')"
            " AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.incident_id = i.id"
            " AND f.kind = 'false_positive') LIMIT 1")
