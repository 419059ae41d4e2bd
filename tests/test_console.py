"""The web console's pages and forms through the real web app of `build_web_app()` (real
SQLite, real rules, the fake Bot API): login and sessions, CSRF, escaping, filters, the
feedback path, rules test runs, statistics and CSV, operator actions."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application, build_web_app
from bot.console.analysis import telegram_html
from bot.settings import HttpAddress, Settings
from bot.wiring.services import Services
from tests.conftest import fake_builder
from tests.consoleapp import (
    BLIND_HAM,
    BLIND_SCAM,
    GROUP,
    HOSTILE,
    HTTP_TOKEN,
    SAFE,
    SCAM,
    TRAIN_HAM,
    Console,
    add_incident,
    serve_console,
    write_corpus,
)
from tests.fakes import FakeBotApi

PAGES = ("/console/check", "/console/incidents", "/console/rules", "/console/stats",
         "/console/operators", "/console/stats.csv")


@pytest.fixture
async def console(settings: Settings, services: Services, fake_api: FakeBotApi,
                  tmp_path: Path) -> AsyncIterator[Console]:
    async with serve_console(settings, services, fake_api,
                             write_corpus(tmp_path / "corpus")) as found:
        yield found


@pytest.fixture
async def logged_in(console: Console) -> Console:
    await console.login()
    return console


# ---- auth ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_redirects_to_the_login_without_a_session(console: Console,
                                                                   path: str):
    """No cookie: a redirect to the login that remembers where the user was going."""
    status, _ = await console.page(path)
    assert status == 303
    async with console.client.get(path, allow_redirects=False) as response:
        assert response.headers["Location"].startswith("/console/login?next=")


async def test_login_with_the_token_sets_a_strict_httponly_session_cookie(console: Console):
    """The right token: a random session id (not the token) in an HttpOnly, SameSite=Strict
    cookie scoped to /console/, and the pages open."""
    async with console.client.post("/console/login", data={"token": HTTP_TOKEN},
                                   allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console/" in cookie
    assert HTTP_TOKEN not in cookie
    for path in PAGES:
        status, text = await console.page(path)
        assert status == 200, (path, text)


async def test_a_wrong_token_is_refused(console: Console):
    async with console.client.post("/console/login", data={"token": "wrong"},
                                   allow_redirects=False) as response:
        assert response.status == 401
        assert "Set-Cookie" not in response.headers
        assert "not right" in await response.text()
    status, _ = await console.page("/console/check")
    assert status == 303


async def test_logout_ends_the_session(logged_in: Console):
    status, _, location = await logged_in.post("/console/logout", {})
    assert status == 303 and location == "/console/login"
    status, _ = await logged_in.page("/console/check")
    assert status == 303


async def test_login_does_not_redirect_off_the_console(console: Console):
    """`next` must be a console path: no open redirect."""
    for target in ("https://evil.example/", "//evil.example/", "/healthz"):
        async with console.client.post(
            "/console/login", data={"token": HTTP_TOKEN, "next": target},
            allow_redirects=False,
        ) as response:
            assert response.headers["Location"] == "/console/check"


async def test_pages_send_security_headers_and_no_store(logged_in: Console):
    async with logged_in.client.get("/console/incidents") as response:
        headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_without_an_http_token_there_is_no_console(settings: Settings,
                                                         services: Services,
                                                         fake_api: FakeBotApi):
    """SCAMGUARD_HTTP without SCAMGUARD_HTTP_TOKEN (loopback): /console/ is not served."""
    from aiohttp.test_utils import TestClient, TestServer

    plain = replace(settings, http=HttpAddress("127.0.0.1", 0))
    app = build_application(plain, services, builder=fake_builder(fake_api))
    client = TestClient(TestServer(build_web_app(app, plain), host="127.0.0.1"))
    await client.start_server()
    try:
        for path in ("/console/login", "/console/check"):
            async with client.get(path, allow_redirects=False) as response:
                assert response.status == 404
    finally:
        await client.close()


# ---- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/console/check", "/console/incidents/1/mark", "/console/rules/test",
    "/console/rules/compare", "/console/rules/reload", "/console/operators/unlist",
    "/console/operators/samples/1/remove", "/console/operators/lists-update",
    "/console/logout",
])
async def test_every_form_refuses_a_post_without_the_csrf_token(logged_in: Console,
                                                                path: str):
    incident = await add_incident(logged_in.services, SCAM)
    assert incident == 1
    for token in (None, "forged"):
        data = {"kind": "not_scam", "text": SCAM} | ({"csrf": token} if token else {})
        status, _, _ = await logged_in.post(path, data, csrf=False)
        assert status == 403, (path, token)
    storage = logged_in.services.storage
    assert (await storage.stats()).feedback == {}
    assert all(a.actor_id != 0 for a in await storage.list_audit())
    assert logged_in.services.rules.last_reload is None
    status, _ = await logged_in.page("/console/check")
    assert status == 200, "the session survives a refused form"


# ---- check ---------------------------------------------------------------------------------


async def test_check_explains_a_scam(logged_in: Console):
    """Verdict, score, each hit, highlighted spans, link table and eight replies."""
    status, page, _ = await logged_in.post("/console/check", {
        "text": SCAM + " or go to https://metamask-verify-wallet.com/login",
        "sender": "Helpdesk @wallet_help_desk", "admins": "Alice @alice_admin",
        "urls": "https://bit.ly/3abc", "lang": "", "sensitivity": "normal",
    })
    assert status == 200, page
    assert 'id="verdict">scam<' in page
    assert "key_request" in page and "critical" in page
    assert page.count("<mark") >= 2
    assert "metamask-verify-wallet.com" in page and "bit.ly" in page
    assert page.count('<details class="reply"') == 8
    for lang in ("en", "vi", "id", "zh", "th", "ms", "tl", "sv"):
        assert f'lang="{lang}"' in page


async def test_check_calls_a_safe_message_clean(logged_in: Console):
    status, page, _ = await logged_in.post("/console/check", {"text": SAFE})
    assert status == 200
    assert 'id="verdict">clean<' in page
    assert "No rule fired." in page


async def test_check_says_when_the_learned_layer_took_a_verdict_back(logged_in: Console):
    """A member reporting what a fake officer asked for: clean, the note says the learned
    layer took the rules' verdict back, and the rule hit is still shown."""
    status, page, _ = await logged_in.post("/console/check", {"text": (
        "My dad was called by a fake police officer who told him to move his savings to a "
        "safe account. He called me first.")})
    assert status == 200
    assert 'id="verdict">clean<' in page
    assert 'id="taken-back"' in page and "framed message" in page
    assert "official.safe-account" in page
    status, page, _ = await logged_in.post("/console/check", {"text": SAFE})
    assert 'id="taken-back"' not in page


