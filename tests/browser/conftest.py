"""A live server in a thread of the test process and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (Debian's
``chromium`` package). Without it these tests fail with an install hint, unless
``ACADEMY_SKIP_BROWSER=1`` says to skip them.

Every page a journey visits goes through :func:`check`: axe-core (vendored under ``vendor/``,
injected by the test, never served by the app) finds no serious or critical violation, the
title names the page ("Page — Live Academy"), and at phone size nothing overflows a 320 px
screen. ``check(page, screenshot=name)`` also saves the page to ``test-artifacts/`` in English
and in Chinese. The ``page`` fixture records every page the browser lands on and fails a
journey that left one unchecked or logged a console error.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, expect
from werkzeug.serving import make_server

from academy.auth.models import User
from tests.helpers import TEST_PASSWORD

CHROMIUM = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
NARROWEST_SCREEN = 320
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text()
BLOCKING_IMPACTS = ("serious", "critical")
LANGUAGES = {"en": "English", "zh": "简体中文"}  # the footer switch's button names
TITLE_SUFFIX = {"en": " — Live Academy", "zh": " — Live Academy 直播学院"}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if os.environ.get("ACADEMY_SKIP_BROWSER") == "1":
        pytest.skip("ACADEMY_SKIP_BROWSER=1: browser tests skipped on request")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Browser tests need Chromium at {CHROMIUM}: install it with "
            "'apt-get install chromium' (or set ACADEMY_SKIP_BROWSER=1 to skip them)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-gpu"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_NUMBER = re.compile(r"/\d+(?=/|$)")


def _page_key(url: str) -> str:
    """The page a URL shows, whatever record: /practice/streams/7 -> /practice/streams/#."""
    return _NUMBER.sub("/#", urlsplit(url).path)


