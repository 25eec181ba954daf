"""Checking and applying account imports: every kind of refused row, updates, bulk writing."""

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlmodel import Session, col, func, select

from academy.audit.models import AuditEvent
from academy.auth.importing import (
    ImportPlan,
    ImportRow,
    RowAction,
    import_accounts,
    plan_import,
    read_account_file,
)
from academy.auth.models import AccountRole, PartnerFirm, PasswordLink, User
from academy.auth.password_links import token_hash
from academy.db import utcnow
from academy.notify.models import Notification, NotificationKind
from academy.security import verify_password


def link_for(token: str) -> str:
    return f"https://academy.test/auth/set-password/{token}"


@pytest.fixture(autouse=True)
def app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def firm(make_firm: Callable[..., PartnerFirm]) -> PartnerFirm:
    return make_firm("yiwu-lighting", "Yiwu Lighting")


def row(
    line: int = 2, email: str = "new@example.test", display_name: str = "New Person", **cells: str
) -> ImportRow:
    return ImportRow(line=line, email=email, display_name=display_name, **cells)


def plan_of(session: Session, *rows: ImportRow) -> ImportPlan:
    return plan_import(session, list(rows))


@pytest.mark.usefixtures("firm")
@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"email": ""}, "email is missing"),
        ({"email": "not-an-email"}, "not a valid email"),
        ({"email": "two@@example.test"}, "not a valid email"),
        ({"display_name": ""}, "name of 1 to 100"),
        ({"display_name": "x" * 101}, "name of 1 to 100"),
        ({"display_name": "Mei\x07"}, "name of 1 to 100"),
        ({"account_role": "teacher-ish"}, "Unknown account role"),
        ({"account_role": "admin"}, "Administrators are not imported"),
        ({"account_role": "管理员"}, "Administrators are not imported"),
        ({"account_role": "partner"}, "must belong to a partner firm"),
        ({"account_role": "partner", "firm_slug": "no-such-firm"}, "no partner firm no-such-firm"),
        ({"account_role": "student", "firm_slug": "yiwu-lighting"}, "Only partner staff"),
        ({"firm_slug": "yiwu-lighting"}, "Only partner staff"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"locale": "fr"}, "Unknown language"),
    ],
)
def test_every_kind_of_bad_row_is_refused_with_its_reason(
    session: Session, cells: dict, reason: str
) -> None:
    [planned] = plan_of(session, row(**cells)).rows
    assert planned.action == RowAction.REFUSE
    assert any(reason in str(text) for text in planned.reasons), planned.reasons


def test_a_row_lists_all_its_problems(session: Session) -> None:
    [planned] = plan_of(session, row(email="bad", display_name="", locale="fr")).rows
    assert len(planned.reasons) == 3


def test_duplicates_in_the_file_refer_to_the_first_line(session: Session) -> None:
    plan = plan_of(session, row(line=2), row(line=5, email="NEW@example.test".lower()))
    assert [item.action for item in plan.rows] == [RowAction.CREATE, RowAction.REFUSE]
    assert "line 2" in str(plan.rows[1].reasons[0])


def test_good_rows_resolve_aliases_defaults_and_case(session: Session, firm: PartnerFirm) -> None:
    plan = plan_of(
        session,
        row(line=2, email="a@example.test"),
        row(
            line=3,
            email="b@example.test",
            account_role="企业员工",
            firm_slug="Yiwu-Lighting",
            timezone="europe/berlin",
            locale="中文",
        ),
        row(line=4, email="c@example.test", account_role="Instructor", locale="EN"),
    )
    assert [
        (item.action, item.account_role, item.firm_id, item.timezone, item.locale)
        for item in plan.rows
    ] == [
        (RowAction.CREATE, AccountRole.STUDENT, None, "Asia/Shanghai", "en"),
        (RowAction.CREATE, AccountRole.PARTNER, firm.id, "Europe/Berlin", "zh"),
        (RowAction.CREATE, AccountRole.INSTRUCTOR, None, "Asia/Shanghai", "en"),
    ]
    assert plan.counts[RowAction.CREATE] == 3 and plan.has_changes


