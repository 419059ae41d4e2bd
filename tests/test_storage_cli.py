"""`scamguard incidents | stats | export` through bot.cli.main on a real database found
through SCAMGUARD_DB: a SQLite file, and a PostgreSQL database (each test taking `db` runs on
both)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands import storage as storage_commands
from bot.commands.storage import parse_since
from bot.core.model import Hit, Severity
from bot.storage import PostgresStorage, SqliteStorage, is_postgres_url
from tests.pg import fresh_database

SEED = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
           "asks for a wallet recovery phrase")
LINK = Hit("links.lookalike", "lookalike_link", Severity.HIGH, "links to a look-alike domain")
NOW = datetime.now(UTC).replace(microsecond=0)


def _populate(target: str) -> None:
    """Three incidents: chat -1 ten days ago and today, chat -2 today."""
    clock = [NOW - timedelta(days=10)]

    async def fill() -> None:
        def now() -> datetime:
            return clock[0]

        store = await (PostgresStorage.open(target, clock=now) if is_postgres_url(target)
                       else SqliteStorage.open(target, clock=now))
        try:
            old = await store.add_incident(-1, 11, 501, "scam", 0.93, (SEED,),
                                           "DM me your recovery phrase", None)
            await store.record_action(old, "delete", True)
            clock[0] = NOW
            await store.add_incident(-1, 12, 502, "suspicious", 0.45, (LINK,),
                                     "login at binance-verify.example", {"domains": ["x"]})
            new = await store.add_incident(-2, 13, 503, "scam", 0.88, (SEED, LINK),
                                           "validate your wallet,\nsend the 12 words", None)
            await store.record_action(new, "ban", False, "not enough rights")
        finally:
            await store.close()

    asyncio.run(fill())


@pytest.fixture(params=["sqlite", "postgresql"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """SCAMGUARD_DB naming a populated database of each backend."""
    if request.param == "sqlite":
        target = str(tmp_path / "cli.db")
        _populate(target)
        monkeypatch.setenv("SCAMGUARD_DB", target)
        yield target
        return
    loop = asyncio.new_event_loop()
    database = fresh_database()
    try:
        url = loop.run_until_complete(database.__aenter__())
        _populate(url)
        monkeypatch.setenv("SCAMGUARD_DB", url)
        yield url
    finally:
        loop.run_until_complete(database.__aexit__(None, None, None))
        loop.close()


def test_incidents_table_lists_newest_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The table has a header and one line per incident, newest first, one line each."""
    assert main(["incidents"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["ID", "TIME", "(UTC)"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert "key_request,lookalike_link" in lines[1]
    assert "ban:failed" in lines[1]
    assert "validate your wallet, send the 12 words" in lines[1]
    assert "delete:ok" in lines[3]


@pytest.mark.parametrize(
    ("argv", "ids"),
    [
        (["--chat", "-1"], [2, 1]),
        (["--chat", "-2"], [3]),
        (["--since", "2d"], [3, 2]),
        (["--chat", "-1", "--since", (NOW - timedelta(days=1)).date().isoformat()], [2]),
        (["--limit", "1"], [3]),
        (["--chat", "-3"], []),
    ],
    ids=["chat-1", "chat-2", "since-relative", "chat-and-date", "limit", "empty-chat"],
)
def test_incidents_json_filters(
    db: str, capsys: pytest.CaptureFixture[str], argv: list[str], ids: list[int]
) -> None:
    """--json prints an array; --chat, --since and --limit narrow it."""
    assert main(["incidents", "--json", *argv]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [item["id"] for item in data] == ids


def test_incidents_json_fields(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An incident's JSON carries verdict, hits, actions, excerpt and hash, no full text."""
    assert main(["incidents", "--json", "--chat", "-2"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["verdict"] == "scam" and item["score"] == 0.88
    assert item["hits"][0] == SEED.to_dict()
    assert item["actions"][0]["error"] == "not enough rights"
    assert item["full_text"] is None
    assert len(item["text_hash"]) >= 16


def test_incidents_empty_says_so(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """No match prints a plain sentence, not an empty table."""
    assert main(["incidents", "--chat", "-99"]) == 0
    assert capsys.readouterr().out.strip() == "no incidents"


def test_stats_text_and_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """stats prints counts by verdict, category and action; --json the same as an object."""
    assert main(["stats"]) == 0
    text = capsys.readouterr().out
    assert "incidents (all chats): 3" in text
    assert "key_request" in text and "lookalike_link" in text
    assert main(["stats", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["by_verdict"] == {"scam": 2, "suspicious": 1}
    assert data["by_category"] == {"key_request": 2, "lookalike_link": 2}
    assert data["by_action"] == {"ban": {"ok": 0, "failed": 1}, "delete": {"ok": 1, "failed": 0}}
    assert main(["stats", "--json", "--chat", "-2"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] == 1


@pytest.mark.parametrize("page", [1000, 2, 1], ids=["one-page", "pages-of-2", "pages-of-1"])
def test_export_csv(db: str, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    """CSV export: a header and every incident once, newest first, whatever the page size."""
    monkeypatch.setattr(storage_commands, "EXPORT_PAGE", page)
    assert main(["export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ["3", "2", "1"]
    assert rows[0]["categories"] == "key_request;lookalike_link"
    assert rows[0]["actions"] == "ban:failed"
    assert rows[0]["excerpt"].startswith("validate your wallet, send")
    assert json.loads(rows[1]["indicators"]) == {"domains": ["x"]}


def test_export_json_to_file(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """JSON export to --output writes the file and says how many went there."""
    out = tmp_path / "incidents.json"
    monkeypatch.setattr(storage_commands, "EXPORT_PAGE", 1)
    assert main(["export", "--format", "json", "--chat", "-1", "--output", str(out)]) == 0
    assert "exported 2 incidents" in capsys.readouterr().err
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [item["id"] for item in data] == [2, 1]
    assert data[0]["hits"] == [LINK.to_dict()]
    assert main(["export", "--format", "json", "--chat", "-5", "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == []


def test_missing_database_is_an_error_not_a_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pointing at no database exits 1 with the path, and creates nothing."""
    path = tmp_path / "absent.db"
    monkeypatch.setenv("SCAMGUARD_DB", str(path))
    assert main(["incidents"]) == 1
    assert f"no database at {path}" in capsys.readouterr().err
    assert not path.exists()


def test_corrupted_database_exits_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A corrupted file exits 1 naming the file, and an export leaves no partial file."""
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is not a database at all" * 200)
    monkeypatch.setenv("SCAMGUARD_DB", str(path))
    assert main(["stats"]) == 1
    assert f"{path} is corrupted" in capsys.readouterr().err
    out = tmp_path / "export.csv"
    assert main(["export", "--format", "csv", "-o", str(out)]) == 1
    assert f"{path} is corrupted" in capsys.readouterr().err
    assert not out.exists()


def test_bad_since_is_a_usage_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable --since stops with argparse's usage error (exit 2)."""
    with pytest.raises(SystemExit) as stop:
        main(["incidents", "--since", "last tuesday"])
    assert stop.value.code == 2
    assert "not a date" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", datetime(2026, 5, 3, 12, 0, tzinfo=UTC)),
        ("12h", datetime(2026, 5, 10, 0, 0, tzinfo=UTC)),
        ("30m", datetime(2026, 5, 10, 11, 30, tzinfo=UTC)),
        ("2026-05-01", datetime(2026, 5, 1, tzinfo=UTC)),
        ("2026-05-01T08:30+02:00", datetime(2026, 5, 1, 6, 30, tzinfo=UTC)),
    ],
    ids=["days", "hours", "minutes", "date", "time-with-offset"],
)
def test_parse_since(text: str, expected: datetime) -> None:
    """--since takes spans back from now and ISO dates or times."""
    now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    assert parse_since(text, now) == expected


def test_db_option_names_the_database_over_the_environment(
    db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--db FILE or --db postgresql://... is read instead of SCAMGUARD_DB."""
    monkeypatch.setenv("SCAMGUARD_DB", str(tmp_path / "elsewhere.db"))
    assert main(["incidents", "--json", "--db", db]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3


def test_unreachable_postgresql_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A PostgreSQL server that is not there: exit status and a message naming it, no
    password."""
    assert main(["stats", "--db", "postgresql://bot:hunter2@127.0.0.1:9/scamguard"]) != 0
    err = capsys.readouterr().err
    assert "cannot reach PostgreSQL database bot@127.0.0.1:9/scamguard" in err
    assert "hunter2" not in err
