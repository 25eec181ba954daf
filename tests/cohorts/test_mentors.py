"""Partner mentors follow and assess their own order class's members, nobody else's."""

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from academy.assessment import service as assessment_service
from academy.auth.models import User
from academy.cohorts import service
from academy.cohorts.models import Cohort, CohortStatus
from academy.curriculum.sync import sync_courses
from academy.errors import NotFound
from tests.assessment.conftest import ALL_PROFICIENT
from tests.cohorts.conftest import NOW, World
from tests.conftest import COURSES
from tests.helpers import submit
from tests.practice.factories import add_stream


@pytest.fixture
def mentored(session: Session, world: World, make_cohort: Callable[..., Cohort]) -> Cohort:
    cohort = make_cohort(CohortStatus.TRAINING, mentor_ids=[world.partner.id])
    sync_courses(session, COURSES, now=NOW)  # the real practice rubric
    return cohort


def _stream(session: Session, student: User) -> int:
    stream = add_stream(session, student, NOW)
    session.commit()
    return stream.id or 0


def test_mentor_sees_and_assesses_a_member(session: Session, world: World, mentored: Cohort,
                                           client_for: Callable[[User | None], FlaskClient]
                                           ) -> None:
    assert service.mentors_student(session, world.partner, world.member.id)
    stream_id = _stream(session, world.member)
    client = client_for(world.partner)
    assert client.get(f"/practice/students/{world.member.id}").status_code == 200
    page = client.get(f"/practice/streams/{stream_id}").get_data(as_text=True)
    assert "Assess this stream" in page
    levels = {f"level-{key}": str(level) for key, level in ALL_PROFICIENT.items()}
    response = submit(client, f"/practice/streams/{stream_id}/assess",
                      {**levels, "comments": "", "feedback_md": "Ready for the interview."})
    assert response.status_code == 302
    [view] = assessment_service.assessments_of_stream(session, world.instructor, stream_id)
    assert view.assessor_name == "Zhao Min"


def test_other_partners_and_non_members_stay_hidden(session: Session, world: World,
                                                    mentored: Cohort,
                                                    client_for: Callable[[User | None],
                                                                         FlaskClient]) -> None:
    member_stream = _stream(session, world.member)
    outsider_stream = _stream(session, world.student)
    assert not service.mentors_student(session, world.other_partner, world.member.id)
    other = client_for(world.other_partner)
    assert other.get(f"/practice/streams/{member_stream}").status_code == 404
    mentor = client_for(world.partner)
    assert mentor.get(f"/practice/streams/{outsider_stream}").status_code == 404
    assert mentor.get(f"/practice/students/{world.student.id}").status_code == 404
    with pytest.raises(NotFound):
        assessment_service.assess_stream(session, world.other_partner, member_stream,
                                         levels=ALL_PROFICIENT, comments_text="",
                                         feedback_md="", now=NOW)


def test_the_board_shows_the_mean_rubric_total(session: Session, world: World,
                                               mentored: Cohort) -> None:
    for level in (3, 4):
        assessment_service.assess_stream(
            session, world.instructor, _stream(session, world.member),
            levels={key: level for key in ALL_PROFICIENT}, comments_text="", feedback_md="",
            now=NOW)
    board = service.progress_board(session, world.partner, mentored.slug)
    [row] = board.rows
    assert row.mean_rubric_total == 83.3  # (66.67 + 100) / 2, shown to one decimal