async def test_check_escapes_hostile_text_everywhere(logged_in: Console):
    """Message, sender and URLs with markup come back as text only (and in the replies the
    bot would post)."""
    status, page, _ = await logged_in.post("/console/check", {
        "text": SCAM + HOSTILE, "sender": HOSTILE + " @evil_name", "urls": HOSTILE,
    })
    assert status == 200
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page


def test_telegram_html_keeps_only_telegram_tags():
    """A reply's own tags pass; anything else becomes text once."""
    out = telegram_html('<b>Scam</b> from &lt;script&gt; <a href="x">y</a>')
    assert out == '<b>Scam</b> from &lt;script&gt; &lt;a href=&#34;x&#34;&gt;y&lt;/a&gt;'


async def test_check_with_nothing_to_check_says_so(logged_in: Console):
    status, page, _ = await logged_in.post("/console/check", {"text": "  "})
    assert status == 200 and "Paste a message" in page


# ---- incidents -----------------------------------------------------------------------------


async def test_incidents_are_listed_escaped_with_their_hits(logged_in: Console):
    await add_incident(logged_in.services, "wallet scam " + HOSTILE)
    status, page = await logged_in.page("/console/incidents")
    assert status == 200
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "key-request.seed-phrase" in page


async def test_incident_filters(logged_in: Console):
    s = logged_in.services
    await add_incident(s, "first scam text", chat_id=GROUP, message_id=1, action="delete")
    await add_incident(s, "second suspicious text", chat_id=-100999, message_id=2,
                       verdict="suspicious", category="giveaway")
    _, page = await logged_in.page(f"/console/incidents?chat={GROUP}")
    assert "first scam text" in page and "second suspicious" not in page
    _, page = await logged_in.page("/console/incidents?verdict=suspicious")
    assert "second suspicious" in page and "first scam text" not in page
    _, page = await logged_in.page("/console/incidents?category=giveaway")
    assert "second suspicious" in page and "first scam text" not in page
    _, page = await logged_in.page("/console/incidents?action=delete")
    assert "first scam text" in page and "second suspicious" not in page
    _, page = await logged_in.page("/console/incidents?from=2000-01-01&to=2000-01-02")
    assert "No incidents match." in page
    _, page = await logged_in.page("/console/incidents?from=2000-01-01&chat=junk")
    assert "first scam text" in page and "second suspicious" in page


