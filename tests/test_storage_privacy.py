"""Privacy by default: secrets in a message never reach the database file unless the chat
opted in to keep evidence, and the retention purge removes kept text from the file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.indicators import extract_indicators
from bot.core.model import CheckRequest, Hit, Severity
from bot.core.redact import text_hash
from bot.storage import SqliteStorage

# A valid BIP39 phrase (its checksum holds), as a real leaked one would be.
MNEMONIC = "lab vault plug ripple visual core alley judge train enable spy ten"
PRIVATE_KEY = "1afb763c1f1ddb61ab1e6314ab1fd28f4fc20b61e89d9ac53b7926fbadb064c9"
PHONE = "+84 912 345 678"
CARD = "4539 1488 0343 6467"

# What must never appear in the file: each secret as written and in its bare form.
SECRETS = {
    "mnemonic": [MNEMONIC, "ripple visual core alley", "judge train enable"],
    "private-key": [PRIVATE_KEY, PRIVATE_KEY[8:40]],
    "phone": [PHONE, "912 345 678", "912345678"],
    "card": [CARD, "4539148803436467", "1488 0343"],
}
MESSAGES = {
    "mnemonic": f"Wallet support here. Reply with your 12 words to unlock: {MNEMONIC}",
    "private-key": f"my private key is {PRIVATE_KEY} please help me move the funds",
    "phone": f"Call our recovery desk on {PHONE} to get your coins back today",
    "card": f"To verify your account pay the fee with card {CARD} exp 09/29 cvv 123",
}
HIT = Hit("key-request.seed-phrase", "key_request", Severity.CRITICAL,
          "asks for a wallet recovery phrase")
START = datetime(2026, 1, 10, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def storage(tmp_path: Path, clock: Clock) -> AsyncIterator[SqliteStorage]:
    store = await SqliteStorage.open(tmp_path / "private.db", clock=clock)
    try:
        yield store
    finally:
        await store.close()


def file_bytes(folder: Path) -> bytes:
    """Everything SQLite has on disk: the database, its write-ahead log and shared memory."""
    return b"".join(p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file())


def _indicators(text: str) -> Any:
    return extract_indicators(CheckRequest(text=text))


@pytest.mark.parametrize("kind", list(SECRETS), ids=list(SECRETS))
async def test_secret_never_reaches_the_file(
    storage: SqliteStorage, tmp_path: Path, kind: str
) -> None:
    """Incident and private check store a redacted excerpt and a hash, never the secret,
    neither in the database nor in its write-ahead log."""
    text = MESSAGES[kind]
    incident_id = await storage.add_incident(-1, 5, 6, "scam", 0.99, (HIT,), text,
                                             _indicators(text))
    await storage.add_private_check(6, "scam", 0.99, (HIT,), _indicators(text), text)
    on_disk = file_bytes(tmp_path)
    for secret in SECRETS[kind]:
        assert secret.encode() not in on_disk, secret
    incident = await storage.get_incident(incident_id)
    assert incident is not None
    assert incident.full_text is None
    assert incident.text_hash == text_hash(text)
    assert incident.excerpt != text and incident.excerpt
    check = await storage.last_private_check(6)
    assert check is not None and check.full_text is None
    assert check.text_hash == text_hash(text)


async def test_all_secrets_in_one_message_and_its_rows(
    storage: SqliteStorage, tmp_path: Path
) -> None:
    """A message carrying every kind at once: no row of any table holds any of them."""
    text = " ".join(MESSAGES.values())
    incident_id = await storage.add_incident(-1, 5, 6, "scam", 1.0, (HIT,), text,
                                             _indicators(text))
    await storage.record_action(incident_id, "delete", True)
    await storage.add_feedback(incident_id, 9, "confirmed", f"they also sent {PHONE}")
    await storage.close()
    raw = sqlite3.connect(tmp_path / "private.db")
    try:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = "\n".join(
            repr(row) for table in tables for row in raw.execute(f"SELECT * FROM {table}")
        )
    finally:
        raw.close()
    assert "unlock" in dump  # the non-secret words of the excerpt are there
    for kind, variants in SECRETS.items():
        for secret in variants:
            assert secret not in dump, (kind, secret)
    on_disk = file_bytes(tmp_path)
    for variants in SECRETS.values():
        for secret in variants:
            assert secret.encode() not in on_disk, secret


async def test_kept_evidence_stores_the_full_text(storage: SqliteStorage, tmp_path: Path) -> None:
    """With keep_full the text and indicators are kept whole (the opt-in works)."""
    text = MESSAGES["phone"]
    incident_id = await storage.add_incident(-1, 5, 6, "scam", 0.99, (HIT,), text,
                                             _indicators(text), keep_full=True)
    incident = await storage.get_incident(incident_id)
    assert incident is not None
    assert incident.full_text == text
    assert PHONE.encode() in file_bytes(tmp_path)


async def test_purge_removes_kept_text_from_the_file(
    storage: SqliteStorage, tmp_path: Path, clock: Clock
) -> None:
    """After the retention purge, the text of old incidents and checks is gone from the
    bytes on disk, while newer records stay."""
    old_text = "OLD-EVIDENCE-7f3a send 0.5 BTC to the recovery agent"
    await storage.add_incident(-1, 1, 2, "scam", 0.9, (HIT,), old_text, None, keep_full=True)
    await storage.add_private_check(2, "scam", 0.9, (HIT,), None, old_text, keep_full=True)
    clock.now = START + timedelta(days=200)
    new_text = "NEW-EVIDENCE-91bc claim the airdrop here"
    await storage.add_incident(-1, 3, 2, "scam", 0.9, (HIT,), new_text, None, keep_full=True)
    assert b"OLD-EVIDENCE-7f3a" in file_bytes(tmp_path)
    removed = await storage.purge(START + timedelta(days=90))
    assert removed == 2
    on_disk = file_bytes(tmp_path)
    assert b"OLD-EVIDENCE-7f3a" not in on_disk
    assert b"NEW-EVIDENCE-91bc" in on_disk
