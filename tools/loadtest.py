"""Load test: the real bot (`scamguard run`'s `serve`, built by `build_application`) long-polls
the fake Bot API over loopback HTTP and handles N updates across M group chats as fast as it
takes them. Reports updates/s, handling latency (p50 / p99), the time updates waited in the
queue, and peak memory; verifies that every scam got its incident, its deletion and a recorded
warning (posted in the background, flushed on stop), and that the messages the bot sent stayed
within Telegram's flood limits (30/s overall, 20/min per group).

Run from the repository root (it uses the fake in tests/fakes):

    .venv/bin/python tools/loadtest.py [--updates 10000] [--chats 500] [--scam-share 0.05]

With `--workers N` it starts N `scamguard run` processes in webhook mode instead and posts
the updates to them round-robin as Telegram would (at most --connections requests in flight,
Telegram's default 40), on the database `--db` names: for PostgreSQL
(`--db postgresql://user@host:port/postgres`) a scratch database is created on that server
for the run and dropped afterwards; without --db one worker uses a new SQLite file. Several
workers need PostgreSQL (they share the warning outbox and its one sender):

    .venv/bin/python tools/loadtest.py --workers 2 --db postgresql://scamguard@127.0.0.1:55432/postgres

Exit status 0 when every check passed, 1 otherwise. Traffic stays on 127.0.0.1 and the run
stops by itself (--deadline seconds at most).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.settings import Settings  # noqa: E402
from bot.wiring.services import build_services  # noqa: E402
from tests.fakes import TOKEN, FakeBotApi, FakeBotServer  # noqa: E402

OVERALL_PER_SECOND = 30
PER_GROUP_PER_MINUTE = 20

# Our own examples: scams of several kinds and ordinary group talk.
SCAMS = (
    "Hello, I am from the support team. Send me your 12-word recovery phrase so I can "
    "restore your wallet",
    "Send me the 6-digit code you just received to confirm your account",
    "Your wallet is flagged. Validate it now at https://walletconnect-sync.xyz or lose "
    "your funds",
    "Please DM @wallet_help_desk with your seed phrase to unlock the withdrawal",
    "Airdrop live! Connect your wallet at https://claim-airdrop-bonus.top to receive "
    "5000 USDT",
)
CLEAN = (
    "Lunch at noon tomorrow?",
    "The slides from yesterday's meetup are in the shared folder",
    "Never share your seed phrase with anyone, admins will never DM you first",
    "Does anyone know when the next release is planned?",
    "Thanks everyone for joining the call today",
    "I moved my savings to a hardware wallet last week, very happy with it",
    "Who is bringing snacks on Saturday?",
    "The bridge fees were high this morning, waited an hour for them to drop",
)


@dataclass
class Plan:
    """The generated traffic: raw updates and which (chat, message id) are scams."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    scams: set[tuple[int, int]] = field(default_factory=set)


