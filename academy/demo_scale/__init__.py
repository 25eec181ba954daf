"""A large, realistic data set for trying the site at scale and for benchmarks (`demo --scale N`).

Each generated student has a track, a platform mix and a skill that grows with practice, so
the charts, medians and gradebooks look like a real college's: beginners with small audiences
and the odd violation, improving over months of about 200 practice streams, some of them team
streams. Streams pass the rules a student's own log must pass (``validate_stream``); quiz
scores come from ``score_answers`` and rubric totals from ``rubric_total``.

Rows are written with bulk inserts, one transaction per batch of students: 1,000 students
(about 200,000 streams) load in well under a minute. Audit events are not generated: they
record what people did on the site, and nobody did this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.auth.models import AccountRole, User
from academy.curriculum.models import TRACKS, Module, ModuleProgress, QuizAttempt, Rubric
from academy.demo import DEMO_PASSWORD
from academy.demo_scale.cohorts import generate_cohorts
from academy.demo_scale.learning import Classroom, assessment_rows, progress_and_attempts
from academy.demo_scale.students import StudentProfile, new_profile, stream_rows
from academy.practice.models import PracticeStream
from academy.security import hash_password

__all__ = ["SCALE_DOMAIN", "ScaleReport", "generate_scale_data", "scale_email"]

SCALE_DOMAIN = "scale.demo.test"
STREAMS_PER_STUDENT = 200
STUDENTS_PER_BATCH = 24  # whole teams of three
STUDENTS_PER_INSTRUCTOR = 100
STUDENTS_PER_COHORT = 100
Progress = Callable[[int, int, str], None]  # (students done, students in all, email)


@dataclass
class ScaleReport:
    students: int = 0
    streams: int = 0
    progress: int = 0
    attempts: int = 0
    assessments: int = 0
    cohorts: int = 0
    members: int = 0

    def summary(self) -> str:
        return (f"{self.students} students, {self.streams} practice streams, {self.progress} "
                f"module progress rows, {self.attempts} quiz attempts, {self.assessments} "
                f"assessments, {self.cohorts} order class{'' if self.cohorts == 1 else 'es'} "
                f"with {self.members} applicants")


def scale_email(index: int) -> str:
    return f"learner{index:05d}@{SCALE_DOMAIN}"


def _instructors(session: Session, count: int, password_hash: str,
                 now: dt.datetime) -> list[int]:
    """The assessors: the existing instructors, topped up to ``count`` with generated ones."""
    existing = session.exec(select(func.count()).select_from(User).where(
        User.account_role == AccountRole.INSTRUCTOR)).one()
    missing = [{"email": f"instructor{number:03d}@{SCALE_DOMAIN}",
                "display_name": f"Instructor {number}", "password_hash": password_hash,
                "account_role": AccountRole.INSTRUCTOR, "created_at": now}
               for number in range(existing + 1, count + 1)]
    if missing:
        session.execute(insert(User), missing)
    return list(session.exec(select(User.id).where(User.account_role == AccountRole.INSTRUCTOR)
                             .order_by(User.id)))


def _classroom(session: Session, instructor_ids: list[int]) -> Classroom:
    modules: dict[str, list[Module]] = {track: [] for track in TRACKS}
    for module in session.exec(select(Module).where(Module.retired == sa.false())
                               .order_by(Module.track, Module.position)):
        modules.setdefault(module.track, []).append(module)
    rubric = session.exec(select(Rubric).where(Rubric.slug == "practice-stream",
                                               Rubric.retired == sa.false())).first()
    return Classroom(modules=modules, rubric=rubric, instructor_ids=instructor_ids)


def _insert_students(session: Session, batch: list[StudentProfile], password_hash: str) -> None:
    rows = [{"email": scale_email(student.index), "display_name": student.display_name,
             "password_hash": password_hash, "account_role": AccountRole.STUDENT,
             "locale": student.locale, "timezone": "Asia/Shanghai",
             "created_at": student.joined_at} for student in batch]
    ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows)
    for student, user_id in zip(batch, ids, strict=True):
        student.id = user_id


def _generate_batch(session: Session, batch: list[StudentProfile], classroom: Classroom,
                    password_hash: str, streams_per_student: int, seed: int,
                    now: dt.datetime, report: ScaleReport) -> None:
    """Write one batch of students and everything they did, in one transaction.

    Streams are inserted without RETURNING and read back: psycopg spends seconds parsing a
    multi-row INSERT … RETURNING of this size, and a plain executemany takes a tenth of that.
    """
    _insert_students(session, batch, password_hash)
    rows = stream_rows(batch, streams_per_student, seed, now)
    session.execute(insert(PracticeStream), rows)
    students = {student.id: student for student in batch}
    written = session.execute(
        select(PracticeStream.id, PracticeStream.student_id, PracticeStream.started_at,
               PracticeStream.is_rehearsal, PracticeStream.violations)
        .where(col(PracticeStream.student_id).in_(students)).order_by(PracticeStream.id)).all()
    assessments = assessment_rows(students, written, classroom, seed, now)
    if assessments:
        session.execute(insert(Assessment), assessments)
    progress, attempts = [], []
    for student in batch:
        student_progress, student_attempts = progress_and_attempts(student, classroom, seed, now)
        progress += student_progress
        attempts += student_attempts
    if progress:
        session.execute(insert(ModuleProgress), progress)
    if attempts:
        session.execute(insert(QuizAttempt), attempts)
    session.commit()
    report.students += len(batch)
    report.streams += len(rows)
    report.assessments += len(assessments)
    report.progress += len(progress)
    report.attempts += len(attempts)


def generate_scale_data(session: Session, *, students: int, now: dt.datetime,
                        streams_per_student: int = STREAMS_PER_STUDENT, seed: int = 11,
                        students_per_cohort: int = STUDENTS_PER_COHORT,
                        on_progress: Progress | None = None) -> ScaleReport:
    """Top the generated students up to ``students``, with everything they did. Commits per batch.

    Idempotent in size: students already generated (``learnerNNNNN@scale.demo.test``) are kept
    and only the missing ones are added, so ``--scale 1000`` after ``--scale 100`` adds 900.
    Student ``n``'s streams, quiz attempts and rubric levels come out the same for one ``seed``
    in a data set of any size (the benchmarks compare the first students' pages at two sizes);
    only a student generated without any teammate has no team streams. Sync the courses
    first, or students get no module progress, quiz attempts or assessments. Every generated
    account has the demo password. Each class of ``students_per_cohort`` students (by number)
    gets an order class recruiting from it.
    """
    report = ScaleReport()
    existing = session.exec(select(func.count()).select_from(User).where(
        col(User.email).like(f"learner%@{SCALE_DOMAIN}"))).one()
    wanted = range(existing, max(existing, students))
    password_hash = hash_password(DEMO_PASSWORD)  # once: a scrypt hash takes ~0.1 s
    classroom = _classroom(session, _instructors(
        session, max(1, students // STUDENTS_PER_INSTRUCTOR), password_hash, now))
    session.commit()
    applicants: dict[int, dict[str, list[int]]] = {}  # cohort number -> track -> students
    for start in range(wanted.start, wanted.stop, STUDENTS_PER_BATCH):
        batch = [new_profile(index, seed, now)
                 for index in range(start, min(start + STUDENTS_PER_BATCH, wanted.stop))]
        _generate_batch(session, batch, classroom, password_hash, streams_per_student, seed,
                        now, report)
        for student in batch:
            cohort = student.index // students_per_cohort + 1
            applicants.setdefault(cohort, {}).setdefault(student.track, []).append(student.id)
            if on_progress is not None:
                on_progress(report.students, len(wanted), scale_email(student.index))
    # Only whole classes of students recruit: a class completed by a later top-up is skipped.
    complete = {number: by_track for number, by_track in applicants.items()
                if sum(map(len, by_track.values())) == students_per_cohort}
    if complete:
        report.members = generate_cohorts(
            session, complete, classroom.modules, domain=SCALE_DOMAIN,
            password_hash=password_hash, seed=seed, now=now)
        report.cohorts = len(complete)
    return report
