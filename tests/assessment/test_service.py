"""Rubric scoring, assessing and revising, the queue and the trend."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from academy.assessment import service
from academy.assessment.models import AssessmentRevision
from academy.assessment.service import AssessmentInvalid, rubric_total
from academy.audit.models import AuditEvent
from academy.errors import NotAllowed, NotFound
from academy.practice import service as practice_service
from tests.assessment.conftest import ALL_PROFICIENT, NOW
from tests.practice.factories import stream_input

CRITERIA = [  # the weights of courses/rubrics/practice-stream.md
    {"key": "product", "weight": 25, "gate": False}, {"key": "language", "weight": 15},
    {"key": "interaction", "weight": 20}, {"key": "structure", "weight": 15},
    {"key": "compliance", "weight": 10, "gate": True}, {"key": "visual", "weight": 10},
    {"key": "teamwork", "weight": 5},
]


def _levels(*values: int) -> dict[str, int]:
    return dict(zip([c["key"] for c in CRITERIA], values, strict=True))


@pytest.mark.parametrize(("levels", "total"), [
    (_levels(4, 4, 4, 4, 4, 4, 4), Decimal("100.00")),
    (_levels(1, 1, 1, 1, 1, 1, 1), Decimal("0.00")),
    (_levels(3, 3, 3, 3, 3, 3, 3), Decimal("66.67")),
    # The worked example of host module 07: 16.67 + 5 + 13.33 + 5 + 6.67 + 6.67 + 5 = 58.33.
    (_levels(3, 2, 3, 2, 3, 3, 4), Decimal("58.33")),
    # Excellent everywhere but a prohibited claim: 85 without the gate, capped at 59.
    (_levels(4, 4, 4, 4, 1, 3, 3), Decimal("59.00")),
    # The gate never raises a total that is already below the cap.
    (_levels(3, 2, 3, 2, 1, 3, 4), Decimal("51.67")),
])
def test_rubric_total_worked_examples(levels: dict[str, int], total: Decimal) -> None:
    assert rubric_total(CRITERIA, levels) == total


def test_comments_need_a_time_per_line() -> None:
    assert service.parse_comments("12:40 — missed the MOQ question\n\n3:05 - good hook") == [
        {"at": "12:40", "text": "missed the MOQ question"}, {"at": "3:05", "text": "good hook"}]
    with pytest.raises(AssessmentInvalid) as refused:
        service.parse_comments("12:40 — fine\nno time here")
    assert "Line 2" in str(refused.value.errors["comments"])


def test_instructor_assesses_and_revises_keeping_history(session: Session, make_user,
                                                         make_stream, real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    stream = make_stream(student)
    first = service.assess_stream(session, instructor, stream.id, levels=ALL_PROFICIENT,
                                  comments_text="12:40 — missed the MOQ question",
                                  feedback_md="**Clear** specs.", now=NOW)
    assert first.total == Decimal("66.67") and "<strong>Clear</strong>" in first.feedback_html
    revised = service.assess_stream(session, instructor, stream.id,
                                    levels={**ALL_PROFICIENT, "compliance": 1},
                                    comments_text="", feedback_md="Said 'best in the world'.",
                                    now=NOW + dt.timedelta(hours=1))
    assert revised.id == first.id and revised.total == Decimal("59.00")
    [history] = session.exec(select(AssessmentRevision)).all()
    assert history.total == Decimal("66.67") and history.comments[0]["at"] == "12:40"
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.subject_type == "assessment").order_by(AuditEvent.id))]
    assert actions == ["assessment.created", "assessment.revised"]


def test_a_second_assessor_adds_their_own_and_cannot_touch_the_first(
        session: Session, make_user, make_stream, real_catalogue) -> None:
    student = make_user("student")
    first, second = make_user("instructor"), make_user("instructor")
    stream = make_stream(student)
    mine = service.assess_stream(session, first, stream.id, levels=ALL_PROFICIENT,
                                 comments_text="", feedback_md="", now=NOW)
    theirs = service.assess_stream(session, second, stream.id,
                                   levels={k: 4 for k in ALL_PROFICIENT}, comments_text="",
                                   feedback_md="", now=NOW)
    assert theirs.id != mine.id
    session.refresh(mine)
    assert mine.total == Decimal("66.67")


def test_missing_or_impossible_levels_name_the_criteria(session: Session, make_user,
                                                        make_stream, real_catalogue) -> None:
    stream = make_stream(make_user("student"))
    with pytest.raises(AssessmentInvalid) as refused:
        service.assess_stream(session, make_user("instructor"), stream.id,
                              levels={**ALL_PROFICIENT, "compliance": 5, "teamwork": None},
                              comments_text="", feedback_md="", now=NOW)
    assert set(refused.value.errors) == {"compliance", "teamwork"}


@pytest.mark.parametrize("account_role", ["student", "partner", "admin"])
def test_only_instructors_assess(session: Session, make_user, make_stream, real_catalogue,
                                 account_role: str) -> None:
    student = make_user("student")
    stream = make_stream(student)
    with pytest.raises((NotAllowed, NotFound)):
        service.assess_stream(session, make_user(account_role), stream.id,
                              levels=ALL_PROFICIENT, comments_text="", feedback_md="", now=NOW)
    with pytest.raises(NotAllowed):
        service.assess_stream(session, student, stream.id, levels=ALL_PROFICIENT,
                              comments_text="", feedback_md="", now=NOW)


def test_assessed_stream_can_only_be_annotated(session: Session, make_user,
                                               real_catalogue) -> None:
    student = make_user("student")
    stream = practice_service.log_stream(session, student, stream_input(), now=NOW)
    service.assess_stream(session, make_user("instructor"), stream.id, levels=ALL_PROFICIENT,
                          comments_text="", feedback_md="", now=NOW)
    with pytest.raises(NotAllowed):
        practice_service.update_stream(session, student, stream.id, stream_input(comments=1),
                                       now=NOW)
    with pytest.raises(NotAllowed):
        practice_service.delete_stream(session, student, stream.id, now=NOW)
    noted = practice_service.annotate_stream(session, student, stream.id,
                                             "Fixed the claim next time.", now=NOW)
    assert "Fixed the claim" in noted.annotation_html


def test_queue_is_oldest_first_and_filters_by_track(session: Session, make_user, make_stream,
                                                    real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    newest = make_stream(student, days_ago=1)
    oldest = make_stream(student, days_ago=9)
    operator_stream = make_stream(student, days_ago=5, stream_role="operator")
    done = make_stream(student, days_ago=20)
    service.assess_stream(session, instructor, done.id, levels=ALL_PROFICIENT,
                          comments_text="", feedback_md="", now=NOW)
    queue = service.assessment_queue(session, instructor)
    assert [item.stream.id for item in queue.items] == [oldest.id, operator_stream.id, newest.id]
    assert queue.waiting == 3
    host_only = service.assessment_queue(session, instructor, track="host")
    assert [item.stream.id for item in host_only.items] == [oldest.id, newest.id]
    with pytest.raises(NotAllowed):
        service.assessment_queue(session, student)


def test_trend_lists_levels_per_assessed_stream(session: Session, make_user, make_stream,
                                                real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    for days_ago, level in ((3, 2), (1, 4)):
        stream = make_stream(student, days_ago=days_ago)
        service.assess_stream(session, instructor, stream.id,
                              levels={k: level for k in ALL_PROFICIENT}, comments_text="",
                              feedback_md="", now=NOW)
    trend = service.criterion_trend(session, student, student.id)
    assert [levels["compliance"] for _s, levels, _t in trend.streams] == [2, 4]
    assert len(trend.criteria) == 7
    with pytest.raises(NotFound):
        service.criterion_trend(session, make_user("student"), student.id)
