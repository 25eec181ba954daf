"""An XSS corpus through every user-written field: nothing executable reaches any page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from academy.auth.models import PartnerFirm, User
from tests.fuzz.xss_corpus import (
    PAYLOADS,
    executable_content,
    pages_showing,
    plant_payloads,
    shared_pages,
)


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if p.startswith("<")])
def test_the_finder_sees_each_html_payload_when_it_is_not_escaped(payload: str) -> None:
    """The check below can fail: raw, each HTML payload is found executable."""
    wrapped = f"<p>{payload}</p>"
    # Parser-confusion payloads aim at sanitisers; raw, html.parser reads them as text.
    harmless = ("<math><mtext>", "<listing>", "<noscript>", "<<script>", "<scr<script>")
    assert executable_content(wrapped) or payload.startswith(harmless), payload


def test_no_stored_payload_becomes_executable_on_any_page(
        app: Flask, session: Session, make_user: Callable[..., User],
        make_firm: Callable[..., PartnerFirm],
        client_for: Callable[[User | None], FlaskClient]) -> None:
    planted = plant_payloads(session, Path(app.config["COURSES_DIR"]), make_user, make_firm,
                             PAYLOADS)
    clients: dict[int, FlaskClient] = {}

    def page(viewer: User, url: str) -> str:
        if viewer.id not in clients:
            clients[viewer.id or 0] = client_for(viewer)
        response = clients[viewer.id or 0].get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data(as_text=True)

    for index, payload in enumerate(PAYLOADS):
        for viewer, url in pages_showing(planted, index):
            assert executable_content(page(viewer, url)) == [], (payload, url)
    for viewer, url in shared_pages(planted):
        assert executable_content(page(viewer, url)) == [], url
