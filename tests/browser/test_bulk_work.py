"""Issue 14's day in a real browser: a class imported from a Chinese Excel CSV, enrolled in a
firm's internal training from a pasted list, and marked for one class — at phone and desktop
sizes.

The admin uploads 40 students in GBK (what Excel writes as "CSV" on a Chinese Windows), checks
the preview and confirms once; the instructor pastes the 40 addresses into the training's
"Add members" page, confirms, and marks two of them on the event's attendance sheet, leaving
everyone else at the default "present".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from academy.cohorts import service
from academy.cohorts.models import CohortKind, CohortStatus
from academy.curriculum.sync import sync_courses
from tests.browser.conftest import check, go_to, sign_in

COURSES = Path(__file__).resolve().parents[2] / "courses"
SURNAMES = "王李张刘陈杨黄赵周吴"
GIVEN_NAMES = ("芳", "伟", "娜", "敏")
NAME = "Live-room onboarding 直播间新人内训"


def class_of_forty() -> list[tuple[str, str]]:
    return [(f"hz{number:02d}@college.example", f"{SURNAMES[number % 10]}"
             f"{GIVEN_NAMES[number // 10]}") for number in range(40)]


def test_an_admin_imports_a_class_and_an_instructor_enrols_and_marks_it(
        page: Page, live_server: str, session: Session, make_user, make_firm) -> None:
    sync_courses(session, COURSES, now=dt.datetime.now(dt.UTC))
    partner = make_user("partner", firm=make_firm("yiwu-lighting", "Yiwu Lighting Export"))
    instructor = make_user("instructor", display_name="Chen Jing 陈静")
    admin = make_user("admin", display_name="Admin Wu 吴")
    today, now = dt.date.today(), dt.datetime.now(dt.UTC)
    cohort = service.create_cohort(session, partner, service.CohortDraft(
        name=NAME, track="host", seats=45, apply_by=None, starts_on=today,
        ends_on=today + dt.timedelta(days=30), required_modules=["host-compliance"],
        kind=CohortKind.INTERNAL), now=now)
    service.change_status(session, partner, cohort.slug, CohortStatus.SUBMITTED, now=now)
    service.change_status(session, instructor, cohort.slug, CohortStatus.APPROVED, now=now)
    local_start = (now - dt.timedelta(minutes=30)).astimezone(
        dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)  # instructors' zone: Shanghai
    service.add_event(session, partner, cohort.slug, service.EventDraft(
        title="Camera and light check", kind="class", starts_local=local_start,
        duration_min=120, location="Studio 2"), now=now)
    students = class_of_forty()
    csv_bytes = ("邮箱,姓名\r\n" + "".join(f"{email},{name}\r\n" for email, name in students)
                 ).encode("gbk")

    # The admin imports the class in one confirm.
    sign_in(page, live_server, admin)
    go_to(page, "Accounts")
    check(page)
    page.get_by_role("link", name="Import from CSV").click()
    check(page, screenshot="import-accounts")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "2026级主播1班.csv", "mimeType": "text/csv", "buffer": csv_bytes}])
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("To create: 40")).to_be_visible()
    expect(page.get_by_role("cell", name=students[0][1], exact=True)).to_be_visible()
    check(page, screenshot="import-preview")
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_text("Created: 40")).to_be_visible()
    expect(page.get_by_role("link", name="Download the links (CSV)")).to_be_visible()
    check(page)

    # The instructor pastes the addresses into the internal training and confirms.
    sign_in(page, live_server, instructor)
    go_to(page, "Order classes")
    check(page)
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1, name=NAME)).to_be_visible()
    check(page, screenshot="internal-training")
    page.get_by_role("link", name="Add members").click()
    check(page)
    page.get_by_label("E-mail addresses").fill("\n".join(email for email, _ in students))
    page.get_by_role("button", name="Preview").click()
    confirm = page.get_by_role("button", name="Confirm: add 40 members")
    expect(confirm).to_be_visible()
    check(page, variant="preview")  # a POST's answer: no language round trip
    confirm.click()
    expect(page.get_by_text("40 members added.")).to_be_visible()  # on the progress board
    check(page, screenshot="internal-training-board")

    # ... and marks the class: two exceptions, everyone else present by default.
    go_to(page, "Order classes")
    page.get_by_role("link", name=NAME).click()
    check(page, variant="with members")
    page.get_by_role("link", name="Attendance at Camera and light check").click()
    expect(page.get_by_text("0 of 40 marked")).to_be_visible()
    check(page, screenshot="attendance")
    late, absent = students[3][1], students[17][1]
    page.get_by_role("radio", name=f"{late}: Late").check()
    page.get_by_role("radio", name=f"{absent}: Absent").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved for 40 members.")).to_be_visible()
    expect(page.get_by_text("40 of 40 marked")).to_be_visible()
    expect(page.get_by_role("radio", name=f"{absent}: Absent")).to_be_checked()
    check(page, variant="marked")

    # The board shows each member's rate: 1 of 1 counted class attended, or 0 for the absent.
    page.goto(f"{live_server}/cohorts/{cohort.slug}/board")
    expect(page.get_by_role("row").filter(has_text=absent).locator("td.attendance-rate")
           ).to_have_text("0.0% (0/1)")
    expect(page.get_by_role("row").filter(has_text=late).locator("td.attendance-rate")
           ).to_have_text("100.0% (1/1)")
    check(page, variant="rates")
