"""Learning: catalogue, module pages, completion, quizzes and their grading, statistics."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.auth.models import AccountRole, User
from academy.curriculum.models import TRACKS, Module, ModuleProgress, ModuleText, QuizAttempt
from academy.errors import DomainError, NotAllowed, NotFound


class ModuleStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    QUIZ_PASSED = "quiz_passed"


class QuizError(DomainError):
    """The submitted answers cannot be graded (unanswered or unknown choices)."""

    status = 422


@dataclass(frozen=True)
class ModuleSummary:
    slug: str
    title: str
    summary: str
    track: str
    position: int
    hours: float
    status: ModuleStatus
    best_score: int | None


@dataclass(frozen=True)
class TrackOverview:
    track: str
    modules: list[ModuleSummary]

    @property
    def hours(self) -> float:
        return sum(module.hours for module in self.modules)

    @property
    def done(self) -> int:
        return sum(module.status in (ModuleStatus.COMPLETED, ModuleStatus.QUIZ_PASSED)
                   for module in self.modules)

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / len(self.modules)) if self.modules else 0


@dataclass(frozen=True)
class Learner:
    """What the module and catalogue pages need to know about the reader's own progress."""

    started: set[int] = field(default_factory=set)
    completed: set[int] = field(default_factory=set)
    best_scores: dict[int, int] = field(default_factory=dict)
    passed: set[int] = field(default_factory=set)

    def status(self, module_id: int) -> ModuleStatus:
        if module_id in self.passed:
            return ModuleStatus.QUIZ_PASSED
        if module_id in self.completed:
            return ModuleStatus.COMPLETED
        if module_id in self.started or module_id in self.best_scores:
            return ModuleStatus.IN_PROGRESS
        return ModuleStatus.NOT_STARTED


def _learner(session: Session, user: User) -> Learner:
    """The reader's progress over every module, in two queries whatever the catalogue's size."""
    if user.account_role != AccountRole.STUDENT:
        return Learner()
    learner = Learner()
    for module_id, completed_at in session.exec(
        select(ModuleProgress.module_id, ModuleProgress.completed_at)
        .where(ModuleProgress.user_id == user.id)
    ):
        learner.started.add(module_id)
        if completed_at is not None:
            learner.completed.add(module_id)
    for module_id, best, passed in session.exec(
        select(QuizAttempt.module_id, func.max(QuizAttempt.score),
               func.max(sa.cast(QuizAttempt.passed, sa.Integer)))
        .where(QuizAttempt.user_id == user.id)
        .group_by(QuizAttempt.module_id)
    ):
        learner.best_scores[module_id] = best
        if passed:
            learner.passed.add(module_id)
    return learner


def _summary(module: Module, learner: Learner, locale: str = "en") -> ModuleSummary:
    assert module.id is not None
    text = module.text(locale)
    return ModuleSummary(
        slug=module.slug, title=text.title, summary=text.summary, track=module.track,
        position=module.position, hours=module.hours, status=learner.status(module.id),
        best_score=learner.best_scores.get(module.id),
    )


def list_tracks(session: Session, user: User, locale: str = "en") -> list[TrackOverview]:
    """The three tracks with their current modules in order, in ``locale``, and progress."""
    learner = _learner(session, user)
    modules = session.exec(
        select(Module).where(Module.retired == sa.false())
        .order_by(Module.track, Module.position)
    ).all()
    return [
        TrackOverview(track, [_summary(module, learner, locale) for module in modules
                              if module.track == track])
        for track in TRACKS
    ]


@dataclass(frozen=True)
class ModulePage:
    module: Module
    text: ModuleText  # what the reader sees, in their language
    status: ModuleStatus
    best_score: int | None
    prerequisites: list[ModuleSummary]
    missing_prerequisites: list[ModuleSummary]
    previous: ModuleSummary | None
    next: ModuleSummary | None


def get_module(session: Session, slug: str) -> Module:
    module = session.exec(select(Module).where(Module.slug == slug)).first()
    if module is None:
        raise NotFound(_l("There is no module %(slug)s.", slug=slug))
    return module


