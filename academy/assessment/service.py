"""Rubric assessments of practice streams: scoring, the assessor's queue, revisions, trends."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment, AssessmentRevision
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.service import mentors_student
from academy.curriculum.models import Rubric
from academy.errors import DomainError, NotAllowed, NotFound
from academy.markdown import render_user_text
from academy.practice.models import TRACK_STREAM_ROLES, PracticeStream
from academy.security import can_assess, can_view_stream

GATE_CAP = Decimal(59)
LEVELS = (1, 2, 3, 4)
QUEUE_SIZE = 50
MAX_FEEDBACK = 5000
MAX_COMMENTS = 50
_COMMENT_LINE = re.compile(r"^\s*(\d{1,3}):([0-5]\d)\s*[—–-]+\s*(.+?)\s*$")


class AssessmentInvalid(DomainError):
    """The scores or comments cannot be accepted; ``errors`` maps fields to messages."""

    status = 422

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(_l("The assessment is incomplete. Check the marked criteria."))
        self.errors = dict(errors)


def rubric_total(criteria: list[dict[str, Any]], levels: Mapping[str, int]) -> Decimal:
    """The weighted score on a 0–100 scale; the one place it is computed.

    Each criterion contributes weight × (level − 1) ÷ 3, so all level 1 is 0 and all level 4
    is 100 (weights sum to 100). A gated criterion (compliance) at level 1 caps the total at 59:
    a stream with a prohibited claim fails however good the rest was.
    """
    total = sum((Decimal(c["weight"]) * (levels[c["key"]] - 1) / 3 for c in criteria),
                Decimal(0))
    if any(c.get("gate") and levels[c["key"]] == 1 for c in criteria):
        total = min(total, GATE_CAP)
    return total.quantize(Decimal("0.01"))


def parse_comments(text: str) -> list[dict[str, str]]:
    """Read "12:40 — missed the MOQ question" lines into timestamped comments.

    Raises ``AssessmentInvalid`` naming the first line that has no mm:ss time.
    """
    comments = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _COMMENT_LINE.match(line)
        if match is None:
            raise AssessmentInvalid({"comments": _l(
                "Line %(number)d needs a time first, like “12:40 — missed the MOQ question”.",
                number=number)})
        minutes, seconds, remark = match.groups()
        comments.append({"at": f"{int(minutes)}:{seconds}", "text": remark[:500]})
    if len(comments) > MAX_COMMENTS:
        raise AssessmentInvalid({"comments": _l("Keep to %(count)d comments.",
                                                count=MAX_COMMENTS)})
    return comments


def comments_as_text(comments: list[dict[str, str]]) -> str:
    return "\n".join(f"{comment['at']} — {comment['text']}" for comment in comments)


def current_rubric(session: Session, slug: str = "practice-stream") -> Rubric:
    rubric = session.exec(select(Rubric).where(Rubric.slug == slug,
                                               Rubric.retired == sa.false())).first()
    if rubric is None:
        raise NotFound(_l("The rubric %(slug)s is not in the catalogue. Run “academy courses "
                          "sync”.", slug=slug))
    return rubric


def rubric_criteria(session: Session, locale: str = "en") -> list[dict[str, Any]]:
    """The practice rubric's criteria in ``locale``, or none before the rubric is synced."""
    rubric = session.exec(select(Rubric).where(Rubric.slug == "practice-stream")).first()
    return rubric.localized_criteria(locale) if rubric else []


def _check_levels(rubric: Rubric, levels: Mapping[str, int]) -> None:
    errors = {c["key"]: _l("Choose a level from 1 to 4.") for c in rubric.criteria
              if levels.get(c["key"]) not in LEVELS}
    if errors:
        raise AssessmentInvalid(errors)


def _stream_to_assess(session: Session, assessor: User, stream_id: int) -> PracticeStream:
    stream = session.get(PracticeStream, stream_id)
    mentor = stream is not None and mentors_student(session, assessor, stream.student_id)
    if stream is None or not can_view_stream(assessor, stream.student_id, mentors_student=mentor):
        raise NotFound(_l("There is no such practice stream."))
    if not can_assess(assessor, stream.student_id, mentors_student=mentor):
        raise NotAllowed(_l("Only instructors and the student's order-class mentors assess "
                            "practice streams."))
    return stream


def own_assessment(session: Session, assessor: User, stream_id: int) -> Assessment | None:
    return session.exec(select(Assessment).where(Assessment.practice_stream_id == stream_id,
                                                 Assessment.assessor_id == assessor.id)).first()


