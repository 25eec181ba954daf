"""Forms of the auth area; they check shape, the service checks the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import URL, DataRequired, EqualTo, Length, Optional

from academy.auth.models import COMMON_TIMEZONES, AccountRole
from academy.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

TIMEZONE_CHOICES = [SelectChoice(zone, zone.replace("_", " ")) for zone in COMMON_TIMEZONES]
LOCALE_CHOICES = [SelectChoice("en", "English"), SelectChoice("zh", "简体中文")]
ACCOUNT_ROLE_LABELS = {
    AccountRole.STUDENT: _l("Student"),
    AccountRole.INSTRUCTOR: _l("Instructor"),
    AccountRole.PARTNER: _l("Partner firm staff"),
    AccountRole.ADMIN: _l("Administrator"),
}
ACCOUNT_ROLE_CHOICES = [SelectChoice(role.value, label) for role, label in
                        ACCOUNT_ROLE_LABELS.items()]
_password_length = Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                          message=_l("Use %(min)d to %(max)d characters for the password."))


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class RegisterForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)],
                               description=_l("As it should appear on your certificate."))
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), _password_length],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))],
    )
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES, default="Asia/Shanghai")
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, default="en")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), _password_length],
        description=_l("At least %(count)d characters. Other devices will be signed out."
                       , count=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords do not match."))],
    )


class CreateAccountForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    account_role = SelectField(_l("Account role"), choices=ACCOUNT_ROLE_CHOICES)
    firm_slug = SelectField(_l("Partner firm"), choices=[], validate_choice=False,
                            description=_l("Only for partner firm staff."))
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), _password_length],
        description=_l("Give it to the person securely; they can change it after signing in."),
    )
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES, default="Asia/Shanghai")
    locale = SelectField(_l("Language"), choices=LOCALE_CHOICES, default="en")


class ChangeRoleForm(FlaskForm):
    account_role = SelectField(_l("Account role"), choices=ACCOUNT_ROLE_CHOICES)
    firm_slug = SelectField(_l("Partner firm"), choices=[], validate_choice=False,
                            description=_l("Only for partner firm staff."))


class FirmForm(FlaskForm):
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=60)],
                       description=_l("Lower-case letters, digits and hyphens, e.g. %(example)s.",
                                       example="yiwu-lighting"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    website = StringField(_l("Website"), validators=[Optional(), URL(), Length(max=300)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=2000)])


class ImportAccountsForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), _password_length],
        description=_l("At least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))],
    )