def module_page(session: Session, user: User, slug: str, locale: str = "en") -> ModulePage:
    """A module with the reader's status, its prerequisites and its neighbours in the track.

    A retired module stays readable by its old link (students who passed it keep their
    history) but is no longer in the catalogue or the track's sequence.
    """
    module = get_module(session, slug)
    learner = _learner(session, user)
    track = session.exec(
        select(Module).where(Module.track == module.track, Module.retired == sa.false())
        .order_by(Module.position)
    ).all()
    prerequisites = session.exec(
        select(Module).where(col(Module.slug).in_(module.prerequisites))
    ).all() if module.prerequisites else []
    prerequisite_summaries = [_summary(p, learner, locale) for p in prerequisites]
    position = next((index for index, item in enumerate(track) if item.id == module.id), None)
    assert module.id is not None
    return ModulePage(
        module=module,
        text=module.text(locale),
        status=learner.status(module.id),
        best_score=learner.best_scores.get(module.id),
        prerequisites=prerequisite_summaries,
        missing_prerequisites=[
            p for p in prerequisite_summaries
            if user.account_role == AccountRole.STUDENT
            and p.status not in (ModuleStatus.COMPLETED, ModuleStatus.QUIZ_PASSED)
        ],
        previous=_summary(track[position - 1], learner, locale) if position else None,
        next=_summary(track[position + 1], learner, locale)
        if position is not None and position + 1 < len(track) else None,
    )


@dataclass(frozen=True)
class ModuleLink:
    """A module another module's page links to: a prerequisite or a neighbour in the track."""

    slug: str
    title: str
    status: ModuleStatus


@dataclass(frozen=True)
class ReadingPage:
    """What the module page shows, and nothing more: no quiz, no other languages."""

    slug: str
    track: str
    hours: float
    retired: bool
    title: str
    summary: str
    objectives: list[str]
    sources: list[dict[str, Any]]
    body_html: str
    headings: list[dict[str, Any]]
    status: ModuleStatus
    best_score: int | None
    prerequisites: list[ModuleLink]
    missing_prerequisites: list[ModuleLink]
    previous: ModuleLink | None
    next: ModuleLink | None


_READING_COLUMNS = ("id", "slug", "track", "position", "hours", "retired", "prerequisites",
                    "title", "summary", "objectives", "sources", "body_html", "headings")
_READ_IN_TRANSLATION = ("title", "summary", "objectives", "sources", "body_html", "headings")


def _translated(column: str, locale: str) -> Any:
    """``column`` in ``locale`` (NULL when untranslated), picked out inside the database.

    The row's other languages, each with a whole rendered body, never leave it.
    """
    return col(Module.translations)[(locale, column)]


@functools.cache
def _reading_statements(locale: str) -> tuple[Any, Any]:
    """The module page's two module queries for ``locale``, built once per process.

    Building a SELECT costs more than SQLite takes to run this one, so they are built once,
    with bound parameters, and SQLAlchemy reuses their compiled SQL too.
    """
    translated = [] if locale == "en" else [
        _translated(name, locale).label(f"{name}_{locale}") for name in _READ_IN_TRANSLATION]
    module = select(*(getattr(Module, name) for name in _READING_COLUMNS), *translated) \
        .where(Module.slug == sa.bindparam("slug"))
    title = Module.title if locale == "en" else func.coalesce(
        _translated("title", locale).as_string(), Module.title)
    linked = select(Module.id, Module.slug, title, Module.track, Module.position,
                    Module.retired) \
        .where(sa.or_(sa.and_(Module.track == sa.bindparam("track"),
                              Module.retired == sa.false()),
                      col(Module.slug).in_(sa.bindparam("prerequisites", expanding=True)))) \
        .order_by(Module.position, Module.id)
    return module, linked


_PROGRESS_ON_MODULES = sa.union_all(
    select(ModuleProgress.module_id, sa.literal(1).label("started"),
           ModuleProgress.completed_at, sa.null().label("best"), sa.null().label("passed"))
    .where(ModuleProgress.user_id == sa.bindparam("user_id"),
           col(ModuleProgress.module_id).in_(sa.bindparam("module_ids", expanding=True))),
    select(QuizAttempt.module_id, sa.null(), sa.null(), func.max(QuizAttempt.score),
           func.max(sa.cast(QuizAttempt.passed, sa.Integer)))
    .where(QuizAttempt.user_id == sa.bindparam("user_id"),
           col(QuizAttempt.module_id).in_(sa.bindparam("module_ids", expanding=True)))
    .group_by(QuizAttempt.module_id),
)


def _learner_of(session: Session, user: User, module_ids: list[int]) -> Learner:
    """The reader's progress on ``module_ids`` only, in one statement."""
    learner = Learner()
    if user.account_role != AccountRole.STUDENT:
        return learner
    for module_id, started, completed_at, best, passed in session.execute(
            _PROGRESS_ON_MODULES, {"user_id": user.id, "module_ids": module_ids}):
        if started:
            learner.started.add(module_id)
        if completed_at is not None:
            learner.completed.add(module_id)
        if best is not None:
            learner.best_scores[module_id] = best
        if passed:
            learner.passed.add(module_id)
    return learner


