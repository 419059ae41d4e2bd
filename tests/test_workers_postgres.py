"""Two `scamguard run` worker processes in webhook mode on one PostgreSQL database and one
fake Bot API (served over loopback HTTP), updates posted to both as a load balancer would:
the outbox sender is killed (SIGKILL) while updates keep coming, and the run still has one
incident and exactly one warning per scam, never more than Telegram's flood limits, and a
setting changed through one worker used by the other at once."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from handlers.group import parse_not_scam_data
from tests.fakes import BOT_ID, TOKEN, FakeBotApi, FakeBotServer
from tests.fakes.updates import callback_update, group, message, message_update, person
from tests.pg import query

ROOT = Path(__file__).resolve().parent.parent
SECRET = "workers-test-secret"
SCAM = ("Hello, I am from Binance support. To unlock your account send me your 12-word "
        "recovery phrase")
CLEAN = "the meetup is at 5pm on Friday, see you there"
ALICE = person(1001, "Alice", "alice_admin")
CHATS = [-1003000000000 - n for n in range(24)]
SENDING = "this worker sends the outbox's warnings"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WorkerProcess:
    """One `python -m bot run` in webhook mode; its log goes to a file."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log = log
        self.env = {
            **env,
            "SCAMGUARD_HTTP": f"127.0.0.1:{self.port}",
            "SCAMGUARD_WEBHOOK_URL": f"http://127.0.0.1:{self.port}/telegram",
        }
        self.proc: asyncio.subprocess.Process | None = None

    def _log_file(self) -> int:
        return os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)

    async def start(self) -> None:
        out = self._log_file()
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL, stderr=out)
        finally:
            os.close(out)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def is_sender(self) -> bool:
        return SENDING in self.log.read_text(errors="replace")


async def until(check: Any, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


async def test_two_workers_survive_the_sender_being_killed(pg_url: str, tmp_path: Path) -> None:
    """Two workers, the sender killed mid-stream: nothing lost or doubled, within limits."""
    api = FakeBotApi()
    for chat_id in CHATS:
        api.set_admins(chat_id, [ALICE], owner=ALICE["id"])
    server = await FakeBotServer(api).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SCAMGUARD_")},
        "SCAMGUARD_TOKEN": TOKEN, "SCAMGUARD_API_URL": server.base_url,
        "SCAMGUARD_DB": pg_url, "SCAMGUARD_MODE": "webhook",
        "SCAMGUARD_WEBHOOK_SECRET": SECRET, "SCAMGUARD_RULES_WATCH": "0",
        "SCAMGUARD_LOG_LEVEL": "INFO", "PTB_TIMEDELTA": "1",
    }
    workers = [WorkerProcess(n, env, tmp_path / f"{n}.log") for n in ("a", "b")]
    update_ids = itertools.count(1)
    message_ids = itertools.count(100)
    session = aiohttp.ClientSession()

    async def post(w: WorkerProcess, raw: dict[str, Any]) -> None:
        """Deliver one update as Telegram does: retried (here: at once) until answered 200."""
        body = {"update_id": next(update_ids), **raw}
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with session.post(w.url, json=body, headers=headers) as response:
            assert response.status == 200, await response.text()

    def scam(chat_id: int, sender_id: int) -> dict[str, Any]:
        return message_update(message(group(chat_id), person(sender_id, f"M{sender_id}"), SCAM,
                                      message_id=next(message_ids)))

    def clean(chat_id: int) -> dict[str, Any]:
        return message_update(message(group(chat_id), person(4000, "Chatty"), CLEAN,
                                      message_id=next(message_ids)))

    async def sends() -> int:
        return len(api.calls("sendMessage"))

    try:
        for w in workers:
            await w.start()

        async def ready() -> bool:
            if sum(w.is_sender() for w in workers) != 1:
                return False
            return len(api.calls("setWebhook")) >= 2

        await until(ready, 60, "both workers up, one of them the sender")
        a, b = workers

        # Phase 1: scams in twelve chats through both workers; chat 0 is seen by B first.
        await post(b, scam(CHATS[0], 5000))
        await asyncio.gather(*(post(workers[n % 2], scam(CHATS[n], 5000 + n))
                               for n in range(1, 12)))
        await until(lambda: _value(len(api.calls("sendMessage")) >= 12), 20, "phase 1 warnings")

        # A setting changed through A (an admin's keyboard press) applies in B at once.
        keyboard = message(group(CHATS[0]), person(BOT_ID, "Scamguard"), "settings",
                           message_id=next(message_ids))
        await post(a, callback_update(ALICE, keyboard, "set:scam_action:ban", "q1"))
        await until(lambda: _value(bool(api.calls("answerCallbackQuery"))), 10, "the press")
        await post(b, scam(CHATS[0], 6000))
        await until(lambda: _value(bool(api.calls("banChatMember"))), 10, "ban through B")
        assert api.calls("banChatMember")[0].params["user_id"] == 6000

        # Phase 2: once the outbox is drained, kill the sender while clean traffic keeps
        # coming through the other worker, then scams in twelve more chats go to the other.
        async def drained() -> bool:
            rows = await query(pg_url, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
                                       " AND chat_id <> $1", CHATS[0])
            return int(rows[0][0]) == 0

        await until(drained, 20, "outbox drained")
        sender = next(w for w in workers if w.is_sender())
        other = b if sender is a else a
        chatter = asyncio.gather(*(post(other, clean(CHATS[n % 24])) for n in range(40)))
        assert sender.proc is not None
        sender.proc.send_signal(signal.SIGKILL)
        await sender.proc.wait()
        await chatter
        before = await sends()
        for n in range(12, 24):
            await post(other, scam(CHATS[n], 5000 + n))
        await until(lambda: _value(other.is_sender()), 20, "the other worker takes over")
        await until(lambda: _value(len(api.calls("sendMessage")) >= before + 12), 20,
                    "phase 2 warnings")

        # A clean stop of the survivor posts what the per-chat interval still holds.
        assert other.proc is not None
        other.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(other.proc.wait(), 30) == 0
    finally:
        await session.close()
        for w in workers:
            if w.proc is not None and w.proc.returncode is None:
                w.proc.send_signal(signal.SIGKILL)
                await w.proc.wait()
        await server.close()

    incidents = {r[0]: r[1] for r in await query(pg_url, "SELECT id, chat_id FROM incidents")}
    assert len(incidents) == 25  # 24 chats, and the second scam in chat 0
    warned: Counter[int] = Counter()
    for call in api.calls("sendMessage"):
        data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        parsed = parse_not_scam_data(data)
        assert parsed is not None and not parsed[1]
        warned.update(parsed[0])
    assert set(warned) == set(incidents), "every scam warned about"
    assert set(warned.values()) == {1}, "no scam warned about twice"
    times = sorted(c.at for c in api.calls("sendMessage"))
    assert max(sum(1 for t in times if s <= t < s + 1.0) for s in times) <= 30
    per_chat: defaultdict[int, list[float]] = defaultdict(list)
    for call in api.calls("sendMessage"):
        per_chat[call.params["chat_id"]].append(call.at)
    for stamps in per_chat.values():
        assert max(sum(1 for t in stamps if s <= t < s + 60.0) for s in stamps) <= 20
    unsent = await query(pg_url, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
    assert unsent[0][0] == 0


async def _value(result: object) -> object:
    return result


pytestmark = pytest.mark.e2e
