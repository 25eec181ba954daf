"""Every word a template shows goes through gettext, so the Chinese catalogue can cover it."""

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "academy").rglob("templates/**/*.html"))
# Words that are the same in every language: names of languages, products and file formats.
UNTRANSLATED_WORDS = {"English", "CSV", "Excel", "GMV", "GPM", "UV", "PV", "KPI", "KPIs", "iCal",
                      "RFQ", "RFQs", "MOQ", "PDF", "URL", "ID"}

_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.DOTALL)
_TAG = re.compile(r"<[^>]*>", re.DOTALL)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")


def untranslated_words(source: str) -> list[str]:
    """Words left in the page once Jinja expressions, statements and HTML tags are gone."""
    text = _TAG.sub(" ", _JINJA.sub(" ", source))
    return [word for word in _WORD.findall(text) if word not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_literal_text_in_templates(template: Path) -> None:
    assert untranslated_words(template.read_text(encoding="utf-8")) == []


def test_the_check_itself_finds_literal_text() -> None:
    assert untranslated_words('<p>{{ _("Fine") }} Not fine <a title="x">{{ y }}</a></p>') == [
        "Not", "fine"]


_ATTRIBUTE_TEXT = re.compile(r'\s(?:title|placeholder|aria-label|alt)="([^"{]*[A-Za-z][^"{]*)"')


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_literal_text_in_attributes(template: Path) -> None:
    assert _ATTRIBUTE_TEXT.findall(template.read_text(encoding="utf-8")) == []