def reading_page(session: Session, user: User, slug: str, locale: str = "en") -> ReadingPage:
    """The module page's content in three statements, reading only what the page shows.

    The module itself (in ``locale``, translated inside the database), the titles of its
    prerequisites and of its track's current modules (for previous and next), and the
    reader's progress on just those modules. A retired module stays readable by its old link
    but is no longer in its track's sequence.
    """
    module_statement, linked_statement = _reading_statements(locale)
    row = session.execute(module_statement, {"slug": slug}).first()
    if row is None:
        raise NotFound(_l("There is no module %(slug)s.", slug=slug))
    fields = row._asdict()
    for name in _READ_IN_TRANSLATION:
        if fields.get(f"{name}_{locale}") is not None:
            fields[name] = fields[f"{name}_{locale}"]
    linked = session.execute(linked_statement, {
        "track": fields["track"], "prerequisites": fields["prerequisites"]}).all()
    learner = _learner_of(session, user, [fields["id"], *(item[0] for item in linked)])

    def link(item: Any) -> ModuleLink:
        return ModuleLink(item[1], item[2], learner.status(item[0]))

    track = [item for item in linked if item[3] == fields["track"] and not item[5]]
    position = next((index for index, item in enumerate(track) if item[0] == fields["id"]),
                    None)
    by_slug = {item[1]: item for item in linked}
    prerequisites = [link(by_slug[name]) for name in fields["prerequisites"] if name in by_slug]
    return ReadingPage(
        slug=fields["slug"], track=fields["track"], hours=fields["hours"],
        retired=fields["retired"], title=fields["title"], summary=fields["summary"],
        objectives=fields["objectives"], sources=fields["sources"],
        body_html=fields["body_html"], headings=fields["headings"],
        status=learner.status(fields["id"]), best_score=learner.best_scores.get(fields["id"]),
        prerequisites=prerequisites,
        missing_prerequisites=[
            item for item in prerequisites if user.account_role == AccountRole.STUDENT
            and item.status not in (ModuleStatus.COMPLETED, ModuleStatus.QUIZ_PASSED)],
        previous=link(track[position - 1]) if position else None,
        next=link(track[position + 1])
        if position is not None and position + 1 < len(track) else None,
    )


def _require_student(user: User) -> None:
    if user.account_role != AccountRole.STUDENT:
        raise NotAllowed(_l("Only students record progress and take quizzes."))


def _progress_row(session: Session, user: User, module: Module,
                  now: dt.datetime) -> ModuleProgress:
    progress = session.exec(
        select(ModuleProgress).where(ModuleProgress.user_id == user.id,
                                     ModuleProgress.module_id == module.id)
    ).first()
    if progress is None:
        progress = ModuleProgress(user_id=user.id or 0, module_id=module.id or 0, started_at=now)
    return progress


def mark_complete(session: Session, user: User, slug: str, *, now: dt.datetime) -> None:
    """Record that the student finished reading the module (idempotent). Commits."""
    _require_student(user)
    module = get_module(session, slug)
    progress = _progress_row(session, user, module, now)
    if progress.completed_at is None:
        progress.completed_at = now
        session.add(progress)
        session.commit()


@dataclass(frozen=True)
class QuizChoice:
    index: int  # the choice's position in the course file: what the form sends back
    text: str


@dataclass(frozen=True)
class QuizQuestionView:
    number: int
    prompt: str
    select_all: bool
    choices: list[QuizChoice]


def quiz_questions(module: Module, rng: random.Random,
                   locale: str = "en") -> list[QuizQuestionView]:
    """The module's questions with choices shuffled for this attempt, without the answers.

    The form sends back each choice's original index, so grading does not depend on the order
    a student saw; nothing on the page tells which choice is right.
    """
    questions = []
    for number, question in enumerate(module.text(locale).quiz.get("questions", [])):
        choices = [QuizChoice(index, text) for index, text in enumerate(question["choices"])]
        rng.shuffle(choices)
        questions.append(QuizQuestionView(number, question["prompt"],
                                          isinstance(question["answer"], list), choices))
    return questions


def _correct_choices(question: dict[str, Any]) -> frozenset[int]:
    answer = question["answer"]
    return frozenset(answer if isinstance(answer, list) else [answer])


def score_answers(quiz: dict[str, Any], answers: list[list[int]]) -> int:
    """Percentage of questions answered exactly right (select-all needs every right choice)."""
    questions = quiz["questions"]
    right = sum(frozenset(given) == _correct_choices(question)
                for question, given in zip(questions, answers, strict=True))
    return round(100 * right / len(questions))