def make_plan(n_updates: int, n_chats: int, scam_share: float, seed: int) -> Plan:
    """Updates spread round-robin over the chats (as a busy instance sees them), a share of
    them scams, senders varied, one in ten an edit of an earlier clean message."""
    rng = random.Random(seed)
    plan = Plan()
    chat_ids = [-1002000000000 - i for i in range(n_chats)]
    next_id = defaultdict(lambda: 1)
    clean_sent: dict[int, list[dict[str, Any]]] = defaultdict(list)
    now = int(time.time())
    for n in range(n_updates):
        chat_id = chat_ids[n % n_chats]
        chat = {"id": chat_id, "type": "supergroup", "title": f"Load group {n % n_chats}"}
        sender = {"id": 5_000_000 + rng.randrange(20_000), "is_bot": False,
                  "first_name": f"Member{rng.randrange(1000)}"}
        if clean_sent[chat_id] and rng.random() < 0.1:
            earlier = dict(rng.choice(clean_sent[chat_id]))
            earlier["text"] = earlier["text"] + " (edited)"
            earlier["edit_date"] = now + n
            plan.updates.append({"edited_message": earlier})
            continue
        message_id = next_id[chat_id]
        next_id[chat_id] += 1
        is_scam = rng.random() < scam_share
        text = rng.choice(SCAMS if is_scam else CLEAN)
        msg = {"message_id": message_id, "date": now, "chat": chat, "from": sender,
               "text": text}
        plan.updates.append({"message": msg})
        if is_scam:
            plan.scams.add((chat_id, message_id))
        else:
            clean_sent[chat_id].append(msg)
    return plan


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def flood_violations(api: FakeBotApi) -> dict[str, Any]:
    """The highest number of messages sent in any 1-second window overall and in any
    60-second window per group, from the fake's call log."""
    sends = [c for c in api.calls() if c.method.startswith(("send", "copy", "forward"))]
    times = sorted(c.at for c in sends)
    window: deque[float] = deque()
    peak_overall = 0
    for t in times:
        window.append(t)
        while window[0] <= t - 1.0:
            window.popleft()
        peak_overall = max(peak_overall, len(window))
    per_chat: dict[int, list[float]] = defaultdict(list)
    for c in sends:
        chat_id = int(c.params.get("chat_id", 0))
        if chat_id < 0:
            per_chat[chat_id].append(c.at)
    peak_group = 0
    for chat_times in per_chat.values():
        chat_times.sort()
        start = 0
        for end, t in enumerate(chat_times):
            while chat_times[start] <= t - 60.0:
                start += 1
            peak_group = max(peak_group, end - start + 1)
    return {"messages_sent": len(sends), "peak_per_second": peak_overall,
            "peak_per_group_minute": peak_group}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.commands.run import serve

    plan = make_plan(args.updates, args.chats, args.scam_share, args.seed)
    api = FakeBotApi(TOKEN)
    api.poll_wait = 0.2
    handed_at: dict[int, float] = {}
    original = api._api_getUpdates

    async def timed_get_updates(params: dict[str, Any]) -> Any:
        status, body = await original(params)
        now = time.perf_counter()
        for update in body.get("result") or []:
            handed_at.setdefault(update["update_id"], now)
        return status, body

    api._api_getUpdates = timed_get_updates  # type: ignore[method-assign]
    scam_ids: set[int] = set()
    first_ids: set[int] = set()
    seen_chats: set[int] = set()
    for raw in plan.updates:
        update_id = api.add_update(raw)
        msg = raw.get("message") or raw.get("edited_message") or {}
        chat_id = msg["chat"]["id"]
        if "message" in raw and (chat_id, msg["message_id"]) in plan.scams:
            scam_ids.add(update_id)
        if chat_id not in seen_chats:
            seen_chats.add(chat_id)
            first_ids.add(update_id)
    server = await FakeBotServer(api).start()
    workdir = Path(tempfile.mkdtemp(prefix="scamguard-load-"))
    settings = replace(
        Settings(), token=TOKEN, api_url=server.base_url, db_path=workdir / "load.db",
        rules_watch_seconds=0.0,
    )
    services = await build_services(settings)
    handling: list[float] = []
    by_kind: dict[str, list[float]] = defaultdict(list)
    waiting: list[float] = []
    done = asyncio.Event()
    first_handed = last_done = 0.0

    def hook(web_app: Any) -> None:
        from bot.app import APPLICATION_KEY

        application = web_app[APPLICATION_KEY]
        process = application.process_update

        async def measured(update: Any) -> None:
            nonlocal last_done
            started = time.perf_counter()
            try:
                await process(update)
            finally:
                last_done = time.perf_counter()
                handling.append(last_done - started)
                update_id = getattr(update, "update_id", -1)
                kind = ("first_in_chat" if update_id in first_ids
                        else "scam" if update_id in scam_ids else "other")
                by_kind[kind].append(last_done - started)
                handed = handed_at.get(update_id)
                if handed is not None:
                    waiting.append(started - handed)
                if len(handling) >= len(plan.updates):
                    done.set()

        application.process_update = measured

    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop, services=services, extend_web_app=hook))
    timed_out = False
    try:
        try:
            await asyncio.wait_for(done.wait(), args.deadline)
        except TimeoutError:
            timed_out = True
        first_handed = min(handed_at.values(), default=0.0)
        elapsed = max(last_done - first_handed, 1e-9)
        stop.set()
        await asyncio.wait_for(task, 120)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        incidents = await services.storage.list_incidents(None, limit=len(plan.updates) * 2)
    finally:
        stop.set()
        if not task.done():
            task.cancel()
        await services.close()
        await server.close()
    by_key: dict[tuple[int, int], Any] = {}
    for incident in incidents:
        if (incident.chat_id, incident.message_id) in plan.scams:
            by_key.setdefault((incident.chat_id, incident.message_id), incident)
    missing_incident = plan.scams - set(by_key)
    not_deleted = {k for k, i in by_key.items()
                   if not any(a.action == "delete" and a.ok for a in i.actions)}
    not_gone = {k for k in plan.scams if k not in api.deleted}
    # Warnings are posted in the background: a graceful stop still posts or records each.
    not_warned = {k for k, i in by_key.items() if not any(a.action == "warn" for a in i.actions)}
    false_positives = len([i for i in incidents
                           if (i.chat_id, i.message_id) not in plan.scams])
    flood = flood_violations(api)
    checks = {
        "all_updates_handled": not timed_out and len(handling) == len(plan.updates),
        "every_scam_has_an_incident": not missing_incident,
        "every_scam_deleted": not not_deleted and not not_gone,
        "every_scam_warning_recorded": not not_warned,
        "flood_overall_ok": flood["peak_per_second"] <= OVERALL_PER_SECOND,
        "flood_per_group_ok": flood["peak_per_group_minute"] <= PER_GROUP_PER_MINUTE,
    }
    rate = len(handling) / elapsed
    return {
        "updates": len(plan.updates),
        "chats": args.chats,
        "scams": len(plan.scams),
        "handled": len(handling),
        "seconds": round(elapsed, 2),
        "updates_per_second": round(rate, 1),
        "handling_ms": {"p50": round(1000 * percentile(handling, 0.5), 2),
                        "p99": round(1000 * percentile(handling, 0.99), 2)},
        # The first update of a chat also waits for getChatAdministrators (then cached).
        "handling_p99_ms_by_kind": {kind: round(1000 * percentile(values, 0.99), 2)
                                    for kind, values in sorted(by_kind.items())},
        "queue_wait_ms": {"p50": round(1000 * percentile(waiting, 0.5), 1),
                          "p99": round(1000 * percentile(waiting, 0.99), 1)},
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "incidents": len(incidents),
        "incidents_not_scams": false_positives,
        "flood": flood,
        "checks": checks,
        "target_updates_per_second": args.target,
        "target_met": rate >= args.target,
        "ok": all(checks.values()),
    }


