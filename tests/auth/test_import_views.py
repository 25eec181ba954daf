"""The admin's CSV import in the browser: upload, preview, confirm, download the links."""

import base64
import csv
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from academy.auth.models import AccountImport, PasswordLink, User
from academy.notify.models import Notification
from tests.helpers import TEST_PASSWORD, csrf_token

IMPORT = "/admin/users/import"
CHINESE_CSV = (
    "邮箱,姓名,角色,企业,时区,语言\r\n"
    "li.wei@example.test,李伟,学生,,Asia/Shanghai,中文\r\n"
    "wang.fang@example.test,王芳,,,,\r\n"
    "not-an-email,坏行,,,,\r\n"
)


def upload(client: FlaskClient, data: bytes, filename: str = "class.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        IMPORT,
        data={"csrf_token": csrf_token(client, IMPORT), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def confirm(client: FlaskClient, preview_url: str):  # type: ignore[no-untyped-def]
    return client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)})


def _count(session: Session, model: type) -> int:
    session.rollback()  # end the read snapshot: see what the app wrote
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_accounts_page_links_to_the_import(client: FlaskClient, login_as) -> None:
    login_as("admin")
    assert f'href="{IMPORT}"' in client.get("/admin/users").get_data(as_text=True)
    page = client.get(IMPORT).get_data(as_text=True)
    assert "邮箱" in page and "时区" in page and "GBK" in page


def test_upload_preview_confirm_and_download_links(
    client: FlaskClient, login_as, session: Session
) -> None:
    login_as("admin")
    response = upload(client, CHINESE_CSV.encode("gbk"))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    preview = client.get(preview_url).get_data(as_text=True)
    assert "李伟" in preview and "王芳" in preview
    assert "To create: 2" in preview and "Refused: 1" in preview
    assert "not a valid email address" in preview
    assert _count(session, User) == 1  # only the admin: nothing written before confirming

    done = confirm(client, preview_url)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "Created: 2" in page
    assert _count(session, User) == 3 and _count(session, Notification) == 2
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page)
    assert href, "no download link"
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(href.group(1)).decode("utf-8-sig"))))
    assert [(row["email"], row["display_name"]) for row in rows] == [
        ("li.wei@example.test", "李伟"),
        ("wang.fang@example.test", "王芳"),
    ]
    link = rows[0]["set_password_link"]
    assert link.startswith("http://localhost/auth/set-password/")

    # The person opens the link and chooses a password.
    client.get("/logout")
    path = link.removeprefix("http://localhost")
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "password": "my own password",
            "confirm": "my own password",
        },
    )
    assert response.status_code == 302
    assert "李伟" in client.get("/").get_data(as_text=True)


def test_a_second_confirmation_imports_nothing(
    client: FlaskClient, login_as, session: Session
) -> None:
    login_as("admin")
    preview_url = upload(client, CHINESE_CSV.encode()).headers["Location"]
    token = csrf_token(client, preview_url)
    assert client.post(preview_url, data={"csrf_token": token}).status_code == 200
    again = client.post(preview_url, data={"csrf_token": token})
    assert again.status_code == 409
    assert _count(session, User) == 3 and _count(session, PasswordLink) == 2
    assert "already been confirmed" in client.get(preview_url).get_data(as_text=True)


def test_confirming_checks_every_row_again(
    client: FlaskClient, login_as, make_user, session: Session
) -> None:
    login_as("admin")
    preview_url = upload(client, CHINESE_CSV.encode()).headers["Location"]
    # Meanwhile another admin creates one of the accounts, as an instructor.
    make_user("instructor", email="li.wei@example.test", display_name="Li Wei")
    page = confirm(client, preview_url).get_data(as_text=True)
    assert "Created: 1" in page and "Refused: 2" in page
    session.rollback()  # end the read snapshot: see what the app wrote
    teacher = session.exec(select(User).where(User.email == "li.wei@example.test")).one()
    assert teacher.account_role == "instructor" and teacher.display_name == "Li Wei"


