"""Forms of the assessment area. The rubric's levels come from the synced rubric (per criterion)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length


class AssessmentForm(FlaskForm):
    """Comments and feedback; each criterion's level arrives as ``level-<key>`` (radio buttons)."""

    comments = TextAreaField(
        _l("Comments on the recording"), validators=[Length(max=20_000)],
        description=_l("One per line, starting with the time: 12:40 — missed the MOQ question"),
        render_kw={"rows": 5})
    feedback_md = TextAreaField(_l("Overall feedback"), validators=[Length(max=5000)],
                                description=_l("Markdown. What to keep, what to change next."),
                                render_kw={"rows": 6})


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(min=3, max=500)])
