"""One order class from draft to placement, in a real browser, at phone and desktop sizes.

A partner drafts and submits, an instructor approves and opens recruiting, two students apply,
the partner admits one and turns the other down with a reason, the college trains and passes
the member, and the partner records an offer and a hire. A second firm's partner is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from academy.auth.models import User
from academy.curriculum.content import read_catalogue
from academy.curriculum.sync import sync_courses
from tests.browser.conftest import check, go_to, sign_in

COURSES = Path(__file__).resolve().parents[2] / "courses"
NAME = "TikTok Shop hosts for the US 美国主播班"


def _open_cohort(page: Page, screenshot: str | None = None) -> None:
    go_to(page, "Order classes")
    check(page)
    page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1, name=NAME)).to_be_visible()
    check(page, screenshot=screenshot)


def _step(page: Page, button: str, stage: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(f"The order class is now: {stage}.")).to_be_visible()
    check(page, variant=stage)


def _apply(page: Page, base: str, student: User, motivation: str,
           screenshot: str | None = None) -> None:
    sign_in(page, base, student)
    _open_cohort(page)
    page.get_by_role("link", name="Apply to this order class").click()
    check(page, screenshot=screenshot)
    page.get_by_label("Why do you want to join?").fill(motivation)
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("Your application is in.")).to_be_visible()
    check(page, variant="applied")


def _open_applicant(page: Page, name: str, screenshot: str | None = None) -> None:
    _open_cohort(page)
    page.get_by_role("link", name="Applicants").click()
    check(page, screenshot=screenshot and "order-class-applicants")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    check(page, screenshot=screenshot)


def test_an_order_class_from_draft_to_hire(page: Page, live_server: str, session: Session,
                                           make_user, make_firm) -> None:
    sync_courses(session, COURSES, now=dt.datetime.now(dt.UTC))
    required = next(m for m in read_catalogue(COURSES).modules if m.slug == "host-compliance")
    firm = make_firm("yiwu-lighting", "Yiwu Lighting Export")
    partner = make_user("partner", firm=firm, display_name="Zhao Min 赵敏")
    rival = make_user("partner", firm=make_firm("rival-audio", "Rival Audio"),
                      display_name="Rival Staff")
    instructor = make_user("instructor", display_name="Chen Jing 陈静")
    li_na = make_user("student", display_name="Li Na 李娜")
    wang_lei = make_user("student", display_name="Wang Lei 王磊")
    today = dt.date.today()

    # The partner starts from an empty dashboard, drafts the order class and submits it.
    sign_in(page, live_server, partner)
    page.get_by_role("link", name="Propose an order class").click()
    check(page)
    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_label("Track").select_option("host")
    page.get_by_label("Seats").fill("1")
    page.get_by_label("Applications close on").fill((today + dt.timedelta(days=14)).isoformat())
    page.get_by_label("Training starts on").fill((today + dt.timedelta(days=21)).isoformat())
    page.get_by_label("Order class ends on").fill((today + dt.timedelta(days=120)).isoformat())
    page.get_by_label("Description").fill("Sell **LED lighting** to US wholesale buyers.")
    page.get_by_label(required.front.title).check()
    page.get_by_label("TikTok Shop").check()
    page.get_by_role("textbox", name="Markets").fill("US")
    page.get_by_role("textbox", name="Languages").fill("en")
    page.get_by_label("Hiring commitment").fill("We hire every member who passes.")
    page.get_by_label("Chen Jing 陈静").check()
    page.get_by_role("button", name="Save the draft").click()
    expect(page.get_by_role("heading", level=1, name=NAME)).to_be_visible()
    check(page)
    _step(page, "Submit for approval", "Submitted for approval")

    # The instructor, its mentor, sees it on the dashboard, approves and opens recruiting.
    sign_in(page, live_server, instructor)
    page.get_by_role("link", name=NAME).click()
    check(page, screenshot="order-class-review")
    _step(page, "Approve", "Approved")
    _step(page, "Open recruiting", "Recruiting")

    # Two students apply.
    _apply(page, live_server, li_na, "I host in English every week and sold 40 lamps live.",
           screenshot="order-class-apply")
    expect(page.get_by_text("You have completed 0 of 1 required modules.")).to_be_visible()
    check(page, screenshot="order-class-student")
    _apply(page, live_server, wang_lei, "I want to learn to sell lighting to buyers abroad.")

    # The partner admits one and turns the other down, with a reason.
    sign_in(page, live_server, partner)
    _open_applicant(page, li_na.display_name, screenshot="order-class-applicant")
    page.get_by_role("button", name="Shortlist").click()
    check(page, variant="shortlisted")
    page.get_by_role("button", name="Admit").click()
    expect(page.get_by_text("Saved: Admitted.")).to_be_visible()
    check(page, variant="admitted")
    _open_applicant(page, wang_lei.display_name)
    page.locator("summary", has_text="Reject").click()
    page.get_by_label("Reason (the student sees it)").fill("We need one more month of practice.")
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_text("Saved: Not selected.")).to_be_visible()
    _open_cohort(page)
    _step(page, "Close applications", "Selecting")

    # The college trains the member and passes them.
    sign_in(page, live_server, instructor)
    _open_cohort(page)
    _step(page, "Start training", "Training")
    page.get_by_role("link", name="Progress board").click()
    check(page, screenshot="order-class-board")
    page.get_by_role("link", name=li_na.display_name).click()
    check(page, variant="training")
    page.get_by_role("button", name="Passed the training").click()
    expect(page.get_by_text("Saved: Passed.")).to_be_visible()
    _open_cohort(page)
    _step(page, "Start internship", "Internship")
    _step(page, "Start placement", "Placement")

    # The partner records an offer, its acceptance and the hire.
    sign_in(page, live_server, partner)
    _open_applicant(page, li_na.display_name)
    page.get_by_label("Position").fill("Live host, US market")
    page.get_by_label("Offered on").fill((today + dt.timedelta(days=100)).isoformat())
    page.get_by_role("button", name="Record the offer").click()
    expect(page.get_by_text("Offer recorded.")).to_be_visible()
    check(page, variant="offered")
    page.get_by_role("button", name="Record: accepted").click()
    check(page, variant="accepted")
    page.get_by_label("First working day").fill((today + dt.timedelta(days=130)).isoformat())
    page.get_by_role("button", name="Record the hire").click()
    expect(page.get_by_text("Hire recorded.")).to_be_visible()
    check(page, screenshot="order-class-placement")
    go_to(page, "Hiring funnel")
    expect(page.get_by_role("img", name=NAME)).to_be_visible()
    check(page, screenshot="order-class-funnel")
    page.get_by_role("link", name="Live Academy").click()
    expect(page.get_by_role("row", name=NAME).get_by_role("cell").last).to_have_text("1")
    check(page, screenshot="dashboard-partner")

    # Both students see the outcome.
    sign_in(page, live_server, li_na)
    _open_cohort(page)
    expect(page.get_by_text("Live host, US market")).to_be_visible()
    expect(page.locator(".offers")).to_contain_text("Hired")
    check(page, variant="hired")
    sign_in(page, live_server, wang_lei)
    _open_cohort(page)
    expect(page.get_by_text("We need one more month of practice.")).to_be_visible()
    check(page, variant="rejected")

    # Another firm's partner is refused everywhere.
    cohort_url = page.url
    sign_in(page, live_server, rival)
    response = page.goto(cohort_url)
    assert response is not None and response.status == 404
    check(page, screenshot="not-found")
    for path in ("/applicants", "/board", "/board.csv", "/edit", "/events/new"):
        assert page.request.get(cohort_url + path).status == 404, path  # with the same cookies
    page.goto(f"{live_server}/cohorts")
    expect(page.get_by_text(NAME)).to_have_count(0)
    check(page, variant="rival")
    page.goto(f"{live_server}/cohorts/dashboard")
    expect(page.get_by_text(NAME)).to_have_count(0)
    check(page, variant="rival")
