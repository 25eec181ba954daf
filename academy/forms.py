"""Form helpers shared by every area."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for one-button actions such as sign-out."""


def attach_error(form: FlaskForm, field_name: str, message: object) -> None:
    """Show a service's refusal next to the field it is about (or above the form)."""
    field = getattr(form, field_name, None) if field_name else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
