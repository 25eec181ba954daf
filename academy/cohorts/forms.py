"""Forms of the order-class area; they check shape, the service checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from academy.cohorts.models import CohortStatus, EventKind, MemberStatus


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (the templates render them in a fieldset with a legend)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


_reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1_000)])


class CohortForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(min=3, max=200)],
                       description=_l("For example: “TikTok Shop hosts for the US market, "
                                      "spring intake”."))
    track = SelectField(_l("Track"), choices=[])
    seats = IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=500)],
                         description=_l("How many students the firm will train and consider "
                                        "hiring."))
    apply_by = DateField(_l("Applications close on"), validators=[InputRequired()])
    starts_on = DateField(_l("Training starts on"), validators=[InputRequired()])
    ends_on = DateField(_l("Order class ends on"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20_000)],
                                description=_l("What the students will do and learn. Markdown "
                                               "is allowed."))
    required_modules = MultiCheckboxField(
        _l("Required modules"), choices=[], validate_choice=False,
        description=_l("Only modules of the chosen track count."))
    platforms = MultiCheckboxField(_l("Platforms"), choices=[], validate_choice=False)
    markets = StringField(_l("Markets"), validators=[Optional(), Length(max=300)],
                          description=_l("Two-letter country codes, separated by commas: "
                                         "US, DE, AE."))
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=300)],
                            description=_l("Language codes, separated by commas: en, es-MX, "
                                           "zh-Hans."))
    hiring_commitment = TextAreaField(
        _l("Hiring commitment"), validators=[Optional(), Length(max=2_000)],
        description=_l("What the firm commits to, e.g. “interviews every member who passes; "
                       "hires at least 5 as hosts at 6,000 CNY a month”."))
    mentors = MultiCheckboxField(_l("Mentors"), choices=[], coerce=int, validate_choice=False,
                                 description=_l("Your firm's staff and the college's "
                                                "instructors."))


class StatusForm(FlaskForm):
    target = SelectField(choices=[SelectChoice(status.value, status.value)
                                  for status in CohortStatus])
    reason = _reason


class ApplyForm(FlaskForm):
    motivation = TextAreaField(
        _l("Why do you want to join?"),
        validators=[DataRequired(), Length(min=20, max=2_000)],
        description=_l("20 to 2,000 characters. The firm reads this with your progress."))


class DecisionForm(FlaskForm):
    target = SelectField(choices=[SelectChoice(status.value, status.value)
                                  for status in MemberStatus])
    reason = _reason


class OfferForm(FlaskForm):
    position = StringField(_l("Position"), validators=[DataRequired(), Length(min=2, max=200)],
                           description=_l("For example: “Live host, English, US market”."))
    offered_on = DateField(_l("Offered on"), validators=[InputRequired()])


class AnswerOfferForm(FlaskForm):
    answer = SelectField(choices=[SelectChoice("accepted", "accepted"),
                                  SelectChoice("declined", "declined")])


class HireForm(FlaskForm):
    starts_on = DateField(_l("First working day"), validators=[InputRequired()])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=2, max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind.value, kind.value)
                                            for kind in EventKind])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired()])
    duration_min = IntegerField(_l("Duration (minutes)"), default=90,
                                validators=[InputRequired(), NumberRange(min=5, max=720)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)],
                           description=_l("A room, an address, or a meeting link."))
