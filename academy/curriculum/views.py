"""Pages for learning: catalogue, module, quiz and its result, search, module statistics."""

from __future__ import annotations

import random

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from academy.auth.models import AccountRole
from academy.curriculum import search, service
from academy.curriculum.service import QuizError
from academy.db import get_session, utcnow
from academy.forms import ConfirmForm
from academy.i18n import current_locale
from academy.security import roles_required, signed_in_user

bp = Blueprint("curriculum", __name__, template_folder="templates")

Page = str | tuple[str, int] | Response


@bp.route("/courses")
@login_required
def catalogue() -> Page:
    tracks = service.list_tracks(get_session(), signed_in_user(), current_locale())
    return render_template("curriculum/catalogue.html", tracks=tracks)


@bp.route("/courses/search")
@login_required
def search_page() -> Page:
    query = request.args.get("q", "")[:200]
    hits = search.search_modules(get_session(), query)
    return render_template("curriculum/search.html", query=query, hits=hits)


@bp.route("/courses/statistics")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def statistics() -> Page:
    rows = service.module_statistics(get_session(), signed_in_user(), current_locale())
    return render_template("curriculum/statistics.html", rows=rows)


@bp.route("/modules/<slug>")
@login_required
def module(slug: str) -> Page:
    page = service.reading_page(get_session(), signed_in_user(), slug, current_locale())
    return render_template("curriculum/module.html", page=page, form=ConfirmForm())


@bp.route("/modules/<slug>/complete", methods=["POST"])
@roles_required(AccountRole.STUDENT)
def complete(slug: str) -> Response:
    if ConfirmForm().validate_on_submit():
        service.mark_complete(get_session(), signed_in_user(), slug, now=utcnow())
        flash(_("Marked as complete. Take the quiz when you are ready."), "success")
    return redirect(url_for("curriculum.module", slug=slug))


def _answers(form: MultiDict[str, str]) -> dict[int, list[int]]:
    """Map each question number to the chosen choice indexes (fields q0, q1 …).

    ``isdecimal``, not ``isdigit``: "²" is a digit that ``int`` refuses; the length bounds
    keep ``int`` from huge numbers (a choice index has at most a few digits).
    """
    return {int(key[1:]): [int(value) for value in form.getlist(key)
                           if value.isdecimal() and len(value) < 5]
            for key in form if key[:1] == "q" and key[1:].isdecimal() and len(key) < 5}


def _render_quiz(slug: str, chosen: dict[int, list[int]] | None = None, error: str = "",
                 status: int = 200) -> tuple[str, int]:
    db, user = get_session(), signed_in_user()
    module = service.get_module(db, slug)
    return render_template(
        "curriculum/quiz.html", module=module, title=module.text(current_locale()).title,
        form=ConfirmForm(), error=error,
        questions=service.quiz_questions(module, random.Random(), current_locale()),  # noqa: S311
        chosen=chosen or {}, history=service.quiz_history(db, user, module),
    ), status


@bp.route("/modules/<slug>/quiz")
@roles_required(AccountRole.STUDENT)
def quiz(slug: str) -> Page:
    return _render_quiz(slug)


@bp.route("/modules/<slug>/quiz", methods=["POST"])
@roles_required(AccountRole.STUDENT)
def submit_quiz(slug: str) -> Page:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("curriculum.quiz", slug=slug))
    answers = _answers(request.form)
    try:
        attempt = service.submit_quiz(get_session(), signed_in_user(), slug, answers,
                                      now=utcnow())
    except QuizError as error:
        return _render_quiz(slug, answers, str(error.message), 422)
    return redirect(url_for("curriculum.quiz_result", slug=slug, attempt_id=attempt.id))


@bp.route("/modules/<slug>/quiz/attempts/<int:attempt_id>")
@roles_required(AccountRole.STUDENT)
def quiz_result(slug: str, attempt_id: int) -> Page:
    result = service.quiz_result(get_session(), signed_in_user(), slug, attempt_id,
                                 current_locale())
    return render_template("curriculum/quiz_result.html", result=result)
