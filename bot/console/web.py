"""Routes of the web console under /console/: login, Check, Incidents, Rules, Statistics,
Operators. Server-rendered with Jinja2 (autoescaped), no script needed; every form but the
login carries the session's CSRF token; every page sends security headers and data pages
`Cache-Control: no-store`."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from telegram.ext import Application

from bot.console.analysis import analyse
from bot.console.charts import hbars, stacked_bars
from bot.console.rulestest import (
    RunResult,
    default_corpus_dir,
    feedback_lines,
    read_corpora,
    rule_changes,
    run_test,
    summary,
)
from bot.console.sessions import COOKIE, Session, Sessions, same
from bot.core.detector import THRESHOLDS
from bot.core.model import VERDICTS, ChatContext, ChatInfo, CheckRequest, Person, RequestError
from bot.core.redact import excerpt, text_hash
from bot.errors import RuleSetError, ScamguardError
from bot.rulesholder import ActiveRules, load_active
from bot.settings import Settings
from bot.storage.common import GLOBAL_SAMPLES, LIST_SETTINGS
from bot.storage.models import IncidentQuery, Sample, StorageValueError
from bot.wiring.services import SERVICES_KEY, Services

log = logging.getLogger(__name__)

PREFIX = "/console"
# The actor id the console's changes are recorded under (Telegram ids are never 0); the
# audit detail says "via": "console".
CONSOLE_ACTOR = 0
VIA = "console"
# Who a group's log chat says decided what the console did.
ACTOR_NAME = "the web console"
MAX_SAMPLES = 500
MAX_FORM = 256 * 1024
MAX_TEXT = 16_384
LOGIN_FAILURE_DELAY = 0.5
KEPT_RUNS = 8
PAGE = 50
STAT_DAYS = (7, 30, 90, 365)

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PUBLIC = frozenset({f"{PREFIX}/login", f"{PREFIX}/static/console.css"})
STATIC = Path(__file__).with_name("static")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# How the incidents page names where a mark came from (the audit's "via").
VIA_SHOWN = {VIA: "console", "log_chat": "log chat"}


@dataclass(frozen=True)
class SampleView:
    """A sample as the Operators page shows it: a redacted excerpt, never the whole text;
    `promoted`: a copy of it reaches every group."""

    sample: Sample
    excerpt: str
    promoted: bool


def _promoted_first(item: tuple[int, list[SampleView]]) -> tuple[bool, int]:
    return item[0] != GLOBAL_SAMPLES, item[0]


@dataclass
class ListsUpdate:
    running: bool = False
    finished: float | None = None
    updated: int = 0
    kept: int = 0
    error: str | None = None


@dataclass
class ConsoleState:
    """What the console keeps between requests: sessions, rules test runs (one at a time),
    the last lists update."""

    sessions: Sessions = field(default_factory=Sessions)
    runs: OrderedDict[int, RunResult | tuple[RunResult, RunResult]] = field(
        default_factory=OrderedDict)
    run_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_run: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lists: ListsUpdate = field(default_factory=ListsUpdate)
    # How a lists update is done: `bot.wiring.listsjob.refresh_lists` unless replaced.
    refresh_lists: Callable[[Services], Awaitable[tuple[int, int]]] | None = None
    run_seconds: float = 120.0


CONSOLE_KEY: web.AppKey[ConsoleState] = web.AppKey("console", ConsoleState)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _when(value: float | datetime | None) -> str:
    if value is None:
        return "never"
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_env.filters["pct"] = _pct
_env.filters["when"] = _when


def session_of(request: web.Request) -> Session | None:
    """The request's console session, from its cookie."""
    return request.app[CONSOLE_KEY].sessions.get(request.cookies.get(COOKIE))