def assess_stream(session: Session, assessor: User, stream_id: int, *,
                  levels: Mapping[str, int], comments_text: str, feedback_md: str,
                  now: dt.datetime) -> Assessment:
    """Score a stream against the practice rubric, or revise the assessor's earlier score.

    An assessor holds one assessment per stream; assessing again keeps the earlier version
    as a revision. Nobody can change another assessor's assessment. Audited. Commits.
    """
    stream = _stream_to_assess(session, assessor, stream_id)
    rubric = current_rubric(session)
    _check_levels(rubric, levels)
    comments = parse_comments(comments_text)
    if len(feedback_md) > MAX_FEEDBACK:
        raise AssessmentInvalid({"feedback_md": _l("Keep the feedback under %(count)d "
                                                   "characters.", count=MAX_FEEDBACK)})
    scores = {c["key"]: int(levels[c["key"]]) for c in rubric.criteria}
    total = rubric_total(rubric.criteria, scores)
    assessment = own_assessment(session, assessor, stream.id or 0)
    if assessment is None:
        assessment = Assessment(practice_stream_id=stream.id or 0, assessor_id=assessor.id or 0,
                                rubric_id=rubric.id or 0, total=total, created_at=now,
                                updated_at=now)
        action = "assessment.created"
    else:
        session.add(AssessmentRevision(
            assessment_id=assessment.id or 0, levels=assessment.levels,
            comments=assessment.comments, feedback_md=assessment.feedback_md,
            total=assessment.total, replaced_at=now))
        action = "assessment.revised"
    assessment.rubric_id = rubric.id or 0
    assessment.levels = scores
    assessment.comments = comments
    assessment.feedback_md = feedback_md
    assessment.feedback_html = render_user_text(feedback_md) if feedback_md.strip() else ""
    assessment.total = total
    assessment.updated_at = now
    session.add(assessment)
    session.flush()
    record_event(session, actor_id=assessor.id, action=action, subject_type="assessment",
                 subject_id=assessment.id or 0, now=now,
                 detail={"practice_stream_id": stream.id, "total": str(total),
                         "levels": scores})
    session.commit()
    return assessment


@dataclass(frozen=True)
class AssessmentView:
    assessment: Assessment
    assessor_name: str
    revisions: int


def assessments_of_stream(session: Session, viewer: User, stream_id: int) -> list[AssessmentView]:
    """The stream's assessments with their assessors, for anyone who may see the stream."""
    stream = session.get(PracticeStream, stream_id)
    if stream is None or not can_view_stream(
            viewer, stream.student_id,
            mentors_student=mentors_student(session, viewer, stream.student_id)):
        raise NotFound(_l("There is no such practice stream."))
    revisions = (select(AssessmentRevision.assessment_id, func.count().label("n"))
                 .group_by(AssessmentRevision.assessment_id).subquery())
    rows = session.exec(
        select(Assessment, User.display_name, revisions.c.n)
        .join(User, col(User.id) == col(Assessment.assessor_id))
        .outerjoin(revisions, revisions.c.assessment_id == Assessment.id)
        .where(Assessment.practice_stream_id == stream_id)
        .order_by(col(Assessment.created_at))
    ).all()
    return [AssessmentView(assessment, name, n or 0) for assessment, name, n in rows]


def track_of_role() -> sa.Case[Any]:
    """SQL mapping a stream's role to the track it practises."""
    return sa.case(*[(col(PracticeStream.stream_role).in_(roles), track)
                     for track, roles in TRACK_STREAM_ROLES.items()])


@dataclass(frozen=True)
class QueueItem:
    stream: PracticeStream
    student_name: str


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    waiting: int  # all streams waiting, of which ``items`` are the oldest


def assessment_queue(session: Session, assessor: User, *, track: str = "",
                     student_id: int | None = None) -> Queue:
    """Streams nobody has assessed yet, oldest first (rehearsals included), for assessors."""
    if assessor.account_role not in (AccountRole.INSTRUCTOR, AccountRole.ADMIN):
        raise NotAllowed(_l("Only instructors assess practice streams."))
    assessed = select(Assessment.practice_stream_id)
    conditions: list[Any] = [col(PracticeStream.id).not_in(assessed)]
    if track in TRACK_STREAM_ROLES:
        conditions.append(col(PracticeStream.stream_role).in_(TRACK_STREAM_ROLES[track]))
    if student_id:
        conditions.append(PracticeStream.student_id == student_id)
    rows = session.exec(
        select(PracticeStream, User.display_name)
        .join(User, col(User.id) == col(PracticeStream.student_id))
        .where(*conditions)
        .order_by(col(PracticeStream.started_at), col(PracticeStream.id))
        .limit(QUEUE_SIZE)
    ).all()
    waiting = session.exec(select(func.count()).select_from(PracticeStream)
                           .where(*conditions)).one()
    return Queue([QueueItem(stream, name) for stream, name in rows], waiting)


@dataclass(frozen=True)
class CriterionTrend:
    criteria: list[dict[str, Any]]
    streams: list[tuple[dt.datetime, dict[str, int], Decimal]]  # started, levels, total


def criterion_trend(session: Session, viewer: User, student_id: int,
                    locale: str = "en") -> CriterionTrend:
    """Each assessed stream's levels per criterion, oldest first (the mean where several)."""
    if not can_view_stream(viewer, student_id,
                           mentors_student=mentors_student(session, viewer, student_id)):
        raise NotFound(_l("There is no such student."))
    rows = session.exec(
        select(PracticeStream.id, PracticeStream.started_at, Assessment.levels,
               Assessment.total)
        .join(Assessment, col(Assessment.practice_stream_id) == col(PracticeStream.id))
        .where(PracticeStream.student_id == student_id)
        .order_by(col(PracticeStream.started_at), col(PracticeStream.id))
    ).all()
    per_stream: dict[int, tuple[dt.datetime, list[dict[str, int]], list[Decimal]]] = {}
    for stream_id, started, levels, total in rows:
        entry = per_stream.setdefault(stream_id, (started, [], []))
        entry[1].append(levels)
        entry[2].append(total)
    streams = []
    for started, all_levels, totals in per_stream.values():
        keys = {key for levels in all_levels for key in levels}
        mean_levels = {key: sum(levels.get(key, 0) for levels in all_levels) / len(all_levels)
                       for key in keys}
        streams.append((started, mean_levels, sum(totals, Decimal(0)) / len(totals)))
    return CriterionTrend(rubric_criteria(session, locale), streams)
