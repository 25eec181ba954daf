"""The XSS corpus in a real browser: pages showing stored payloads open no dialog, run no script.

tests/fuzz/test_xss.py parses the HTML; here Chromium renders it. An ``alert`` that ran would
open a dialog; markup that reached the DOM but was stopped by the Content-Security-Policy shows
up as a CSP error in the console, which fails the test too: the sanitiser, not the CSP, must
stop it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Dialog, Page
from sqlmodel import Session

from academy.auth.models import PartnerFirm, User
from tests.fuzz.xss_corpus import PAYLOADS, plant_payloads, shared_pages
from tests.helpers import TEST_PASSWORD


def _sign_in(page: Page, base: str, user: User) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("page", ["desktop"], indirect=True)  # script runs alike at any size
def test_pages_with_stored_payloads_open_no_dialog_and_trip_no_csp(
        app: Flask, session: Session, make_user: Callable[..., User],
        make_firm: Callable[..., PartnerFirm], live_server: str, page: Page) -> None:
    planted = plant_payloads(session, Path(app.config["COURSES_DIR"]), make_user, make_firm,
                             PAYLOADS)
    dialogs: list[str] = []
    script_errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{page.url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            script_errors.append(f"{page.url}: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))

    visits: dict[int, tuple[User, list[str]]] = {}
    for viewer, url in [
        *[(planted.instructor, f"/practice/streams/{stream}") for stream in planted.stream_ids],
        *[(planted.admin, f"/cohorts/{slug}") for slug in planted.cohort_slugs],
        *[(planted.admin, f"/cohorts/{slug}/members/{member}")
          for slug, member in zip(planted.cohort_slugs, planted.member_ids, strict=True)],
        *shared_pages(planted),
    ]:
        visits.setdefault(viewer.id or 0, (viewer, []))[1].append(url)
    for viewer, urls in visits.values():
        _sign_in(page, live_server, viewer)
        for url in urls:
            response = page.goto(f"{live_server}{url}", wait_until="load")
            assert response is not None and response.status == 200, url
            page.mouse.move(5, 5)  # hover-triggered handlers would fire on the way
            page.mouse.move(600, 400)

    assert dialogs == []
    assert script_errors == []
