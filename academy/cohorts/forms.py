"""Forms of the order-class area; they check shape, the service checks the rules."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
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
    internal = BooleanField(
        _l("Internal training of our own staff"),
        description=_l("No recruiting and no job offers: the firm or the college adds the "
                       "members once the college has approved it."))
    apply_by = DateField(_l("Applications close on"), validators=[Optional()],
                         description=_l("Not needed for internal training."))
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


class AddMembersForm(FlaskForm):
    emails = TextAreaField(
        _l("E-mail addresses"), validators=[Optional(), Length(max=200_000)],
        description=_l("One per line, or separated by commas. Only existing student accounts "
                       "can be added."))
    file = FileField(
        _l("Or a CSV file"), validators=[FileAllowed(["csv", "txt"], _l("Upload a .csv file."))],
        description=_l("Its “email” column is read, or else its first column."))


class ConfirmMembersForm(FlaskForm):
    """The previewed list, sent back unchanged; the service plans it again before writing."""

    emails = HiddenField(validators=[DataRequired(), Length(max=200_000)])


class AttendanceForm(FlaskForm):
    """One radio group per member, named ``member-<id>``; the rows change with the event."""


def attendance_marks(formdata: Mapping[str, str]) -> dict[int, str]:
    """The marks posted by the attendance sheet: member id -> status value."""
    marks = {}
    for name, value in formdata.items():
        prefix, _dash, member_id = name.partition("-")
        if prefix == "member" and member_id.isdigit():
            marks[int(member_id)] = value
    return marks