async def test_not_a_scam_takes_the_telegram_buttons_path(logged_in: Console):
    """Feedback recorded, the ban lifted on Telegram, and an audit entry via the console."""
    s = logged_in.services
    incident = await add_incident(s, "banned sender text", action="ban")
    status, _, location = await logged_in.post(f"/console/incidents/{incident}/mark",
                                               {"kind": "not_scam",
                                                "back": "/console/incidents?verdict=scam"})
    assert status == 303 and location == f"/console/incidents?verdict=scam&marked={incident}"
    unbans = logged_in.api.calls("unbanChatMember")
    assert [(c.params["chat_id"], c.params["user_id"]) for c in unbans] == [(GROUP, 4242)]
    audit = [a for a in await s.storage.list_audit() if a.action == "not_scam"]
    assert audit and audit[0].detail == {"incident": incident, "via": "console"}
    lines = await s.storage.labelled_lines()
    assert [(line["label"], line["source"]) for line in lines] == [
        ("ham", "feedback:false_positive")]
    _, page = await logged_in.page(location)
    assert "not_scam by 0" in page and "(console)" in page
    assert 'name="back" value="/console/incidents?verdict=scam"' in page


async def test_not_a_scam_clears_the_reputation_and_is_logged_like_the_buttons(
        logged_in: Console):
    """The shared "Not a scam" path: the sender's reputation across groups is cleared
    (audited) and the group's log chat gets an entry for the incident, with its buttons,
    saying the web console decided it."""
    s = logged_in.services
    log_chat = -100777
    await s.chat_settings.update(GROUP, 1, log_chat=log_chat)
    incident = await add_incident(s, "muted sender text", action="restrict")
    await s.storage.flag_user(4242, GROUP, incident)
    status, _, _ = await logged_in.post(f"/console/incidents/{incident}/mark",
                                        {"kind": "not_scam"})
    assert status == 303
    assert await s.storage.get_reputation(4242) is None
    cleared = [a for a in await s.storage.list_audit() if a.action == "reputation.clear"]
    assert [(a.actor_id, a.chat_id, a.detail) for a in cleared] == [
        (0, GROUP, {"user": 4242})]
    restricted = logged_in.api.calls("restrictChatMember")
    assert [(c.params["chat_id"], c.params["user_id"]) for c in restricted] == [(GROUP, 4242)]
    entries: list[Any] = []
    for _ in range(200):
        entries = [c for c in logged_in.api.calls("sendMessage")
                   if c.params["chat_id"] == log_chat]
        if entries:
            break
        await asyncio.sleep(0.01)
    [entry] = entries
    assert "marked as not a scam: the web console" in entry.params["text"]
    assert "muted sender text" in entry.params["text"]
    data = [b["callback_data"] for b in entry.params["reply_markup"]["inline_keyboard"][0]]
    assert data == [f"lg:fp:{incident}", f"lg:ub:{incident}", f"lg:bn:{incident}"]


