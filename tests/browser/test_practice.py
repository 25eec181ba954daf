"""A student logs three streams and sees KPIs and charts; an instructor sees the class."""

import csv
import io

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.helpers import TEST_PASSWORD

STREAMS = [  # started, viewers, views, product-click viewers, buyers, GMV
    ("2026-11-17T20:00", "300", "500", "60", "3", "1500"),
    ("2026-11-18T20:00", "420", "800", "84", "6", "3600"),
    ("2026-11-19T20:00", "500", "1000", "100", "10", "8000"),
]


def _sign_in(page: Page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_student_logs_streams_and_instructor_sees_the_class(page: Page, live_server: str,
                                                            make_user) -> None:
    student = make_user("student", display_name="Wang Fang 王芳")
    instructor = make_user("instructor")
    _sign_in(page, live_server, student.email)
    for started, viewers, views, clickers, buyers, gmv in STREAMS:
        page.goto(f"{live_server}/practice/new")
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
        if started == STREAMS[0][0]:
            screenshot(page, "log-stream")
        page.get_by_role("button", name="Log stream").click()
        expect(page.get_by_text("Stream logged.")).to_be_visible()
    # The last stream: GPM = 8000 × 1000 / 1000 = 8,000; conversion = 10 / 100 = 10 %.
    def kpi_cell(name: str):  # type: ignore[no-untyped-def]
        header = page.get_by_role("rowheader", name=name, exact=True)
        return page.get_by_role("row").filter(has=header).get_by_role("cell").first

    expect(kpi_cell("GPM")).to_have_text("$8,000.00")
    expect(kpi_cell("Conversion")).to_have_text("10.0%")
    screenshot(page, "stream-detail")

    page.goto(f"{live_server}/practice")
    expect(page.get_by_role("img", name="Hours on air per week")).to_be_visible()
    expect(page.get_by_role("img", name="GPM per stream")).to_be_visible()
    screenshot(page, "my-practice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 and rows[0]["notes_md"] == "开场太慢，下次先讲MOQ"

    page.context.clear_cookies()
    _sign_in(page, live_server, instructor.email)
    page.goto(f"{live_server}/practice/class")
    row = page.get_by_role("row", name="Wang Fang 王芳")
    expect(row.get_by_role("cell").nth(1)).to_have_text("3")
    expect(row.get_by_role("cell").nth(2)).to_have_text("3.0")
    expect(row.get_by_role("cell").nth(4)).to_have_text("4500.0")  # median of 3000, 4500, 8000
    screenshot(page, "class-overview")
