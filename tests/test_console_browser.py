"""The web console driven in a real headless Chromium (Debian's `chromium`, through
Playwright) with JavaScript off: login, the Check page with a scam and a safe message,
marking an incident, a rules test run. One browser for the whole module. Without Chromium
these tests fail: install it with `apt-get install chromium` (`.ci/run` does)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.rulesholder import RulesHolder
from bot.settings import Settings
from tests.consoleapp import (
    BLIND_SCAM,
    HTTP_TOKEN,
    SAFE,
    SCAM,
    Console,
    add_incident,
    serve_console,
    write_corpus,
)
from tests.fakes import TOKEN, FakeBotApi

CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Where the README's screenshot is written when this is set (the tests never write it into
# the source tree otherwise).
SCREENSHOT_ENV = "SCAMGUARD_CONSOLE_SCREENSHOT"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[object]:
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: apt-get install -y chromium (the console's "
                    "browser tests need it)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        found = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=ARGS, headless=True,
        )
        try:
            yield found
        finally:
            await found.close()


@pytest_asyncio.fixture(loop_scope="module")
async def console(tmp_path: Path, fake_api: FakeBotApi, rules_holder: RulesHolder
                  ) -> AsyncIterator[Console]:
    from bot.wiring.services import build_services
    from rules import RULES_DIR

    settings = Settings(token=TOKEN, api_url="http://127.0.0.1:9/bot",
                        db_path=tmp_path / "scamguard.db", rules_dir=RULES_DIR,
                        rules_watch_seconds=0.0)
    services = await build_services(settings, rules=rules_holder)
    try:
        async with serve_console(settings, services, fake_api,
                                 write_corpus(tmp_path / "corpus")) as found:
            yield found
    finally:
        await services.close()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: object, console: Console) -> AsyncIterator[object]:
    """A fresh browser context (JavaScript off: the console needs none) logged in."""
    context = await browser.new_context(  # type: ignore[attr-defined]
        java_script_enabled=False, viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    await page.goto(f"{console.base}/console/check")
    assert page.url.startswith(f"{console.base}/console/login")
    await page.fill("input[name=token]", HTTP_TOKEN)
    await page.click("form.login button")
    try:
        yield page
    finally:
        await context.close()


async def test_login(browser: object, console: Console):
    """A wrong token stays on the login; the right one opens the page asked for, with an
    HttpOnly session cookie."""
    context = await browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        page = await context.new_page()
        await page.goto(f"{console.base}/console/incidents")
        assert "/console/login" in page.url
        await page.fill("input[name=token]", "not the token")
        await page.click("form.login button")
        assert "not right" in await page.inner_text("main")
        await page.fill("input[name=token]", HTTP_TOKEN)
        await page.click("form.login button")
        assert page.url == f"{console.base}/console/incidents"
        cookies = await context.cookies()
        assert [(c["httpOnly"], c["sameSite"]) for c in cookies] == [(True, "Strict")]
        await page.click("header button")
        assert "/console/login" in page.url
    finally:
        await context.close()


async def test_check_a_scam_and_a_safe_message(page: object, tmp_path: Path):
    await page.fill("textarea[name=text]", SCAM)  # type: ignore[attr-defined]
    await page.fill("input[name=sender]", "Wallet Help @wallet_help_desk")  # type: ignore[attr-defined]
    await page.click("form.check button")  # type: ignore[attr-defined]
    assert await page.inner_text("#verdict") == "scam"  # type: ignore[attr-defined]
    assert await page.locator("table.hits tbody tr").count() >= 1  # type: ignore[attr-defined]
    assert await page.locator("pre.text mark").count() >= 2  # type: ignore[attr-defined]
    assert await page.locator("details.reply").count() == 8  # type: ignore[attr-defined]
    shot = tmp_path / "console.png"
    box = await page.locator("section.result").bounding_box()  # type: ignore[attr-defined]
    assert box is not None
    await page.screenshot(path=str(shot), full_page=True,  # type: ignore[attr-defined]
                          clip={"x": 0, "y": box["y"] - 10, "width": 1100, "height": 860})
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    target = os.environ.get(SCREENSHOT_ENV)
    if target:
        shutil.copyfile(shot, target)
    await page.fill("textarea[name=text]", SAFE)  # type: ignore[attr-defined]
    await page.fill("input[name=sender]", "")  # type: ignore[attr-defined]
    await page.click("form.check button")  # type: ignore[attr-defined]
    assert await page.inner_text("#verdict") == "clean"  # type: ignore[attr-defined]
    assert await page.locator("pre.text mark").count() == 0  # type: ignore[attr-defined]


async def test_mark_an_incident_not_a_scam(page: object, console: Console):
    incident = await add_incident(console.services, "a wallet message", action="ban")
    await page.goto(f"{console.base}/console/incidents")  # type: ignore[attr-defined]
    await page.click(f"#incident-{incident} button[value=not_scam]")  # type: ignore[attr-defined]
    assert f"Incident {incident} marked." in await page.inner_text("main")  # type: ignore[attr-defined]
    assert "not_scam by 0" in await page.inner_text(f"#incident-{incident}")  # type: ignore[attr-defined]
    assert console.api.calls("unbanChatMember")
    assert (await console.services.storage.stats()).feedback == {"false_positive": 1}


async def test_a_rules_test_run(page: object, console: Console):
    await page.goto(f"{console.base}/console/rules")  # type: ignore[attr-defined]
    await page.click("#run-test")  # type: ignore[attr-defined]
    assert "/console/rules/runs/" in page.url  # type: ignore[attr-defined]
    report = await page.inner_text("#run-report")  # type: ignore[attr-defined]
    assert "Blind split (rates only)" in report
    assert "train/en.jsonl" in report
    assert BLIND_SCAM[:20] not in await page.content()  # type: ignore[attr-defined]