def test_existing_accounts_are_updated_unchanged_or_refused(
    session: Session, make_user: Callable[..., User], firm: PartnerFirm
) -> None:
    student = make_user(email="stu@example.test", display_name="Old Name")
    same = make_user(email="same@example.test", display_name="Same")
    make_user("instructor", email="teacher@example.test")
    make_user("admin", email="boss@example.test")
    make_user("partner", email="staff@example.test")  # of another firm
    gone = make_user(email="gone@example.test")
    gone.is_active = False
    session.add(gone)
    session.commit()
    plan = plan_of(
        session,
        row(line=2, email="stu@example.test", display_name="New Name", locale="zh"),
        row(line=3, email="same@example.test", display_name="Same"),
        row(line=4, email="teacher@example.test", display_name="T", account_role="student"),
        row(line=5, email="boss@example.test", display_name="Boss"),
        row(
            line=6,
            email="staff@example.test",
            display_name="S",
            account_role="partner",
            firm_slug="yiwu-lighting",
        ),
        row(line=7, email="gone@example.test", display_name="Gone"),
    )
    actions = [(item.action, item.changes) for item in plan.rows]
    assert actions == [
        (RowAction.UPDATE, ("display_name", "locale")),
        (RowAction.UNCHANGED, ()),
        (RowAction.REFUSE, ()),
        (RowAction.REFUSE, ()),
        (RowAction.REFUSE, ()),
        (RowAction.REFUSE, ()),
    ]
    reasons = [str(item.reasons[0]) for item in plan.rows[2:]]
    assert "another account role" in reasons[0]
    assert "administrator" in reasons[1]
    assert "another partner firm" in reasons[2]
    assert "deactivated" in reasons[3]
    assert plan.rows[0].user_id == student.id and plan.rows[1].user_id == same.id


def test_applying_creates_updates_links_mail_and_audit_in_one_go(
    session: Session, make_user: Callable[..., User], firm: PartnerFirm
) -> None:
    existing = make_user(email="stu@example.test", display_name="Old Name")
    data = (
        "邮箱,姓名,角色,企业,时区,语言\n"
        "li@example.test,李伟,学生,,,中文\n"
        "staff@example.test,Staff,partner,yiwu-lighting,UTC,en\n"
        "stu@example.test,New Name,,,,\n"
        "bad,Bad,,,,\n"
    ).encode("gbk")
    plan = plan_import(session, read_account_file(data).rows)
    result = import_accounts(session, None, plan, now=utcnow(), link_for=link_for)
    assert (result.created, result.updated, result.unchanged, result.refused) == (2, 1, 0, 1)

    session.expire_all()
    li = session.exec(select(User).where(User.email == "li@example.test")).one()
    staff = session.exec(select(User).where(User.email == "staff@example.test")).one()
    assert (li.display_name, li.account_role, li.locale, li.timezone) == (
        "李伟",
        AccountRole.STUDENT,
        "zh",
        "Asia/Shanghai",
    )
    assert (staff.account_role, staff.firm_id, staff.timezone) == (
        AccountRole.PARTNER,
        firm.id,
        "UTC",
    )
    assert session.get(User, existing.id).display_name == "New Name"
    # No password travels: the new accounts cannot sign in until a link sets one.
    assert not verify_password(li.password_hash, "")
    assert li.password_hash != staff.password_hash

    links = {link.email: link for link in result.links}
    assert set(links) == {"li@example.test", "staff@example.test"}
    token = links["li@example.test"].link.rsplit("/", 1)[1]
    stored = session.exec(select(PasswordLink).where(PasswordLink.user_id == li.id)).one()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash

    mails = {mail.user_id: mail for mail in session.exec(select(Notification))}
    assert set(mails) == {li.id, staff.id}
    assert mails[li.id].kind == NotificationKind.ACCOUNT_INVITE
    assert links["li@example.test"].link in mails[li.id].body
    assert mails[li.id].next_attempt_at is not None and "李伟" in mails[li.id].body

    actions = sorted(
        session.exec(select(AuditEvent.action).where(col(AuditEvent.at) >= li.created_at)).all()
    )
    assert actions == ["user.created", "user.created", "user.updated_by_import", "users.imported"]


def _rows(count: int, prefix: str) -> list[ImportRow]:
    return [
        row(line=n + 2, email=f"{prefix}{n}@example.test", display_name=f"学生 {n}")
        for n in range(count)
    ]


def test_the_number_of_statements_does_not_grow_with_the_file(
    session: Session, count_queries: Callable, make_user: Callable[..., User]
) -> None:
    make_user(email="small0@example.test", display_name="Old")
    make_user(email="large0@example.test", display_name="Old")
    counts = []
    for prefix, size in (("small", 20), ("large", 2000)):
        with count_queries() as counted:
            plan = plan_import(session, _rows(size, prefix))
            result = import_accounts(session, None, plan, now=utcnow(), link_for=link_for)
        assert (result.created, result.updated) == (size - 1, 1)
        counts.append(counted.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 12
    total = session.exec(select(func.count()).select_from(PasswordLink)).one()
    assert total == 19 + 1999