async def test_scam_mark_records_a_confirmed_scam(logged_in: Console):
    s = logged_in.services
    incident = await add_incident(s, "confirmed text")
    status, _, _ = await logged_in.post(f"/console/incidents/{incident}/mark",
                                        {"kind": "scam"})
    assert status == 303
    assert [a.action for a in await s.storage.list_audit()].count("scam") == 1
    assert (await s.storage.stats()).feedback == {"confirmed": 1}


async def test_marking_an_unknown_incident_is_a_404(logged_in: Console):
    status, _, _ = await logged_in.post("/console/incidents/999/mark", {"kind": "scam"})
    assert status == 404


# ---- rules ---------------------------------------------------------------------------------


async def test_rules_page_lists_the_loaded_set(logged_in: Console):
    status, page = await logged_in.page("/console/rules")
    assert status == 200
    assert logged_in.services.rules.digest in page
    assert "key_request" in page and "patterns/" in page


async def test_rules_test_lists_train_lines_but_only_rates_of_the_blind_split(
        logged_in: Console):
    """The run redirects to its report: examples, rates, the train false positives and
    misses; of the blind split only rates, never a line."""
    s = logged_in.services
    incident = await add_incident(s, "marked as fine by an admin")
    await s.storage.add_feedback(incident, 1, "false_positive")
    status, _, location = await logged_in.post("/console/rules/test", {})
    assert status == 303 and location is not None
    status, page = await logged_in.page(location)
    assert status == 200, page
    assert "examples, 0 failed" in page
    assert "Blind split (rates only)" in page
    assert "BLINDLINE" not in page and BLIND_SCAM[10:40] not in page
    assert BLIND_HAM[10:] not in page
    assert "train/en.jsonl" in page and "1 feedback lines" in page
    if TRAIN_HAM in page:  # listed only if the rules flag it
        assert "False positives (0" not in page


async def test_compare_with_a_candidate_directory(logged_in: Console, tmp_path: Path):
    """A candidate with one rule file changed: both reports side by side and the rule
    that differs."""
    import shutil

    from bot.core.ruleset import load_ruleset

    rules_dir = logged_in.services.rules.directory
    candidate = tmp_path / "candidate"
    shutil.copytree(rules_dir, candidate, ignore=shutil.ignore_patterns("__pycache__"))
    rule = load_ruleset(rules_dir).patterns.rules[0]
    source = Path(rule.source)
    path = candidate / (source.relative_to(rules_dir) if source.is_absolute() else source)
    text = path.read_text(encoding="utf-8")
    assert rule.reason in text
    path.write_text(text.replace(rule.reason, rule.reason + " (edited)", 1), encoding="utf-8")
    status, _, location = await logged_in.post("/console/rules/compare",
                                               {"candidate": str(candidate)})
    assert status == 303 and location is not None
    status, page = await logged_in.page(location)
    assert status == 200, page
    assert "Rules that differ (1)" in page and rule.id in page and "(edited)" in page
    assert page.count("Blind split (rates only)") == 2


async def test_compare_refuses_a_missing_or_broken_candidate(logged_in: Console,
                                                             tmp_path: Path):
    status, page, _ = await logged_in.post("/console/rules/compare",
                                           {"candidate": str(tmp_path / "nope")})
    assert status == 400 and "not a directory" in page
    broken = tmp_path / "broken"
    (broken / "patterns").mkdir(parents=True)
    (broken / "patterns" / "x.yaml").write_text("rules: [oops", encoding="utf-8")
    status, page, _ = await logged_in.post("/console/rules/compare",
                                           {"candidate": str(broken)})
    assert status == 422 and "do not load" in page


async def test_reload_from_the_console_is_recorded(logged_in: Console):
    status, _, location = await logged_in.post("/console/rules/reload",
                                               {"back": "/console/operators"})
    assert status == 303 and location == "/console/operators"
    assert logged_in.services.rules.last_reload is not None
    audit = [a for a in await logged_in.services.storage.list_audit()
             if a.action == "rules.reload"]
    assert audit[0].detail["via"] == "console"
    _, page = await logged_in.page("/console/rules")
    assert "Last reload:" in page


# ---- statistics ----------------------------------------------------------------------------