@pytest.fixture(params=list(VIEWPORTS))
def page(request: pytest.FixtureRequest, browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """A fresh browser context at a phone or a desktop size (the test runs at both).

    It notes every page the tab lands on and every console error: in a journey (a test that
    calls :func:`check`), a page no :func:`check` looked at, or any console error (a CSP
    violation, a missing file), fails the test.
    """
    context = browser.new_context(viewport=VIEWPORTS[request.param], locale="en-US",
                                  reduced_motion="reduce")  # no transitions: states show at once
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.viewport_name = request.param  # type: ignore[attr-defined]
    tab.checked_pages = set()  # type: ignore[attr-defined]
    landed: list[str] = []
    console_errors: list[str] = []  # a CSP violation or a missing file shows up here

    def note_error(message: ConsoleMessage) -> None:
        # A page answered 404 or 422 on purpose is logged too: only its own status, not an error.
        own_status = message.location.get("url") == tab.url and message.text.startswith(
            "Failed to load resource: the server responded with a status of 4")
        if message.type == "error" and not own_status:
            console_errors.append(f"{message.text} ({tab.url})")

    tab.on("console", note_error)
    tab.on("framenavigated",
           lambda frame: landed.append(frame.url) if frame is tab.main_frame else None)
    yield tab
    context.close()
    if request.node.stash.get(_CALL_FAILED, True) or not tab.checked_pages:  # type: ignore[attr-defined]
        return  # a failure says what went wrong; a test that checks no page is no journey
    unchecked = sorted({_page_key(url) for url in landed if url.startswith("http")}
                       - tab.checked_pages)  # type: ignore[attr-defined]
    assert not unchecked, f"pages the journey visited but did not check(): {unchecked}"
    assert not console_errors, "errors in the browser console:\n" + "\n".join(console_errors)


def _axe_violations(page: Page) -> list[str]:
    """Serious and critical axe-core findings on the page, one readable line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)  # evaluated by the test, so the app's CSP is not involved
    findings = page.evaluate(
        """async (impacts) => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.filter((v) => impacts.includes(v.impact)).map((v) =>
                `${v.impact}: ${v.id} — ${v.help} (${v.helpUrl})\\n` +
                v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ` +
                    n.failureSummary.replace(/\\s+/g, " ")).join("\\n"));
        }""", list(BLOCKING_IMPACTS))
    return list(findings)


def _overflow_at_narrowest_screen(page: Page) -> list[str]:
    """The elements that stick out of a 320 px screen (the innermost ones: what to fix)."""
    viewport = page.viewport_size
    assert viewport is not None
    page.set_viewport_size({"width": NARROWEST_SCREEN, "height": viewport["height"]})
    try:
        return page.evaluate(
            """(limit) => {
                if (document.documentElement.scrollWidth <= limit) return [];
                const clipped = (e) => {
                    for (let up = e.parentElement; up && up !== document.body;
                         up = up.parentElement)
                        if (getComputedStyle(up).overflowX !== "visible") return true;
                    return false;
                };
                const wide = [...document.querySelectorAll("body *")].filter(
                    (e) => e.getBoundingClientRect().right > limit + 0.5 && !clipped(e));
                return wide.filter((e) => !wide.some((other) => other !== e && e.contains(other)))
                    .slice(0, 5).map((e) => e.outerHTML.slice(0, 120));
            }""", NARROWEST_SCREEN)
    finally:
        page.set_viewport_size(viewport)
        page.bring_to_front()  # resizing takes the focus from the page; keyboard tests need it


def check(page: Page, screenshot: str | None = None, *, variant: str = "") -> None:
    """Hold the page the journey is on to the bar every page must meet; optionally photograph it.

    A page already checked in this test is not checked again, unless it is a different
    ``variant`` (the dashboard of another account role, say) or gets photographed. With
    ``screenshot``, the page is saved in English and in Chinese (switched with the footer's
    language switch and back), so it must be a page a GET can show again.
    """
    key = _page_key(page.url)
    checked = page.checked_pages  # type: ignore[attr-defined]
    if f"{key} {variant}" in checked and not screenshot:
        return
    language = page.locator("html").get_attribute("lang") or ""
    suffix = TITLE_SUFFIX["zh" if language.startswith("zh") else "en"]
    title = page.title()
    assert title.endswith(suffix) and len(title) > len(suffix), (
        f"{page.url}: the title {title!r} should be 'Page{suffix}'")
    violations = _axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n" + "\n".join(violations)
    if page.viewport_name == "phone":  # type: ignore[attr-defined]
        sticking_out = _overflow_at_narrowest_screen(page)
        assert not sticking_out, (f"{page.url} is wider than a 320px screen: "
                                  + "\n".join(sticking_out))
    checked.update({key, f"{key} {variant}"})
    if screenshot:
        _screenshots_in_both_languages(page, screenshot)


def _screenshots_in_both_languages(page: Page, name: str) -> None:
    first = "zh" if (page.locator("html").get_attribute("lang") or "").startswith("zh") else "en"
    second = "en" if first == "zh" else "zh"
    screenshot(page, f"{name}-{first}")
    switch_language(page, second)  # (test_chinese.py holds the Chinese pages to axe's bar)
    screenshot(page, f"{name}-{second}")
    switch_language(page, first)


def screenshot(page: Page, name: str) -> None:
    """Save the whole page for reviewers as test-artifacts/<name>-<phone|desktop>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.viewport_name  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"{name}-{viewport}.png"), full_page=True,
                    animations="disabled", caret="hide")


def switch_language(page: Page, language: str) -> None:
    """Choose ``language`` with the footer's switch and wait for the page to come back in it."""
    page.get_by_role("contentinfo").get_by_role("button", name=LANGUAGES[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh"
                                                   else "en")


def open_menu(page: Page) -> None:
    """On a phone the main navigation folds into a "Menu" disclosure: open it."""
    if page.viewport_name == "phone":  # type: ignore[attr-defined]
        page.get_by_role("navigation").locator("summary").click()


def go_to(page: Page, item: str) -> None:
    """Follow an item of the main navigation, opening the menu first on a phone."""
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=item, exact=True).click()


def sign_in(page: Page, base: str, user: User, password: str = TEST_PASSWORD) -> None:
    """Sign out whoever is signed in, sign ``user`` in with the form and check the dashboard."""
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    check(page)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name=f"Hello, {user.display_name}")).to_be_visible()
    check(page, variant=str(user.account_role))
