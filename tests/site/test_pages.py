"""What every page shares: the icons browsers ask for and titles that name the page."""

import re

from flask.testing import FlaskClient


def test_favicon_ico_answers_with_the_png_icon(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")


def test_pages_link_the_icons_and_name_themselves(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    svg_icon = r'<link rel="icon" href="/static/img/favicon\.svg[^"]*" type="image/svg\+xml">'
    assert re.search(svg_icon, html)
    assert 'rel="apple-touch-icon"' in html and "favicon-32.png" in html
    assert "<title>Sign in — Live Academy</title>" in html