async def test_statistics_draw_charts_and_count_per_group(logged_in: Console):
    s = logged_in.services
    await add_incident(s, "one", message_id=1, action="delete")
    await add_incident(s, "two", message_id=2, verdict="suspicious")
    failed = await add_incident(s, "three", chat_id=-100777, message_id=3)
    await s.storage.record_action(failed, "ban", False, "not enough rights")
    status, page = await logged_in.page("/console/stats")
    assert status == 200
    assert page.count("<svg") == 5
    # incidents per day by group (a legend entry per group) and actions with their failures
    group_chart = page[page.index("Incidents per day, by group"):]
    group_chart = group_chart[:group_chart.index("</svg>")]
    assert str(GROUP) in group_chart and "-100777" in group_chart
    action_chart = page[page.index("Actions and their failures"):]
    action_chart = action_chart[:action_chart.index("</svg>")]
    assert "ban failed" in action_chart and "delete ok" in action_chart
    assert f"?chat={GROUP}" in page and "?chat=-100777" in page
    _, only = await logged_in.page("/console/stats?chat=-100777&days=7")
    assert f"?chat={GROUP}\"" not in only


async def test_statistics_csv(logged_in: Console):
    s = logged_in.services
    incident = await add_incident(s, "one", action="delete")
    await s.storage.record_action(incident, "ban", False, "no rights")
    await s.storage.add_feedback(incident, 1, "false_positive")
    async with logged_in.client.get("/console/stats.csv?days=7") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["day", "chat_id", "kind", "key", "count"]
    body = {(r[1], r[2], r[3], r[4]) for r in rows[1:]}
    assert (str(GROUP), "verdict", "scam", "1") in body
    assert (str(GROUP), "action", "delete:ok", "1") in body
    assert (str(GROUP), "action", "ban:failed", "1") in body
    assert (str(GROUP), "feedback", "false_positive", "1") in body


# ---- operators -----------------------------------------------------------------------------


async def test_operators_list_and_undo_allow_lists_trusted_members_and_samples(
        logged_in: Console):
    s = logged_in.services
    await s.storage.add_to_list(GROUP, 1, "allow_domains", "example.org")
    await s.storage.add_to_list(GROUP, 1, "trusted_users", 777)
    sample = await s.storage.add_sample(GROUP, "a known scam " + HOSTILE, 1, "giveaway")
    status, page = await logged_in.page("/console/operators")
    assert status == 200
    assert "example.org" in page and "777" in page and "a known scam" in page
    assert "<script>" not in page
    status, _, _ = await logged_in.post("/console/operators/unlist", {
        "chat": str(GROUP), "list": "allow_domains", "item": "example.org"})
    assert status == 303
    status, _, _ = await logged_in.post("/console/operators/unlist", {
        "chat": str(GROUP), "list": "trusted_users", "item": "777"})
    assert status == 303
    settings = await s.chat_settings.get(GROUP)
    assert settings.allow_domains == () and settings.trusted_users == ()
    status, _, _ = await logged_in.post(f"/console/operators/samples/{sample}/remove", {})
    assert status == 303
    assert await s.storage.list_samples(GROUP) == []
    assert "sample.remove" in [a.action for a in await s.storage.list_audit()]
    status, _, _ = await logged_in.post(f"/console/operators/samples/{sample}/remove", {})
    assert status == 404
    # The same audited removals as /lists in the group.
    audited = [a.action for a in await s.storage.list_audit(GROUP)]
    assert {"settings.allow_domains", "settings.trusted_users", "sample.remove"} <= set(
        audited)


async def test_operators_show_and_remove_promoted_samples(logged_in: Console):
    """A sample promoted with /promote is listed first, as every group's, and its original
    says it was promoted; removing the copy takes it out of every group's index."""
    s = logged_in.services
    sample = await s.storage.add_sample(GROUP, "double your deposit in one hour", 1)
    copy = await s.storage.promote_sample(sample, 9001)
    status, page = await logged_in.page("/console/operators")
    assert status == 200
    assert page.index("Every group (promoted)") < page.index(f"Group {GROUP}")
    assert page.count("promoted to every group</span>") == 1
    assert "Remove from every group" in page
    assert "Group 0" not in page
    _, incidents = await logged_in.page("/console/incidents")
    assert '<option value="0"' not in incidents
    other_group = -100999
    assert await s.contexts.samples(other_group) is not None  # the promoted copy reaches it
    status, _, _ = await logged_in.post(f"/console/operators/samples/{copy}/remove", {})
    assert status == 303
    assert await s.contexts.samples(other_group) is None
    assert await s.storage.list_samples(0) == []
    assert await s.storage.list_samples(GROUP) == ["double your deposit in one hour"]
    _, page = await logged_in.page("/console/operators")
    assert "Every group (promoted)" not in page
    assert "promoted to every group</span>" not in page


