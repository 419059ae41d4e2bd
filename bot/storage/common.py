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
