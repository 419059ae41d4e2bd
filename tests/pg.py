"""A fresh PostgreSQL database per test on the server named by SCAMGUARD_TEST_PG (started by
`tools/pg-cluster.sh`, which `.ci/run` runs). Without the variable or the server a test that
asks for one fails with a message that says how to start it: it never skips."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.storage import PostgresStorage, SqliteStorage

ENV = "SCAMGUARD_TEST_PG"
HOW = 'start one with: eval "$(tools/pg-cluster.sh start)"'


def server_dsn() -> str:
    """The DSN of the test server's maintenance database; fails the test when unset."""
    dsn = os.environ.get(ENV, "").strip()
    if not dsn:
        pytest.fail(f"{ENV} is not set: the PostgreSQL tests need a server; {HOW}",
                    pytrace=False)
    return dsn


def with_database(dsn: str, name: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """Create an empty database, yield its DSN, drop it afterwards (connections included)."""
    admin_dsn = server_dsn()
    name = f"sg_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(admin_dsn, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"cannot reach the PostgreSQL test server {ENV}={admin_dsn}: {exc}; {HOW}",
                    pytrace=False)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        try:
            yield with_database(admin_dsn, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def query(dsn: str, sql: str, *params: object) -> list[asyncpg.Record]:
    """Rows of one query run on a connection of its own."""
    con = await asyncpg.connect(dsn, timeout=10)
    try:
        return list(await con.fetch(sql, *params))
    finally:
        await con.close()


@asynccontextmanager
async def store_on(engine: str, folder: Path, clock: Callable[[], datetime]
                   ) -> AsyncIterator[SqliteStorage | PostgresStorage]:
    """A fresh repository on `engine` ("sqlite": a file in `folder`; "postgresql": a fresh
    database), closed afterwards: the body of the tests' two-engine `storage` fixtures."""
    store: SqliteStorage | PostgresStorage
    if engine == "sqlite":
        store = await SqliteStorage.open(folder / "scamguard.db", clock=clock)
        try:
            yield store
        finally:
            await store.close()
        return
    async with fresh_database() as url:
        store = await PostgresStorage.open(url, clock=clock)
        try:
            yield store
        finally:
            await store.close()
