"""What generated students did in class: module progress, quiz attempts, rubric assessments."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from academy.assessment.service import rubric_total
from academy.curriculum.models import Module, Rubric
from academy.curriculum.service import score_answers
from academy.demo_scale.students import StudentProfile, seeded
from academy.markdown import render_user_text

ASSESSED_SHARE = 0.12
# Feedback by the lowest rubric total it suits.
FEEDBACK = (
    (0, "Compliance first: the banned claim ends the stream's score. Rewrite it before the next "
        "run and rehearse the product's limits."),
    (50, "A solid base. Answer MOQ and lead-time questions at once, and show the certificate on "
         "camera instead of naming it."),
    (70, "Good pace and clear specs. Call out the RFQ form twice an hour and name the buyer when "
         "you answer a comment."),
    (85, "Excellent stream: vivid demonstration, every question answered with numbers. Try a "
         "longer factory segment next time."),
)


@dataclass
class Classroom:
    """What the generator reads once: current modules by track, the rubric, the assessors."""

    modules: dict[str, list[Module]]
    rubric: Rubric | None
    instructor_ids: list[int]

    def __post_init__(self) -> None:
        # Rendered once, not per assessment: the same few texts are reused thousands of times.
        self.feedback = [(floor, md, str(render_user_text(md))) for floor, md in FEEDBACK]


def _answer(question: dict[str, Any], right: bool, rng: random.Random) -> list[int]:
    """The choices a student ticks: the right ones, or a plausible wrong set."""
    answer = question["answer"]
    correct = sorted(answer) if isinstance(answer, list) else [answer]
    if right:
        return correct
    wrong = [index for index in range(len(question["choices"])) if index not in correct]
    if isinstance(answer, list):
        return sorted(set(correct[:-1] + wrong[:1])) if wrong else correct[:-1] or [0]
    return [rng.choice(wrong)] if wrong else correct


def progress_and_attempts(student: StudentProfile, classroom: Classroom, seed: int,
                          now: dt.datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Modules of the student's track in order (and a few of others), quizzes until passed."""
    rng = seeded(seed, "learning", student.index)
    track_modules = classroom.modules.get(student.track, [])
    done = round(len(track_modules) * min(1.0, rng.uniform(0.3, 1.1) * student.best_skill + 0.2))
    others = [m for track, modules in classroom.modules.items() if track != student.track
              for m in modules]
    chosen = track_modules[:done] + rng.sample(others, min(len(others), rng.randint(0, 3)))
    progress, attempts = [], []
    span = (now - student.joined_at).total_seconds()
    for number, module in enumerate(chosen):
        share = (number + 1) / (len(chosen) + 1)
        started = student.joined_at + dt.timedelta(seconds=span * share * rng.uniform(0.8, 1.0))
        completed: dt.datetime | None = None
        questions = module.quiz.get("questions", [])
        for attempt in range(3 if questions else 0):
            submitted = started + dt.timedelta(days=attempt * 2 + rng.uniform(0.5, 3))
            if submitted > now:
                break
            knows = 0.45 + 0.45 * student.skill(share) + 0.1 * attempt
            answers = [_answer(question, rng.random() < knows, rng) for question in questions]
            score = score_answers(module.quiz, answers)
            passed = score >= module.quiz["pass_mark"]
            attempts.append({"user_id": student.id, "module_id": module.id, "answers": answers,
                             "score": score, "passed": passed, "submitted_at": submitted})
            if passed:
                completed = submitted
                break
        if completed is None and number < done and rng.random() < 0.5:
            completed = min(now, started + dt.timedelta(days=rng.uniform(1, 10)))
        progress.append({"user_id": student.id, "module_id": module.id, "started_at": started,
                         "completed_at": completed})
    return progress, attempts


def assessment_rows(students: dict[int, StudentProfile], streams: Sequence[Any],
                    classroom: Classroom, seed: int, now: dt.datetime) -> list[dict[str, Any]]:
    """Rubric scores for some streams, following the student's skill at the time.

    ``streams`` are rows of (id, student_id, started_at, is_rehearsal, violations); a stream
    with a violation fails the gated criterion, as an assessor would score it.
    """
    rubric = classroom.rubric
    if rubric is None or not classroom.instructor_ids:
        return []
    rows = []
    generators = {student_id: seeded(seed, "assessments", student.index)
                  for student_id, student in students.items()}
    for stream_id, student_id, started_at, is_rehearsal, violations in streams:
        rng = generators[student_id]
        if is_rehearsal or rng.random() >= ASSESSED_SHARE:
            continue
        student = students[student_id]
        skill = student.skill(student.share_of_history(started_at, now))
        levels = {c["key"]: min(4, max(1, round(1 + 3 * skill + rng.gauss(0, 0.5))))
                  for c in rubric.criteria}
        for criterion in rubric.criteria:
            if criterion.get("gate") and violations:
                levels[criterion["key"]] = 1
        total = rubric_total(rubric.criteria, levels)
        feedback_md, feedback_html = next((md, html) for floor, md, html
                                          in reversed(classroom.feedback) if total >= floor)
        assessed = min(now, started_at + dt.timedelta(days=rng.uniform(0.5, 5)))
        # One draw whatever the number of assessors, so the rest of the student's scores
        # come out the same in a data set of any size.
        assessor = classroom.instructor_ids[int(rng.random() * len(classroom.instructor_ids))]
        rows.append({"practice_stream_id": stream_id, "assessor_id": assessor,
                     "rubric_id": rubric.id, "levels": levels, "comments": [],
                     "feedback_md": feedback_md, "feedback_html": feedback_html,
                     "total": total, "created_at": assessed, "updated_at": assessed})
    return rows