def test_an_unreadable_file_is_refused_on_the_form(
    client: FlaskClient, login_as, session: Session
) -> None:
    login_as("admin")
    response = upload(client, b"PK\x03\x04 workbook", "class.xlsx")
    assert response.status_code == 422
    assert "Excel workbook" in response.get_data(as_text=True)
    assert _count(session, AccountImport) == 0
    missing = client.post(
        IMPORT, data={"csrf_token": csrf_token(client, IMPORT)}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and "Choose a CSV file" in missing.get_data(as_text=True)


def test_another_admins_staged_import_is_not_found(
    app, client: FlaskClient, login_as, make_user
) -> None:
    login_as("admin")
    preview_url = upload(client, CHINESE_CSV.encode()).headers["Location"]
    other = app.test_client()
    admin2 = make_user("admin")
    other.post(
        "/login",
        data={
            "csrf_token": csrf_token(other, "/login"),
            "email": admin2.email,
            "password": TEST_PASSWORD,
        },
    )
    assert other.get(preview_url).status_code == 404
    assert confirm(other, preview_url).status_code == 404


@pytest.mark.parametrize("account_role", ["student", "instructor", "partner"])
def test_only_admins_reach_the_import_routes(
    client: FlaskClient, login_as, account_role: str
) -> None:
    login_as(account_role)
    for url in (IMPORT, f"{IMPORT}/1"):
        assert client.get(url).status_code == 403
        assert client.post(url).status_code in (400, 403)


def test_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in (IMPORT, f"{IMPORT}/1"):
        assert client.get(url).status_code == 302
        assert "/login" in client.get(url).headers["Location"]


def test_posts_without_csrf_are_refused(client: FlaskClient, login_as, session: Session) -> None:
    login_as("admin")
    no_token = client.post(
        IMPORT,
        data={"file": (io.BytesIO(CHINESE_CSV.encode()), "a.csv")},
        content_type="multipart/form-data",
    )
    assert no_token.status_code == 400
    preview_url = upload(client, CHINESE_CSV.encode()).headers["Location"]
    assert client.post(preview_url).status_code == 400
    assert _count(session, User) == 1


def test_a_large_file_imports_with_the_same_number_of_statements(
    client: FlaskClient, login_as, session: Session, count_queries: Callable
) -> None:
    login_as("admin")
    counts = []
    for prefix, size in (("small", 20), ("large", 2000)):
        data = "email,name\n" + "".join(f"{prefix}{n}@example.test,学生 {n}\n" for n in range(size))
        preview_url = upload(client, data.encode("gbk")).headers["Location"]
        token = csrf_token(client, preview_url)
        with count_queries() as counted:
            response = client.post(preview_url, data={"csrf_token": token})
        assert response.status_code == 200 and f"Created: {size}" in response.get_data(as_text=True)
        counts.append(counted.count)
    assert counts[0] == counts[1], counts
    assert _count(session, User) == 2021


def test_the_preview_shows_updates_and_ignored_columns(
    client: FlaskClient, login_as, make_user, session: Session
) -> None:
    login_as("admin")
    make_user(email="wang.fang@example.test", display_name="Wang Fang")
    response = upload(
        client, ("email,name,locale,学号\nwang.fang@example.test,王芳,zh,7\n").encode()
    )
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "These columns are not imported: 学号." in preview
    assert "To update: 1" in preview and "Changes: name, language" in preview


def test_markup_in_a_refused_cell_is_shown_as_text(client: FlaskClient, login_as) -> None:
    """The refusal reason quotes the cell: as text, never as markup on the admin's page."""
    login_as("admin")
    cells = "email,name,role,firm,time zone\r\n" \
            "a@example.test,A,<b id=inj1>boss</b>,<u id=inj3>f</u>,<i id=inj2>z</i>\r\n"
    preview = client.get(upload(client, cells.encode()).headers["Location"])
    page = preview.get_data(as_text=True)
    assert "&lt;b id=inj1&gt;" in page and "&lt;i id=inj2&gt;" in page
    assert not re.search(r"<(b|i|u) id=inj", page)


def test_a_gbk_file_is_flagged_so_garbled_names_get_a_second_look(
        client: FlaskClient, login_as) -> None:
    """Korean or Japanese Excel files can also decode as GB18030: the admin is told to check."""
    login_as("admin")
    preview = client.get(upload(client, CHINESE_CSV.encode("gbk")).headers["Location"])
    assert "read as GBK/GB18030" in preview.get_data(as_text=True)
    utf8 = client.get(upload(client, CHINESE_CSV.encode("utf-8")).headers["Location"])
    assert "read as GBK/GB18030" not in utf8.get_data(as_text=True)


def test_a_header_cell_over_the_csv_field_limit_is_refused_not_an_error(
        client: FlaskClient, login_as) -> None:
    login_as("admin")
    response = upload(client, ("email,name," + "x" * 200_000 + "\r\na@example.test,A,1\r\n")
                      .encode())
    assert response.status_code == 422
