"""A student's first evening: register, read a module, pass its quiz, log streams, see progress.

Then an instructor finds the student in the class overview.
"""

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from academy.curriculum.content import read_catalogue
from tests.browser.conftest import check, go_to, open_menu, sign_in

COURSES = Path(__file__).resolve().parents[2] / "courses"
FIRST_MODULE = "host-compliance"  # the first module of the host track, where newcomers start
STREAMS = [  # started, viewers, views, product-click viewers, buyers, GMV
    ("2026-11-17T20:00", "300", "500", "60", "3", "1500"),
    ("2026-11-18T20:00", "420", "800", "84", "6", "3600"),
    ("2026-11-19T20:00", "500", "1000", "100", "10", "8000"),
]


def _register(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    check(page, screenshot="welcome")
    page.get_by_role("link", name="Register").click()
    check(page, screenshot="register")
    page.get_by_label("Email").fill("lin.xia@example.test")
    page.get_by_label("Your name").fill("Lin Xia 林夏")
    page.get_by_label("Password", exact=True).fill("streaming-every-day")
    page.get_by_label("Repeat the password").fill("streaming-every-day")
    page.get_by_label("Time zone").select_option("Asia/Shanghai")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1, name="Hello, Lin Xia 林夏")).to_be_visible()
    check(page, screenshot="dashboard-student-new")


def _learn_and_pass_the_quiz(page: Page) -> None:
    module = next(m for m in read_catalogue(COURSES).modules if m.slug == FIRST_MODULE)
    page.get_by_role("link", name="Continue learning").click()
    expect(page.get_by_role("heading", level=1, name=module.front.title)).to_be_visible()
    expect(page.get_by_role("heading", name="The law a live host works under")).to_be_visible()
    check(page, screenshot="module")
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("Marked as complete.")).to_be_visible()
    check(page)
    page.get_by_role("link", name="Take the quiz").click()
    check(page, screenshot="quiz")
    for question in module.front.quiz.questions:
        group = page.get_by_role("group", name=question.prompt)
        for index in sorted(question.correct):
            group.get_by_label(question.choices[index], exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("100% — Passed")).to_be_visible()
    check(page, screenshot="quiz-result")
    go_to(page, "Courses")
    expect(page.get_by_text("Quiz passed · best 100%")).to_be_visible()
    check(page, screenshot="courses")


def _log_streams(page: Page, base: str) -> None:
    for started, viewers, views, clickers, buyers, gmv in STREAMS:
        page.goto(f"{base}/")
        page.get_by_role("link", name="Log a stream").first.click()
        check(page, screenshot="log-stream" if started == STREAMS[0][0] else None)
        page.get_by_label("Started at", exact=True).fill(started)
        page.get_by_label("Duration (minutes)", exact=True).fill("60")
        page.get_by_label("Platform", exact=True).select_option("alibaba")
        page.get_by_label("Unique viewers (UV)", exact=True).fill(viewers)
        page.get_by_label("Views (PV)", exact=True).fill(views)
        page.get_by_label("Viewers who clicked a product", exact=True).fill(clickers)
        page.get_by_label("Product clicks", exact=True).fill(clickers)
        page.get_by_label("Orders", exact=True).fill(buyers)
        page.get_by_label("Buyers", exact=True).fill(buyers)
        page.get_by_label("GMV", exact=True).fill(gmv)
        page.get_by_label("Notes and self-review", exact=True).fill("开场太慢，下次先讲MOQ")
        page.get_by_role("button", name="Log stream").click()
        expect(page.get_by_text("Stream logged.")).to_be_visible()
        check(page, screenshot="stream-detail" if started == STREAMS[-1][0] else None)
    # The last stream: GPM = 8000 × 1000 / 1000 = 8,000; conversion = 10 / 100 = 10 %.
    def kpi_cell(name: str):  # type: ignore[no-untyped-def]
        header = page.get_by_role("rowheader", name=name, exact=True)
        return page.get_by_role("row").filter(has=header).get_by_role("cell").first

    expect(kpi_cell("GPM")).to_have_text("$8,000.00")
    expect(kpi_cell("Conversion")).to_have_text("10.0%")


def test_a_student_registers_learns_practises_and_sees_progress(
        page: Page, live_server: str, make_user, real_catalogue) -> None:
    _register(page, live_server)
    _learn_and_pass_the_quiz(page)
    _log_streams(page, live_server)

    page.goto(f"{live_server}/practice")
    expect(page.get_by_role("img", name="Hours on air per week")).to_be_visible()
    expect(page.get_by_role("img", name="GPM per stream")).to_be_visible()
    check(page, screenshot="my-practice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 and rows[0]["notes_md"] == "开场太慢，下次先讲MOQ"

    page.goto(f"{live_server}/")
    expect(page.get_by_role("img", name="GPM of your latest streams, oldest first")).to_be_visible()
    expect(page.get_by_text("1 of 7 modules done in the Host track")).to_be_visible()
    check(page, screenshot="dashboard-student")

    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    check(page)
    page.get_by_label("Email").fill("lin.xia@example.test")
    page.get_by_label("Password").fill("streaming-every-day")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Hello, Lin Xia 林夏")).to_be_visible()

    sign_in(page, live_server, make_user("instructor", display_name="Chen Jing 陈静"))
    page.goto(f"{live_server}/practice/class")
    row = page.get_by_role("row", name="Lin Xia 林夏")
    expect(row.get_by_role("cell").nth(1)).to_have_text("3")
    expect(row.get_by_role("cell").nth(2)).to_have_text("3.0")
    expect(row.get_by_role("cell").nth(4)).to_have_text("4500.0")  # median of 3000, 4500, 8000
    check(page, screenshot="class-overview")
