"""`scamguard incidents | stats | export`: read the bot's database from the command line."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

from bot.errors import StorageError
from bot.settings import Settings
from bot.storage import Incident, Stats, is_postgres_url, open_storage
from bot.storage.repository import Repository

T = TypeVar("T")

CSV_FIELDS = (
    "id", "created_at", "chat_id", "message_id", "sender_id", "verdict", "score",
    "categories", "rules", "actions", "text_hash", "excerpt", "full_text", "indicators",
)
EXPORT_PAGE = 1000
_RELATIVE_RE = re.compile(r"^(\d{1,6})\s*([dhm])$")


def register(sub: Any) -> None:
    p = sub.add_parser("incidents", help="list stored incidents, newest first")
    _common(p)
    p.add_argument("--limit", type=int, default=50, metavar="N",
                   help="at most N incidents (default 50, 0 = all)")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.set_defaults(func=cmd_incidents)

    p = sub.add_parser("stats", help="counts by verdict, category, action and feedback")
    p.add_argument("--chat", type=int, default=None, metavar="ID", help="only this chat")
    p.add_argument("--db", default=None,
                   help="database file or postgresql:// URL (default SCAMGUARD_DB)")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("export", help="every matching incident as CSV or JSON")
    _common(p)
    p.add_argument("--format", choices=("csv", "json"), required=True)
    p.add_argument("--output", "-o", type=Path, default=None, metavar="FILE",
                   help="write here instead of standard output")
    p.set_defaults(func=cmd_export)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chat", type=int, default=None, metavar="ID", help="only this chat")
    p.add_argument("--since", type=parse_since, default=None, metavar="DATE",
                   help="from this time on: 2026-05-01, 2026-05-01T12:00, or 7d / 12h / 30m ago")
    p.add_argument("--db", default=None,
                   help="database file or postgresql:// URL (default SCAMGUARD_DB)")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """An ISO date or time (UTC unless it says otherwise), or a span back from now."""
    text = value.strip()
    match = _RELATIVE_RE.match(text.lower())
    if match:
        amount, unit = int(match[1]), match[2]
        span = {"d": timedelta(days=amount), "h": timedelta(hours=amount),
                "m": timedelta(minutes=amount)}[unit]
        return (now or datetime.now(UTC)) - span
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date: {value!r} (use 2026-05-01, 2026-05-01T12:00 or 7d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _db_path(args: argparse.Namespace) -> str | Path:
    """The database the command reads: --db, else SCAMGUARD_DB. A SQLite file must exist
    (reading never creates one); a PostgreSQL URL is used as given."""
    target: str | Path
    if args.db is not None:
        target = args.db if is_postgres_url(args.db) else Path(args.db)
    else:
        target = Settings.from_env(os.environ).database
    if isinstance(target, Path) and not target.exists():
        raise StorageError(f"no database at {target} (set SCAMGUARD_DB or pass --db)")
    return target


def _with_storage(path: str | Path, work: Callable[[Repository], Awaitable[T]]) -> T:
    async def run() -> T:
        storage = await open_storage(path)
        try:
            return await work(storage)
        finally:
            await storage.close()

    return asyncio.run(run())


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _actions(incident: Incident) -> str:
    return ",".join(f"{a.action}:{'ok' if a.ok else 'failed'}" for a in incident.actions)


def format_table(rows: list[list[str]], header: list[str]) -> str:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def incidents_table(incidents: list[Incident]) -> str:
    header = ["ID", "TIME (UTC)", "CHAT", "MESSAGE", "SENDER", "VERDICT", "SCORE",
              "CATEGORIES", "ACTIONS", "EXCERPT"]
    rows = [
        [
            str(i.id),
            i.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(i.chat_id),
            "" if i.message_id is None else str(i.message_id),
            "" if i.sender_id is None else str(i.sender_id),
            i.verdict,
            f"{i.score:.2f}",
            ",".join(i.categories),
            _actions(i),
            _one_line(i.excerpt, 60),
        ]
        for i in incidents
    ]
    return format_table(rows, header)


def stats_text(stats: Stats, chat_id: int | None) -> str:
    scope = f"chat {chat_id}" if chat_id is not None else "all chats"
    lines = [f"incidents ({scope}): {stats.incidents}"]
    if chat_id is None:
        lines.append(f"private checks: {stats.private_checks}")
    for title, counts in (("by verdict", stats.by_verdict), ("by category", stats.by_category),
                          ("feedback", stats.feedback)):
        if counts:
            lines.append(f"{title}:")
            lines.extend(f"  {name:<24} {count:>8}" for name, count in counts.items())
    if stats.by_action:
        lines.append(f"{'by action:':<26} {'ok':>8} {'failed':>8}")
        lines.extend(f"  {name:<24} {c.ok:>8} {c.failed:>8}"
                     for name, c in stats.by_action.items())
    return "\n".join(lines)


def cmd_incidents(args: argparse.Namespace) -> int:
    path = _db_path(args)
    limit = None if args.limit <= 0 else args.limit
    found = _with_storage(path, lambda s: s.list_incidents(args.chat, args.since, limit))
    if args.json:
        print(json.dumps([i.to_dict() for i in found], ensure_ascii=False, indent=2))
    elif not found:
        print("no incidents")
    else:
        print(incidents_table(found))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    path = _db_path(args)
    stats = _with_storage(path, lambda s: s.stats(args.chat))
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(stats_text(stats, args.chat))
    return 0


def _csv_row(i: Incident) -> dict[str, Any]:
    return {
        "id": i.id,
        "created_at": i.created_at.isoformat(),
        "chat_id": i.chat_id,
        "message_id": "" if i.message_id is None else i.message_id,
        "sender_id": "" if i.sender_id is None else i.sender_id,
        "verdict": i.verdict,
        "score": f"{i.score:.4f}",
        "categories": ";".join(i.categories),
        "rules": ";".join(h.rule for h in i.hits),
        "actions": ";".join(f"{a.action}:{'ok' if a.ok else 'failed'}" for a in i.actions),
        "text_hash": i.text_hash,
        "excerpt": i.excerpt,
        "full_text": i.full_text or "",
        "indicators": json.dumps(i.indicators, ensure_ascii=False, sort_keys=True),
    }


def cmd_export(args: argparse.Namespace) -> int:
    path = _db_path(args)
    if args.output is None:
        asyncio.run(_export(path, args, sys.stdout))
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            count = asyncio.run(_export(path, args, out))
    except OSError as exc:
        raise StorageError(f"cannot write {args.output}: {exc.strerror}") from exc
    except StorageError:
        args.output.unlink(missing_ok=True)
        raise
    print(f"exported {count} incidents to {args.output}", file=sys.stderr)
    return 0


async def _export(path: str | Path, args: argparse.Namespace, out: IO[str]) -> int:
    """Write every matching incident, newest first, a page at a time; returns the count."""
    storage = await open_storage(path)
    count = 0
    try:
        writer = None
        if args.format == "json":
            out.write("[")
        else:
            writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
            writer.writeheader()
        before: int | None = None
        while True:
            page = await storage.list_incidents(args.chat, args.since, EXPORT_PAGE,
                                                before_id=before)
            for incident in page:
                if writer is not None:
                    writer.writerow(_csv_row(incident))
                else:
                    item = json.dumps(incident.to_dict(), ensure_ascii=False, indent=2)
                    out.write(("," if count else "") + "\n" + textwrap.indent(item, "  "))
                count += 1
            if len(page) < EXPORT_PAGE:
                break
            before = page[-1].id
        if writer is None:
            out.write("\n]\n" if count else "]\n")
    finally:
        await storage.close()
    return count
