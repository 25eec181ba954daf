"""The one rule for spreadsheet cells, and every download that must follow it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from academy.auth.importing import NewAccountLink, links_csv
from academy.spreadsheets import safe_cell


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)",
                                  "\tx", "\rx"])
def test_text_that_starts_like_a_formula_is_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["王芳", "a-b", "", 3, Decimal("-12.50"), -1.5,
                                   dt.date(2026, 11, 23)])
def test_other_values_pass_unchanged_so_numbers_still_add_up(value: object) -> None:
    assert safe_cell(value) == value


def test_none_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""


def test_the_set_password_links_file_quotes_formula_emails_and_names() -> None:
    link = NewAccountLink(email="=hyperlink(\"http://x\")@x.test", display_name="=1+1",
                          link="https://academy.example/auth/set-password/t",
                          expires_at=dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
    row = links_csv([link]).splitlines()[1]
    assert row.startswith("\"'=hyperlink(\"\"http://x\"\")@x.test\",'=1+1,")