async def _metric_total(session: Any, url: str, name: str) -> float:
    """The sum of one counter's samples on a worker's /metrics (0 when unreachable)."""
    try:
        async with session.get(url) as response:
            text = await response.text()
    except OSError:
        return 0.0
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_workers(args: argparse.Namespace) -> dict[str, Any]:
    """N worker processes in webhook mode on one database, updates posted to them."""
    import signal
    import uuid

    import aiohttp

    from bot.storage import open_storage
    from bot.storage.postgres import is_postgres_url
    from tests.pg import with_database

    if args.workers > 1 and not (args.db and is_postgres_url(args.db)):
        raise SystemExit("--workers > 1 needs --db postgresql://... (a shared database)")
    plan = make_plan(args.updates, args.chats, args.scam_share, args.seed)
    api = FakeBotApi(TOKEN)
    server = await FakeBotServer(api).start()
    workdir = Path(tempfile.mkdtemp(prefix="scamguard-load-"))
    scratch: str | None = None
    admin: Any = None
    if args.db and is_postgres_url(args.db):
        import asyncpg

        admin = await asyncpg.connect(args.db)
        scratch = f"scamguard_load_{uuid.uuid4().hex[:10]}"
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        database = with_database(args.db, scratch)
    else:
        database = args.db or str(workdir / "load.db")
    # Migrate once before the workers start (they would also agree among themselves).
    await (await open_storage(database)).close()
    secret = uuid.uuid4().hex
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SCAMGUARD_")},
        "SCAMGUARD_TOKEN": TOKEN, "SCAMGUARD_API_URL": server.base_url,
        "SCAMGUARD_DB": database, "SCAMGUARD_MODE": "webhook",
        "SCAMGUARD_WEBHOOK_SECRET": secret, "SCAMGUARD_RULES_WATCH": "0",
        "SCAMGUARD_LOG_LEVEL": "WARNING", "PTB_TIMEDELTA": "1",
    }
    ports = [_free_port() for _ in range(args.workers)]
    procs: list[asyncio.subprocess.Process] = []
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.connections))
    timed_out = False
    try:
        for port in ports:
            env = {**base_env, "SCAMGUARD_HTTP": f"127.0.0.1:{port}",
                   "SCAMGUARD_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram"}
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=env, cwd=ROOT,
                stdout=asyncio.subprocess.DEVNULL))
        deadline = time.perf_counter() + 60
        while len(api.calls("setWebhook")) < args.workers:
            if time.perf_counter() > deadline or any(p.returncode is not None for p in procs):
                raise SystemExit("the workers did not start")
            await asyncio.sleep(0.05)
        metrics = [f"http://127.0.0.1:{port}/metrics" for port in ports]
        hooks = [f"http://127.0.0.1:{port}/telegram" for port in ports]
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        gate = asyncio.Semaphore(args.connections)

        async def deliver(n: int, raw: dict[str, Any]) -> None:
            body = {"update_id": n + 1, **raw}
            async with gate:
                while True:  # as Telegram: until answered 200
                    async with session.post(hooks[n % len(hooks)], json=body,
                                            headers=headers) as response:
                        if response.status == 200:
                            return
                    await asyncio.sleep(0.1)

        started = time.perf_counter()
        await asyncio.gather(*(deliver(n, raw) for n, raw in enumerate(plan.updates)))
        posted = time.perf_counter()
        # Handled: every update counted by a worker and every scam deleted.
        end = started + args.deadline
        while True:
            counted = sum([await _metric_total(session, url, "scamguard_updates_total")
                           for url in metrics])
            if counted >= len(plan.updates) and plan.scams <= api.deleted:
                break
            if time.perf_counter() > end:
                timed_out = True
                break
            await asyncio.sleep(0.05)
        finished = time.perf_counter()
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(proc.wait(), 120) for proc in procs]
        storage = await open_storage(database)
        try:
            incidents = await storage.list_incidents(None, limit=len(plan.updates) * 2)
        finally:
            await storage.close()
    finally:
        await session.close()
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await server.close()
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            await admin.close()
    by_key: dict[tuple[int, int], Any] = {}
    for incident in incidents:
        if (incident.chat_id, incident.message_id) in plan.scams:
            by_key.setdefault((incident.chat_id, incident.message_id), incident)
    warned: dict[tuple[int, int], int] = {k: sum(a.action == "warn" for a in i.actions)
                                          for k, i in by_key.items()}
    flood = flood_violations(api)
    checks = {
        "all_updates_handled": not timed_out,
        "workers_stopped_cleanly": codes == [0] * len(codes),
        "every_scam_has_an_incident": plan.scams == set(by_key),
        "every_scam_deleted": plan.scams <= api.deleted,
        "every_scam_warning_recorded_once": set(warned.values()) <= {1} and bool(warned),
        "flood_overall_ok": flood["peak_per_second"] <= OVERALL_PER_SECOND,
        "flood_per_group_ok": flood["peak_per_group_minute"] <= PER_GROUP_PER_MINUTE,
    }
    elapsed = max(finished - started, 1e-9)
    rate = len(plan.updates) / elapsed
    return {
        "workers": args.workers,
        "database": "postgresql" if scratch else "sqlite",
        "updates": len(plan.updates),
        "chats": args.chats,
        "scams": len(plan.scams),
        "seconds": round(elapsed, 2),
        "seconds_posting": round(posted - started, 2),
        "updates_per_second": round(rate, 1),
        "incidents": len(incidents),
        "incidents_not_scams": len(incidents) - len(by_key),
        "flood": flood,
        "checks": checks,
        "target_updates_per_second": args.target,
        "target_met": rate >= args.target,
        "ok": all(checks.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--scam-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deadline", type=float, default=300.0,
                        help="give up after this many seconds")
    parser.add_argument("--target", type=float, default=500.0, help="updates/s to reach")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="run N worker processes in webhook mode (default: the bot in "
                             "this process, long polling)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="with --workers: postgresql://... server (a scratch database is "
                             "made on it) or a SQLite file")
    parser.add_argument("--connections", type=int, default=40,
                        help="with --workers: webhook requests in flight at most")
    args = parser.parse_args(argv)
    if args.workers:
        result = asyncio.run(run_workers(args))
        if args.json:
            print(json.dumps(result, indent=2))
        else:
            flood = result["flood"]
            print(f"{result['workers']} worker(s) on {result['database']}: "
                  f"{result['updates']} updates across {result['chats']} chats "
                  f"({result['scams']} scams) in {result['seconds']} s: "
                  f"{result['updates_per_second']} updates/s; sent {flood['messages_sent']} "
                  f"messages, peak {flood['peak_per_second']}/s overall, "
                  f"{flood['peak_per_group_minute']}/min in one group; "
                  f"{result['incidents']} incidents, {result['incidents_not_scams']} not on "
                  "scams")
            for name, ok in result["checks"].items():
                print(f"  {'ok  ' if ok else 'FAIL'} {name}")
        return 0 if result["ok"] else 1
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{result['handled']}/{result['updates']} updates across {result['chats']} chats "
              f"({result['scams']} scams) in {result['seconds']} s: "
              f"{result['updates_per_second']} updates/s "
              f"(target {args.target:.0f}: {'met' if result['target_met'] else 'NOT met'})")
        print(f"handling p50 {result['handling_ms']['p50']} ms, p99 "
              f"{result['handling_ms']['p99']} ms; queue wait p50 "
              f"{result['queue_wait_ms']['p50']} ms, p99 {result['queue_wait_ms']['p99']} ms; "
              f"peak RSS {result['peak_rss_mib']} MiB (bot and fake server)")
        print("handling p99 by kind: " + ", ".join(
            f"{kind} {ms} ms" for kind, ms in result["handling_p99_ms_by_kind"].items()))
        flood = result["flood"]
        print(f"sent {flood['messages_sent']} messages; peak {flood['peak_per_second']}/s "
              f"overall, {flood['peak_per_group_minute']}/min in one group; "
              f"{result['incidents']} incidents, {result['incidents_not_scams']} not on scams")
        for name, ok in result["checks"].items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
