"""The notification preferences form and the labels of kinds and deliveries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from academy.notify.models import Delivery, NotificationKind

NOTIFICATION_KIND_LABELS = {
    NotificationKind.COHORT_STAGE: _l("Order class stage changes"),
    NotificationKind.DEADLINE_REMINDER: _l("Deadline reminders (partner firms)"),
    NotificationKind.EVENT_REMINDER: _l("Event reminders"),
    NotificationKind.WEEKLY_DIGEST: _l("Weekly digest"),
    NotificationKind.INACTIVITY_NUDGE: _l("Practice reminders"),
    NotificationKind.COHORT_ENROLMENT: _l("Added to a training or order class"),
    NotificationKind.ACCOUNT_INVITE: _l("Account invitations"),
}
#: The kinds a user chooses a delivery for (one form field each).
CHOOSABLE_KINDS = tuple(kind for kind in NotificationKind
                        if kind != NotificationKind.ACCOUNT_INVITE)
DELIVERY_LABELS = {
    Delivery.IMMEDIATELY: _l("Inbox and e-mail right away"),
    Delivery.DIGEST: _l("Inbox, e-mailed in the weekly digest"),
    Delivery.NEVER: _l("Never"),
}


def _delivery_field(kind: NotificationKind) -> SelectField:
    choices = [SelectChoice(delivery.value, label) for delivery, label in DELIVERY_LABELS.items()
               if not (kind == NotificationKind.WEEKLY_DIGEST and delivery == Delivery.DIGEST)]
    return SelectField(NOTIFICATION_KIND_LABELS[kind], choices=choices,
                       validators=[InputRequired()])


class PreferencesForm(FlaskForm):
    """One choice per kind; the field names are the kinds' values."""

    cohort_stage = _delivery_field(NotificationKind.COHORT_STAGE)
    deadline_reminder = _delivery_field(NotificationKind.DEADLINE_REMINDER)
    event_reminder = _delivery_field(NotificationKind.EVENT_REMINDER)
    weekly_digest = _delivery_field(NotificationKind.WEEKLY_DIGEST)
    inactivity_nudge = _delivery_field(NotificationKind.INACTIVITY_NUDGE)
    cohort_enrolment = _delivery_field(NotificationKind.COHORT_ENROLMENT)
