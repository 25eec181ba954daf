"""The board, the applicant list and the dashboard issue the same statements at any size."""

from __future__ import annotations

import datetime as dt

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, func, select

from academy.auth.models import AccountRole, User
from academy.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus, Placement
from academy.curriculum.models import Module, ModuleProgress, QuizAttempt
from academy.practice.models import Platform, PracticeStream, StreamRole
from academy.security import hash_password
from tests.cohorts.conftest import MOTIVATION, NOW, World

STATUSES = [MemberStatus.TRAINING, MemberStatus.PASSED, MemberStatus.APPLIED,
            MemberStatus.REJECTED]


def _grow(session: Session, cohort: Cohort, count: int, offset: int) -> None:
    """Add ``count`` members with progress, quiz attempts, streams and offers, in bulk rows."""
    password = hash_password("not-used-to-sign-in")
    users = [User(email=f"bulk{offset + n}@example.test", display_name=f"Bulk {offset + n}",
                  password_hash=password, account_role=AccountRole.STUDENT)
             for n in range(count)]
    session.add_all(users)
    session.flush()
    modules = session.exec(select(Module).where(Module.track == "host")).all()
    members = [CohortMember(cohort_id=cohort.id, student_id=user.id, applied_at=NOW,
                            status=STATUSES[n % len(STATUSES)], motivation=MOTIVATION)
               for n, user in enumerate(users)]
    session.add_all(members)
    rows: list[object] = []
    for n, user in enumerate(users):
        rows.append(ModuleProgress(user_id=user.id, module_id=modules[n % 3].id,
                                   started_at=NOW, completed_at=NOW))
        rows.append(QuizAttempt(user_id=user.id, module_id=modules[0].id, answers=[[0]],
                                score=40 + n % 60, passed=True, submitted_at=NOW))
        rows.append(PracticeStream(student_id=user.id, started_at=NOW - dt.timedelta(hours=n),
                                   duration_min=30 + n % 90, platform=Platform.SHOPEE,
                                   market="MY", language="en", stream_role=StreamRole.HOST))
    session.add_all(rows)
    session.flush()
    session.add_all([Placement(member_id=member.id, position="Host", offered_on=NOW.date(),
                               recorded_by_id=users[0].id)
                     for member in members if member.status == MemberStatus.PASSED])
    session.commit()


@pytest.mark.parametrize("page", ["applicants", "board", "board.csv", "dashboard"])
def test_pages_issue_the_same_statements_at_10_and_500_members(
        page: str, session: Session, world: World, make_cohort, client_for,
        count_queries) -> None:
    cohort = make_cohort(CohortStatus.TRAINING, seats=500)
    url = "/cohorts/dashboard" if page == "dashboard" else f"/cohorts/{cohort.slug}/{page}"
    client: FlaskClient = client_for(world.partner)
    _grow(session, cohort, 9, 0)  # 10 with the world's member
    with count_queries() as small:
        response = client.get(url + "?sort=activity&dir=desc" if page != "dashboard" else url)
        assert response.status_code == 200
    _grow(session, cohort, 490, 9)
    with count_queries() as large:
        response = client.get(url + "?sort=activity&dir=desc" if page != "dashboard" else url)
        assert response.status_code == 200
    body = response.get_data(as_text=True)
    if page == "board":
        seated = session.exec(select(func.count()).select_from(CohortMember).where(
            col(CohortMember.status).in_([MemberStatus.TRAINING, MemberStatus.PASSED]))).one()
        assert seated > 240
        assert body.count('class="badge member-status') == seated
    if page == "applicants":
        assert "Bulk 498" in body
    print(f"{page}: {small.count} statements at 10 members, {large.count} at 500")
    assert small.count == large.count <= 6
