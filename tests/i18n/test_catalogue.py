"""The Simplified Chinese catalogue: complete, compiled, faithful to its placeholders, and served.

A new English string without a translation, a fuzzy entry, a stale ``messages.mo`` or a msgstr
that drops or garbles a ``%(name)s`` placeholder fails the suite.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from academy.auth.models import User
from tests.helpers import csrf_token

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_DIR = ROOT / "academy" / "translations" / "zh" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "messages.po"
MO_FILE = CATALOGUE_DIR / "messages.mo"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}

# A %-format specification as Python (and Jinja's newstyle gettext) reads it.
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def _extract(pot: Path) -> Catalog:
    """Run the documented extraction (README, "Translations") into ``pot`` and read it."""
    CommandLineInterface().run([
        "pybabel", "--quiet", "extract", "-F", str(ROOT / "babel.cfg"),
        "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs", ".* __pycache__",
        "-o", str(pot), str(ROOT / "academy"),
    ])
    with pot.open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return _extract(tmp_path_factory.mktemp("i18n") / "messages.pot")


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with PO_FILE.open("rb") as file:
        return read_po(file)


def _forms(message_string: str | tuple[str, ...]) -> tuple[str, ...]:
    return message_string if isinstance(message_string, tuple) else (message_string,)


def _placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def _stray_percent(text: str) -> bool:
    """A ``%`` that is not part of a placeholder: formatting would raise or garble it."""
    return "%" in _PLACEHOLDER.sub("", text)


# --- the catalogue is complete -------------------------------------------------------------


def test_extraction_finds_templates_python_and_lazy_strings(extracted: Catalog) -> None:
    """The extraction itself works: it reaches every kind of source the site has."""
    sources = {Path(path).resolve().relative_to(ROOT).as_posix()
               for message in extracted for path, _line in message.locations}
    assert "academy/templates/base.html" in sources
    assert "academy/templates/_macros/charts.html" in sources  # an underscore directory
    assert any(path.endswith(".py") for path in sources)
    ids = {message.id for message in extracted}
    assert "Sign in" in ids  # {{ _("…") }} in a template
    assert "Courses" in ids  # _l("…") in Python
    assert "Use at least %(count)d characters for the password." in ids  # _l("…", count=…)
    assert ("%(num)d module", "%(num)d modules") in ids  # ngettext in a template
    assert len(extracted) > 500


def test_every_extracted_message_is_in_the_catalogue(extracted: Catalog,
                                                     catalogue: Catalog) -> None:
    missing = sorted(str(message.id) for message in extracted
                     if message.id and message.id not in catalogue)
    assert missing == [], (
        "New English strings are not in messages.po; run the update command in the README "
        f"(\"Translations\") and translate them: {missing}")


def test_every_message_is_translated_and_none_is_fuzzy(catalogue: Catalog) -> None:
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy"
    untranslated = [message.id for message in catalogue
                    if message.id and not all(form.strip() for form in _forms(message.string))]
    fuzzy = [message.id for message in catalogue if message.id and message.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_the_catalogue_is_chinese_with_one_plural_form(catalogue: Catalog) -> None:
    assert str(catalogue.locale) == "zh"
    assert catalogue.plural_forms == "nplurals=1; plural=0;"
    plural = [message for message in catalogue if isinstance(message.id, tuple)]
    assert plural, "the site has plural messages (ngettext)"
    assert all(len(message.string) == 1 for message in plural)
    # Chinese text, not English copied across (short codes such as GMV or KPI aside).
    han = re.compile(r"[\u4e00-\u9fff]")
    not_chinese = [message.id for message in catalogue if message.id
                   and not any(han.search(form) for form in _forms(message.string))]
    assert set(not_chinese) <= {"GMV", "GPM", "KPI", "KPIs"}


# --- the compiled catalogue is current ----------------------------------------------------


def _mo_dict(data: bytes) -> dict[object, str]:
    return dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]


def test_the_committed_mo_is_compiled_from_the_po(catalogue: Catalog) -> None:
    fresh = io.BytesIO()
    write_mo(fresh, catalogue)
    assert MO_FILE.exists(), "messages.mo is missing; compile it (README, \"Translations\")"
    committed = _mo_dict(MO_FILE.read_bytes())
    rebuilt = _mo_dict(fresh.getvalue())
    stale = sorted(str(key) for key in rebuilt.keys() | committed.keys()
                   if rebuilt.get(key) != committed.get(key))
    assert stale == [], f"messages.mo is stale; recompile it (README, \"Translations\"): {stale}"


# --- placeholders -----------------------------------------------------------------------------


def test_placeholders_in_each_translation_match_the_english(catalogue: Catalog) -> None:
    mismatches = []
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            # One Chinese form stands for singular and plural: it may use the count the
            # English singular spells out ("revised once" / "revised %(num)d times").
            expected = set(_placeholders(message.id[0])) | set(_placeholders(message.id[1]))
            for form in message.string:
                if set(_placeholders(form)) != expected or _stray_percent(form):
                    mismatches.append((message.id, form))
        elif (_placeholders(message.string) != _placeholders(message.id)
              or _stray_percent(message.string)):
            mismatches.append((message.id, message.string))
    assert mismatches == []


def test_the_placeholder_check_itself() -> None:
    assert _placeholders("weight %(weight)d%%") == Counter({"%(weight)d": 1, "%%": 1})
    assert _stray_percent("权重 %(weight)d%") is True
    assert _stray_percent("%（name）s") is True
    assert _stray_percent("%(count)d/%(count)d，100%%") is False


# --- the catalogue is served ------------------------------------------------------------------


def test_a_chinese_browser_gets_the_sign_in_page_in_chinese(client: FlaskClient) -> None:
    html = client.get("/login", headers=ZH).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    for chinese in ("登录", "注册", "邮箱", "密码", "在此设备上保持登录", "跳到正文"):
        assert chinese in html
    for english in ("Sign in", "Register", "Keep me signed in", "Skip to content"):
        assert english not in html


def test_the_language_switch_turns_an_anonymous_visit_chinese(client: FlaskClient) -> None:
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client, "/login")
    client.post("/language", data={"csrf_token": token, "locale": "zh", "next": "/login"})
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html and "Sign in" not in html


def test_a_chinese_account_sees_the_navigation_in_chinese(
        client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as("student", locale="zh")
    html = client.get("/").get_data(as_text=True)
    navigation = html[html.index("<nav"):html.index("</nav>")]
    for label in ("课程", "订单班", "我的练习", "成绩册", "证书", "退出登录"):
        assert label in navigation
    for english in ("Courses", "Order classes", "My practice", "Gradebook", "Certificates",
                    "Sign out"):
        assert english not in navigation


def test_wtforms_own_messages_come_out_in_chinese(client: FlaskClient) -> None:
    """A required field left empty: WTForms' DataRequired message, from WTForms' zh catalogue."""
    token = csrf_token(client, "/login")
    response = client.post("/login", headers=ZH,
                           data={"csrf_token": token, "email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400, 422)
    assert "该字段是必填字段。" in html
    assert "This field is required." not in html


def test_an_application_message_comes_out_in_chinese(client: FlaskClient,
                                                     make_user: Callable[..., User]) -> None:
    user = make_user("student")
    token = csrf_token(client, "/login")
    html = client.post("/login", headers=ZH, data={
        "csrf_token": token, "email": user.email, "password": "not-the-password"},
    ).get_data(as_text=True)
    assert "邮箱或密码不正确。" in html


def test_dates_are_formatted_in_chinese(client: FlaskClient, login_as: Callable[..., User]
                                        ) -> None:
    admin = login_as("admin", locale="zh")
    html = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    created = admin.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=dt.UTC)
    local_day = created.astimezone(ZoneInfo(admin.timezone)).date()
    assert format_date(local_day, "long", locale="zh") in html  # e.g. 2026年11月22日
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", html)
    assert local_day.strftime("%b") not in html  # no English month abbreviation