async def test_operators_show_health_and_the_last_telegram_error(logged_in: Console):
    logged_in.services.metrics.observe_telegram(429)
    status, page = await logged_in.page("/console/operators")
    assert status == 200
    assert 'id="health">' in page
    assert "<strong>429</strong>" in page


async def test_lists_update_runs_in_the_background_and_reports(logged_in: Console):
    import asyncio

    calls: list[Services] = []

    async def refresh(services: Services) -> tuple[int, int]:
        calls.append(services)
        return 2, 1

    logged_in.state.refresh_lists = refresh
    status, _, location = await logged_in.post("/console/operators/lists-update", {})
    assert status == 303 and location == "/console/operators?done=lists"
    for _ in range(500):
        if logged_in.state.lists.finished:
            break
        await asyncio.sleep(0.01)
    assert calls == [logged_in.services]
    _, page = await logged_in.page("/console/operators")
    assert "2 updated, 1 kept" in page


async def test_a_second_run_while_one_runs_is_refused(logged_in: Console):
    """One rules test at a time: another request gets 409 and the run goes on."""
    async with logged_in.state.run_lock:
        status, page, _ = await logged_in.post("/console/rules/test", {})
    assert status == 409 and "running" in page


def test_a_run_stops_at_its_time_limit_and_says_so(rules_holder):
    """Measuring stops when the time is up; the report says it covers part of the lines."""
    import tempfile

    from bot.console.rulestest import read_corpora, run_test
    from tests.consoleapp import write_corpus

    with tempfile.TemporaryDirectory() as folder:
        corpora = read_corpora(write_corpus(Path(folder) / "c"), [])
    result = run_test(rules_holder.detector, rules_holder.digest, "loaded", corpora,
                      seconds=0.0)
    assert result.truncated
    assert result.shown.total.scam + result.shown.total.ham == 0
    full = run_test(rules_holder.detector, rules_holder.digest, "loaded", corpora)
    assert not full.truncated and full.shown.total.scam == 1 and full.shown.total.ham == 1
    assert full.blind is not None and full.blind.total.scam == 1
    assert full.blind.false_positives == [] and full.blind.misses == []


async def test_an_unknown_console_page_is_an_html_404_with_the_headers(logged_in: Console):
    async with logged_in.client.get("/console/nothing-here<script>") as response:
        assert response.status == 404
        assert response.headers["X-Frame-Options"] == "DENY"
        text = await response.text()
    assert "Not Found" in text and "<script>" not in text


def test_the_corpus_setting():
    """SCAMGUARD_CORPUS names the console's corpora; unset, it defaults to the source tree's
    tests/corpus."""
    from bot.console.rulestest import default_corpus_dir

    assert Settings.from_env({"SCAMGUARD_CORPUS": "/srv/corpus"}).corpus_dir == Path(
        "/srv/corpus")
    assert Settings.from_env({}).corpus_dir is None
    assert default_corpus_dir(None) == Path(__file__).resolve().parent / "corpus"


def test_the_group_chart_keeps_the_busiest_groups_and_sums_the_rest():
    from bot.console.web import GROUP_SERIES, _top_groups

    days = {-100 - i: [i, 1] for i in range(GROUP_SERIES + 2)}
    series = _top_groups(days)
    assert len(series) == GROUP_SERIES + 1
    assert str(-100 - (GROUP_SERIES + 1)) in series      # the busiest group has a series
    assert series["other groups"] == [0 + 1, 2]           # the two quietest, summed per day
