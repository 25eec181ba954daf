"""What tests do as a user would: read a form's CSRF token, fill in the form, post it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

TEST_PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page_url: str) -> str:
    """Open ``page_url`` as a browser would and read the form's CSRF token from it."""
    response = client.get(page_url)
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {page_url} (status {response.status_code})"
    return match.group(1)


def submit(client: FlaskClient, page_url: str, data: dict[str, object],
           action: str | None = None, **kwargs: object) -> TestResponse:
    """Fill in the form on ``page_url`` and post it (to ``action`` if the form posts elsewhere)."""
    token = csrf_token(client, page_url)
    return client.post(action or page_url, data={"csrf_token": token, **data}, **kwargs)




class _ActiveContentFinder(HTMLParser):
    DANGEROUS_TAGS = frozenset({"script", "iframe", "object", "embed", "style", "form", "img",
                                "svg", "math", "base", "meta", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.found.append(f"{tag}[{name}]")
            if name in {"href", "src", "action"} and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag}[{name}={value}]")


def active_content(html: str) -> list[str]:
    """Every tag or attribute in ``html`` that could run script or load something hostile."""
    finder = _ActiveContentFinder()
    finder.feed(html)
    return finder.found