def render(request: web.Request, template: str, *, status: int = 200, **values: Any
           ) -> web.Response:
    session = session_of(request)
    page = _env.get_template(template).render(
        csrf=session.csrf if session else "", path=request.path, prefix=PREFIX, **values)
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _safe_next(value: str | None) -> str:
    if value and value.startswith(f"{PREFIX}/") and not value.startswith("//") \
            and "\\" not in value and "\n" not in value and "\r" not in value:
        return value
    return f"{PREFIX}/check"


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def console_middleware(state: ConsoleState) -> Any:
    """For /console paths: the session (else a redirect to the login), the CSRF token of
    every POST but the login's, and the security headers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not (request.path == PREFIX or request.path.startswith(f"{PREFIX}/")):
            return await handler(request)
        session = state.sessions.get(request.cookies.get(COOKIE))
        response: web.StreamResponse
        if session is None and request.path not in PUBLIC:
            target = f"{PREFIX}/login"
            if request.method == "GET" and request.path != PREFIX:
                target += "?" + urlencode({"next": request.path_qs})
            response = redirect(target)
        elif request.method == "POST" and request.path != f"{PREFIX}/login" and (
            session is None or not same((await request.post()).get("csrf"),  # type: ignore[arg-type]
                                        session.csrf)
        ):
            response = web.Response(status=403, text="Forbidden: the form's CSRF token is "
                                    "missing or stale. Reload the page and try again.")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = render(request, "message.html", status=exc.status,
                                  title=exc.reason, message=f"{request.path}: {exc.reason}")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path not in PUBLIC or request.path.endswith("/login"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return middleware


@dataclass
class Console:
    """The handlers; `services()` is read per request so a test may swap nothing in."""

    application: Application
    settings: Settings
    state: ConsoleState
    token: str
    probe: Any = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def services(self) -> Services:
        found: Services = self.application.bot_data[SERVICES_KEY]
        return found

    # -- login ---------------------------------------------------------------------------

    async def login_form(self, request: web.Request) -> web.Response:
        if session_of(request) is not None:
            return redirect(_safe_next(request.query.get("next")))
        return render(request, "login.html", error=None,
                      next=_safe_next(request.query.get("next")))

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        given = str(form.get("token", ""))
        target = _safe_next(str(form.get("next", "")))
        if not same(given, self.token):
            await asyncio.sleep(LOGIN_FAILURE_DELAY)
            log.warning("console: a login with a wrong token from %s", request.remote)
            return render(request, "login.html", status=401,
                          error="That token is not right.", next=target)
        old = session_of(request)
        if old is not None:
            self.state.sessions.end(old.id)
        session = self.state.sessions.create()
        response = redirect(target)
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="Strict",
                            path=f"{PREFIX}/", secure=request.secure)
        return response

    async def logout(self, request: web.Request) -> web.Response:
        session = session_of(request)
        self.state.sessions.end(session.id if session else None)
        response = redirect(f"{PREFIX}/login")
        response.del_cookie(COOKIE, path=f"{PREFIX}/")
        return response

    async def home(self, request: web.Request) -> web.Response:
        return redirect(f"{PREFIX}/check")

    async def css(self, request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(STATIC / "console.css")
        response.headers["Cache-Control"] = "max-age=3600"
        return response

    # -- check ---------------------------------------------------------------------------

    async def check_page(self, request: web.Request) -> web.Response:
        texts = self.services().rules.texts
        form: dict[str, str] = {"text": "", "sender": "", "admins": "", "urls": "",
                                "lang": "", "sensitivity": "normal"}
        if request.method == "GET":
            return render(request, "check.html", form=form, result=None, error=None,
                          languages=texts.languages, sensitivities=sorted(THRESHOLDS))
        posted = await request.post()
        for key in form:
            form[key] = str(posted.get(key, ""))[:MAX_TEXT]
        error = None
        result = None
        try:
            check, context = _request_of(form)
        except RequestError as exc:
            error = str(exc)
        else:
            if not check.text.strip() and not check.urls:
                error = "Paste a message to check."
            else:
                active = self.services().rules.active
                result = analyse(active.detector, active.texts, check, context)
        return render(request, "check.html", form=form, result=result, error=error,
                      languages=texts.languages, sensitivities=sorted(THRESHOLDS))

    # -- incidents -----------------------------------------------------------------------

    async def incidents(self, request: web.Request) -> web.Response:
        storage = self.services().storage
        q = request.query
        since, until = _day(q.get("from")), _day(q.get("to"))
        query = IncidentQuery(
            chat_id=_int(q.get("chat")),
            verdict=q.get("verdict") or None,
            category=q.get("category") or None,
            action=q.get("action") or None,
            since=datetime.combine(since, datetime.min.time(), UTC) if since else None,
            until=(datetime.combine(until, datetime.min.time(), UTC) + timedelta(days=1)
                   if until else None),
            before_id=_int(q.get("before")),
            limit=PAGE,
        )
        found = await storage.search_incidents(query)
        chats = await storage.known_chats()
        feedback: dict[int, list[str]] = {}
        for entry in await storage.list_audit(query.chat_id, limit=500):
            if entry.action in ("not_scam", "scam"):
                via = entry.detail.get("via")
                where = f" ({VIA_SHOWN.get(via, via)})" if via else ""
                for i in entry.detail.get("incidents", [entry.detail.get("incident")]):
                    feedback.setdefault(i, []).append(
                        f"{entry.action} by {entry.actor_id} at {_when(entry.created_at)}"
                        + where)
        categories = sorted({r.category for r in self.services().rules.detector.rules
                             .patterns.rules} | {c for i in found for c in i.categories})
        keep = {k: v for k, v in q.items() if k not in ("before", "marked") and v}
        more = None
        if len(found) == PAGE:
            more = "?" + urlencode({**keep, "before": found[-1].id})
        return render(request, "incidents.html", incidents=found, chats=chats,
                      filters=keep, verdicts=[v for v in VERDICTS if v != "clean"],
                      categories=categories,
                      actions=("delete", "warn", "restrict", "ban", "unban", "unrestrict"),
                      feedback=feedback, more=more, marked=q.get("marked"),
                      here=request.path + "?" + urlencode(
                          {k: v for k, v in q.items() if k != "marked" and v}))

    async def mark(self, request: web.Request) -> web.Response:
        from handlers.group import record_not_scam, record_scam

        services = self.services()
        form = await request.post()
        incident_id = _int(request.match_info["id"])
        kind = str(form.get("kind", ""))
        incident = await services.storage.get_incident(incident_id or 0)
        if incident is None or kind not in ("not_scam", "scam"):
            return render(request, "message.html", status=404, title="Not found",
                          message="No such incident, or an unknown mark.")
        if kind == "not_scam":
            await record_not_scam(self.application, services, incident.chat_id,
                                  [incident], CONSOLE_ACTOR, via=VIA, actor_name=ACTOR_NAME)
        else:
            await record_scam(services, incident, CONSOLE_ACTOR, via=VIA)
        back = str(form.get("back", "")).rstrip("?")
        target = back if back.startswith(f"{PREFIX}/incidents") else f"{PREFIX}/incidents"
        sep = "&" if "?" in target else "?"
        return redirect(f"{target}{sep}marked={incident.id}")

    # -- rules ---------------------------------------------------------------------------

    def _corpora_dir(self) -> Path | None:
        return default_corpus_dir(self.settings.corpus_dir)

    async def rules_page(self, request: web.Request) -> web.Response:
        holder = self.services().rules
        files = await asyncio.to_thread(_rule_files, holder.directory)
        detector = holder.detector
        return render(request, "rules.html", holder=holder, files=files,
                      summary=summary(detector), rules=detector.rules.patterns.rules,
                      warnings=[str(w) for w in detector.rules.warnings],
                      corpus=self._corpora_dir(), runs=list(reversed(self.state.runs.items())),
                      running=self.state.run_lock.locked())

    async def _corpora(self) -> Any:
        rows = await self.services().storage.labelled_lines()
        return await asyncio.to_thread(read_corpora, self._corpora_dir(), feedback_lines(rows))

    def _keep(self, result: RunResult | tuple[RunResult, RunResult]) -> int:
        run_id = next(self.state.next_run)
        self.state.runs[run_id] = result
        while len(self.state.runs) > KEPT_RUNS:
            self.state.runs.popitem(last=False)
        return run_id

    async def rules_test(self, request: web.Request) -> web.Response:
        if self.state.run_lock.locked():
            return render(request, "message.html", status=409, title="Busy",
                          message="A rules test is running; try again when it is done.")
        async with self.state.run_lock:
            active = self.services().rules.active
            corpora = await self._corpora()
            result = await asyncio.to_thread(run_test, active.detector, active.digest,
                                             "loaded rules", corpora, self.state.run_seconds)
        return redirect(f"{PREFIX}/rules/runs/{self._keep(result)}")

    async def rules_compare(self, request: web.Request) -> web.Response:
        form = await request.post()
        candidate = Path(str(form.get("candidate", "")).strip())
        if not str(candidate) or not await asyncio.to_thread(candidate.is_dir):
            return render(request, "message.html", status=400, title="No such directory",
                          message=f"{candidate} is not a directory on the server.")
        if self.state.run_lock.locked():
            return render(request, "message.html", status=409, title="Busy",
                          message="A rules test is running; try again when it is done.")
        async with self.state.run_lock:
            try:
                other: ActiveRules = await asyncio.to_thread(load_active, candidate)
            except RuleSetError as exc:
                return render(request, "message.html", status=422,
                              title="The candidate rules do not load",
                              message="\n".join(str(e) for e in exc.errors[:50]))
            active = self.services().rules.active
            corpora = await self._corpora()
            seconds = self.state.run_seconds / 2
            loaded = await asyncio.to_thread(run_test, active.detector, active.digest,
                                             "loaded rules", corpora, seconds)
            new = await asyncio.to_thread(run_test, other.detector, other.digest,
                                          str(candidate), corpora, seconds)
        return redirect(f"{PREFIX}/rules/runs/{self._keep((loaded, new))}")

    async def rules_run(self, request: web.Request) -> web.Response:
        run = self.state.runs.get(_int(request.match_info["id"]) or 0)
        if run is None:
            return render(request, "message.html", status=404, title="Not found",
                          message="That run is gone (only the last few are kept).")
        if isinstance(run, tuple):
            loaded, candidate = run
            active = self.services().rules.active
            changes: list[Any] = []
            try:
                other = await asyncio.to_thread(load_active, Path(candidate.label))
                changes = rule_changes(active.detector, other.detector)
                theirs = summary(other.detector)
            except (RuleSetError, OSError):
                theirs = None
            return render(request, "compare.html", loaded=loaded, candidate=candidate,
                          changes=changes, ours=summary(active.detector), theirs=theirs)
        return render(request, "run.html", run=run)

    async def reload(self, request: web.Request) -> web.Response:
        from handlers.operators import watcher_of

        services = self.services()
        result = await asyncio.to_thread(watcher_of(self.application).reload)
        services.metrics.observe_reload(result.ok, result.changed)
        await services.storage.audit(CONSOLE_ACTOR, None, "rules.reload",
                                     {"via": VIA, "ok": result.ok, "changed": result.changed})
        form = await request.post()
        back = str(form.get("back", ""))
        return redirect(back if back.startswith(PREFIX + "/") else f"{PREFIX}/rules")

    # -- statistics ----------------------------------------------------------------------

    async def _activity(self, request: web.Request) -> tuple[int, int | None, list[Any]]:
        days = _int(request.query.get("days")) or 30
        days = days if days in STAT_DAYS else 30
        chat = _int(request.query.get("chat"))
        since = datetime.combine(date.today() - timedelta(days=days - 1), datetime.min.time(),
                                 UTC)
        rows = await self.services().storage.activity(since, chat)
        return days, chat, rows

    async def stats(self, request: web.Request) -> web.Response:
        days, chat, rows = await self._activity(request)
        today = datetime.now(UTC).date()
        day_list = [(today - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
        index = {d: i for i, d in enumerate(day_list)}
        verdicts: dict[str, list[int]] = {"scam": [0] * days, "suspicious": [0] * days}
        fps = {"false positive": [0] * days, "confirmed": [0] * days}
        categories: Counter[str] = Counter()
        actions: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        per_group: dict[int, Counter[str]] = defaultdict(Counter)
        group_days: dict[int, list[int]] = defaultdict(lambda: [0] * days)
        private: Counter[str] = Counter()
        for row in rows:
            i = index.get(row.day)
            if row.kind == "verdict":
                if i is not None and row.key in verdicts:
                    verdicts[row.key][i] += row.count
                    group_days[row.chat_id][i] += row.count
                per_group[row.chat_id][row.key] += row.count
                per_group[row.chat_id]["incidents"] += row.count
            elif row.kind == "category":
                categories[row.key] += row.count
            elif row.kind == "action":
                name, _, result = row.key.rpartition(":")
                actions[name][0 if result == "ok" else 1] += row.count
                if result == "failed":
                    per_group[row.chat_id]["failed actions"] += row.count
            elif row.kind == "feedback":
                key = "false positive" if row.key == "false_positive" else "confirmed"
                if i is not None and row.key in ("false_positive", "confirmed"):
                    fps[key][i] += row.count
                per_group[row.chat_id][key] += row.count
            elif row.kind == "private_check":
                private[row.key] += row.count
        checked = _checked(self.services())
        return render(
            request, "stats.html", days=days, chat=chat, choices=STAT_DAYS,
            chats=await self.services().storage.known_chats(),
            verdict_chart=stacked_bars("Incidents per day", day_list, verdicts),
            feedback_chart=stacked_bars("Feedback per day", day_list, fps),
            category_chart=hbars("Incidents by category", list(categories.items())),
            group_chart=stacked_bars("Incidents per day, by group", day_list,
                                     _top_groups(group_days)),
            action_chart=hbars("Actions and their failures", [
                (f"{name} {result}", n) for name, (ok, failed) in actions.items()
                for result, n in (("ok", ok), ("failed", failed)) if n]),
            actions=sorted(actions.items()), per_group=sorted(per_group.items(),
                                                              key=lambda kv: str(kv[0])),
            private=private, checked=checked,
            totals={k: sum(v) for k, v in verdicts.items()},
            csv_link=f"{PREFIX}/stats.csv?" + urlencode(
                {"days": days, **({"chat": chat} if chat is not None else {})}),
        )

    async def stats_csv(self, request: web.Request) -> web.Response:
        days, _chat, rows = await self._activity(request)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["day", "chat_id", "kind", "key", "count"])
        for row in rows:
            writer.writerow([row.day, "" if row.chat_id is None else row.chat_id, row.kind,
                             _cell(row.key), row.count])
        return web.Response(
            text=out.getvalue(), content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition":
                     f'attachment; filename="scamguard-{days}d.csv"'},
        )

    # -- operators -----------------------------------------------------------------------

    async def operators(self, request: web.Request) -> web.Response:
        from bot.wiring.http import health

        services = self.services()
        status, body = await health(self.application, self.settings, self.probe)
        chats = [c for c in await services.storage.list_chat_settings()
                 if c.allow_domains or c.allow_handles or c.trusted_users]
        samples = await services.storage.list_sample_rows(None, limit=MAX_SAMPLES)
        promoted = {text_hash(s.text) for s in samples if s.chat_id == GLOBAL_SAMPLES}
        by_chat: dict[int, list[SampleView]] = defaultdict(list)
        # Newest first; the samples promoted to every group before those of single groups.
        for sample in reversed(samples):
            by_chat[sample.chat_id].append(SampleView(
                sample, excerpt(sample.text),
                sample.chat_id != GLOBAL_SAMPLES and text_hash(sample.text) in promoted))
        error = services.metrics.telegram_last_error
        return render(request, "operators.html", health_status=status, health=body,
                      chats=chats, samples=sorted(by_chat.items(), key=_promoted_first),
                      global_chat=GLOBAL_SAMPLES, lists=self.state.lists,
                      holder=services.rules, last_error=error,
                      telegram_ok=services.metrics.seconds_since_telegram_ok(),
                      notice=request.query.get("done"))

    async def unlist(self, request: web.Request) -> web.Response:
        services = self.services()
        form = await request.post()
        chat_id = _int(str(form.get("chat", "")))
        name = str(form.get("list", ""))
        item: Any = str(form.get("item", ""))
        if chat_id is None or name not in LIST_SETTINGS or not item:
            return render(request, "message.html", status=400, title="Bad request",
                          message="A chat, a list and an item are needed.")
        if name == "trusted_users":
            item = _int(item)
        services.chat_settings.invalidate(chat_id)
        try:
            await services.storage.remove_from_list(chat_id, CONSOLE_ACTOR, name, item)
        except StorageValueError as exc:
            return render(request, "message.html", status=400, title="Not changed",
                          message=str(exc))
        finally:
            services.chat_settings.invalidate(chat_id)
        return redirect(f"{PREFIX}/operators?done=removed")

    async def remove_sample(self, request: web.Request) -> web.Response:
        services = self.services()
        # The same audited removal as /lists in the group, for any chat's sample (a promoted
        # one too: every group's index is then rebuilt).
        removed = await services.storage.remove_sample(
            None, _int(request.match_info["id"]) or 0, CONSOLE_ACTOR)
        if removed is None:
            return render(request, "message.html", status=404, title="Not found",
                          message="No such sample.")
        services.contexts.invalidate(removed.chat_id)
        return redirect(f"{PREFIX}/operators?done=sample")

    async def update_lists(self, request: web.Request) -> web.Response:
        lists = self.state.lists
        if not lists.running:
            lists.running = True
            task = asyncio.get_running_loop().create_task(self._update_lists())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return redirect(f"{PREFIX}/operators?done=lists")

    async def _update_lists(self) -> None:
        from bot.wiring.listsjob import refresh_lists

        services = self.services()
        lists = self.state.lists
        try:
            refresh = self.state.refresh_lists or refresh_lists
            lists.updated, lists.kept = await refresh(services)
            lists.error = None
            await services.storage.audit(CONSOLE_ACTOR, None, "lists.update",
                                         {"via": VIA, "updated": lists.updated,
                                          "kept": lists.kept})
        except (ScamguardError, OSError) as exc:
            lists.error = str(exc)
        finally:
            lists.running = False
            lists.finished = time.time()


def _rule_files(directory: Path) -> list[tuple[str, int]]:
    """The rule files of a folder with their sizes."""
    files = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if "__pycache__" in path.parts or path.suffix == ".py":
            continue
        files.append((str(path.relative_to(directory)), path.stat().st_size))
    return files


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet does not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


GROUP_SERIES = 6


def _top_groups(group_days: dict[int, list[int]]) -> dict[str, list[int]]:
    """Per-day incident counts of the busiest groups, the rest summed as "other groups"."""
    ranked = sorted(group_days.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    series = {str(chat): counts for chat, counts in ranked[:GROUP_SERIES]}
    rest = [counts for _, counts in ranked[GROUP_SERIES:]]
    if rest:
        series["other groups"] = [sum(day) for day in zip(*rest, strict=True)]
    return series


def _checked(services: Services) -> dict[str, int]:
    """Messages checked since the bot started, by verdict (from the metrics)."""
    out: Counter[str] = Counter()
    for metric in services.metrics.check_seconds.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                out["all"] += int(sample.value)
    for metric in services.metrics.verdicts.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                out[sample.labels["verdict"]] += int(sample.value)
    return dict(out)


def _people(value: str) -> tuple[Person, ...]:
    people = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        name, _, handle = line.rpartition("@") if "@" in line else (line, "", "")
        people.append(Person(name=name.strip() or handle, username=handle.strip()))
    return tuple(people[:50])


def _request_of(form: dict[str, str]) -> tuple[CheckRequest, ChatContext]:
    """The Check form as a core request: sender "Name @handle", admins one per line, hidden
    URLs one per line."""
    sender = _people(form["sender"])
    admins = _people(form["admins"])
    urls = tuple(u.strip() for u in form["urls"].splitlines() if u.strip())[:50]
    sensitivity = form["sensitivity"] if form["sensitivity"] in THRESHOLDS else "normal"
    request = CheckRequest(
        text=form["text"],
        urls=urls,
        sender=sender[0] if sender else None,
        chat=ChatInfo(type="supergroup", title="", admins=admins) if admins else None,
        lang=form["lang"] or None,
    )
    return request, ChatContext(sensitivity=sensitivity)


def add_console_routes(web_app: web.Application, application: Application,
                       settings: Settings, state: ConsoleState | None = None) -> bool:
    """Serve the console at /console/ when SCAMGUARD_HTTP_TOKEN is set; False (and nothing
    added) without a token: the console is never open."""
    token = settings.http_token
    if not token:
        return False
    from bot.wiring.http import database_probe

    state = state or ConsoleState()
    web_app[CONSOLE_KEY] = state
    services: Services = application.bot_data[SERVICES_KEY]
    console = Console(application, settings, state, token,
                      probe=database_probe(settings, services))
    web_app.middlewares.append(console_middleware(state))
    r = web_app.router
    r.add_get(PREFIX, console.home)
    r.add_get(f"{PREFIX}/", console.home)
    r.add_get(f"{PREFIX}/login", console.login_form)
    r.add_post(f"{PREFIX}/login", console.login)
    r.add_post(f"{PREFIX}/logout", console.logout)
    r.add_get(f"{PREFIX}/static/console.css", console.css)
    r.add_get(f"{PREFIX}/check", console.check_page)
    r.add_post(f"{PREFIX}/check", console.check_page)
    r.add_get(f"{PREFIX}/incidents", console.incidents)
    r.add_post(f"{PREFIX}/incidents/{{id}}/mark", console.mark)
    r.add_get(f"{PREFIX}/rules", console.rules_page)
    r.add_post(f"{PREFIX}/rules/test", console.rules_test)
    r.add_post(f"{PREFIX}/rules/compare", console.rules_compare)
    r.add_get(f"{PREFIX}/rules/runs/{{id}}", console.rules_run)
    r.add_post(f"{PREFIX}/rules/reload", console.reload)
    r.add_get(f"{PREFIX}/stats", console.stats)
    r.add_get(f"{PREFIX}/stats.csv", console.stats_csv)
    r.add_get(f"{PREFIX}/operators", console.operators)
    r.add_post(f"{PREFIX}/operators/unlist", console.unlist)
    r.add_post(f"{PREFIX}/operators/samples/{{id}}/remove", console.remove_sample)
    r.add_post(f"{PREFIX}/operators/lists-update", console.update_lists)
    return True