def submit_quiz(session: Session, user: User, slug: str, chosen: Mapping[int, list[int]], *,
                now: dt.datetime) -> QuizAttempt:
    """Grade a student's answers, store the attempt, and complete the module on a pass. Commits.

    ``chosen`` maps each question's number (file order) to the original indexes of the choices
    the student ticked.
    """
    _require_student(user)
    module = get_module(session, slug)
    if module.retired:
        raise NotAllowed(_l("This module has been retired; its quiz is closed."))
    questions = module.quiz["questions"]
    answers = [sorted(set(chosen.get(number, []))) for number in range(len(questions))]
    if any(not given for given in answers):
        raise QuizError(_l("Answer every question before you submit."))
    for question, given in zip(questions, answers, strict=True):
        if any(index not in range(len(question["choices"])) for index in given) \
                or (not isinstance(question["answer"], list) and len(given) != 1):
            raise QuizError(_l("Some answers do not belong to this quiz. Reload the page."))
    score = score_answers(module.quiz, answers)
    attempt = QuizAttempt(user_id=user.id or 0, module_id=module.id or 0,
                          answers=answers, score=score,
                          passed=score >= module.quiz["pass_mark"], submitted_at=now)
    session.add(attempt)
    progress = _progress_row(session, user, module, now)
    if attempt.passed and progress.completed_at is None:
        progress.completed_at = now
    session.add(progress)
    session.commit()
    return attempt


@dataclass(frozen=True)
class GradedQuestion:
    number: int
    prompt: str
    choices: list[tuple[str, bool, bool]]  # text, chosen, right
    correct: bool
    explain: str


@dataclass(frozen=True)
class QuizResult:
    module: Module
    title: str
    attempt: QuizAttempt
    questions: list[GradedQuestion]
    history: list[QuizAttempt]  # the student's attempts at this quiz, newest first

    @property
    def best_score(self) -> int:
        return max(attempt.score for attempt in self.history)


def quiz_result(session: Session, user: User, slug: str, attempt_id: int,
                locale: str = "en") -> QuizResult:
    """A student's own graded attempt with the explanations; others' attempts are not found."""
    module = get_module(session, slug)
    history = session.exec(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id)
        .order_by(col(QuizAttempt.submitted_at).desc(), col(QuizAttempt.id).desc())
    ).all()
    attempt = next((item for item in history if item.id == attempt_id), None)
    if attempt is None:
        raise NotFound(_l("There is no such attempt."))
    graded = []
    text = module.text(locale)
    for number, (question, given) in enumerate(zip(text.quiz["questions"], attempt.answers,
                                                   strict=True)):
        right = _correct_choices(module.quiz["questions"][number])
        graded.append(GradedQuestion(
            number=number, prompt=question["prompt"],
            choices=[(text, index in given, index in right)
                     for index, text in enumerate(question["choices"])],
            correct=frozenset(given) == right, explain=question["explain"],
        ))
    return QuizResult(module, text.title, attempt, graded, list(history))


def quiz_history(session: Session, user: User, module: Module) -> list[QuizAttempt]:
    return list(session.exec(
        select(QuizAttempt)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.module_id == module.id)
        .order_by(col(QuizAttempt.submitted_at).desc(), col(QuizAttempt.id).desc())
    ))


@dataclass(frozen=True)
class ModuleStatistics:
    module: ModuleSummary
    completed: int  # students who completed the module
    attempted: int  # students who took the quiz at least once
    passed: int  # students with a passing attempt

    @property
    def pass_rate(self) -> int | None:
        return round(100 * self.passed / self.attempted) if self.attempted else None


def module_statistics(session: Session, user: User,
                      locale: str = "en") -> list[ModuleStatistics]:
    """Per current module: completions and quiz pass rate, in three queries. Staff only."""
    if user.account_role not in (AccountRole.INSTRUCTOR, AccountRole.ADMIN):
        raise NotAllowed(_l("Only instructors and administrators see module statistics."))
    modules = session.exec(
        select(Module).where(Module.retired == sa.false()).order_by(Module.track, Module.position)
    ).all()
    completed = dict(session.exec(
        select(ModuleProgress.module_id, func.count())
        .where(col(ModuleProgress.completed_at).is_not(None))
        .group_by(ModuleProgress.module_id)
    ).all())
    per_student = (
        select(QuizAttempt.module_id, QuizAttempt.user_id,
               func.max(sa.cast(QuizAttempt.passed, sa.Integer)).label("passed"))
        .group_by(QuizAttempt.module_id, QuizAttempt.user_id)
        .subquery()
    )
    attempts = {
        module_id: (attempted, passed or 0)
        for module_id, attempted, passed in session.exec(
            select(per_student.c.module_id, func.count(), func.sum(per_student.c.passed))
            .group_by(per_student.c.module_id)
        )
    }
    learner = Learner()
    return [
        ModuleStatistics(_summary(module, learner, locale), completed.get(module.id, 0),
                         *attempts.get(module.id, (0, 0)))
        for module in modules
    ]
