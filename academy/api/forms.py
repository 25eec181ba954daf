"""The form of the account's API token page; the service checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from academy.api.models import MAX_TOKEN_NAME

SCOPE_LABELS = {
    "read": _l("Read: see modules, streams, progress and order classes"),
    "write": _l("Read and write: also log, correct and delete streams and record offers"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_TOKEN_NAME)],
                       description=_l("What uses the token, e.g. “HR system” or “logging app”."))
    scope = SelectField(_l("Access"), default="read", validators=[DataRequired()],
                        choices=[SelectChoice(value, label)
                                 for value, label in SCOPE_LABELS.items()])
