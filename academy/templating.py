"""What every template can use: the navigation for the account role and date formatting."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from academy.auth.forms import ACCOUNT_ROLE_LABELS
from academy.auth.models import AccountRole
from academy.cohorts.models import CohortStatus, EventKind, MemberStatus, PlacementStatus
from academy.curriculum.service import ModuleStatus
from academy.db import get_session
from academy.i18n import current_locale
from academy.notify.forms import DELIVERY_LABELS, NOTIFICATION_KIND_LABELS
from academy.notify.service import unread_count
from academy.practice.forms import PLATFORM_LABELS, STREAM_ROLE_LABELS
from academy.practice.kpi import KPI_BY_KEY


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    account_roles: frozenset[str]


_EVERYONE = frozenset(AccountRole)
NAVIGATION = (
    NavItem("curriculum.catalogue", _l("Courses"), _EVERYONE),
    NavItem("cohorts.list_cohorts", _l("Order classes"), _EVERYONE),
    NavItem("cohorts.dashboard", _l("Hiring funnel"),
            frozenset({AccountRole.PARTNER, AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("practice.my_practice", _l("My practice"), frozenset({AccountRole.STUDENT})),
    NavItem("practice.class_overview", _l("Class overview"),
            frozenset({AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("assessment.queue", _l("Assessment queue"), frozenset({AccountRole.INSTRUCTOR})),
    NavItem("assessment.my_gradebook", _l("Gradebook"), frozenset({AccountRole.STUDENT})),
    NavItem("assessment.my_certificates", _l("Certificates"), frozenset({AccountRole.STUDENT})),
    NavItem("assessment.class_gradebook", _l("Class gradebook"),
            frozenset({AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("curriculum.statistics", _l("Module statistics"),
            frozenset({AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("auth.admin_users", _l("Accounts"), frozenset({AccountRole.ADMIN})),
    NavItem("auth.admin_firms", _l("Partner firms"), frozenset({AccountRole.ADMIN})),
    NavItem("api_tokens.tokens", _l("API tokens"), _EVERYONE),
    NavItem("notify.inbox", _l("Inbox"), _EVERYONE),
    NavItem("notify.admin_jobs", _l("Scheduled jobs"), frozenset({AccountRole.ADMIN})),
)


TRACK_LABELS = {"host": _l("Host"), "operator": _l("Operator"), "planner": _l("Planner")}
MODULE_STATUS_LABELS = {
    ModuleStatus.NOT_STARTED: _l("Not started"),
    ModuleStatus.IN_PROGRESS: _l("In progress"),
    ModuleStatus.COMPLETED: _l("Completed"),
    ModuleStatus.QUIZ_PASSED: _l("Quiz passed"),
}
AUDIT_ACTION_LABELS = {
    "user.created": _l("Account created"),
    "user.password_changed": _l("Password changed"),
    "user.deactivated": _l("Account deactivated"),
    "user.activated": _l("Account reactivated"),
    "user.role_changed": _l("Account role changed"),
    "user.updated_by_import": _l("Name, time zone or language updated by an import"),
    "user.password_set_by_link": _l("Password set with a one-time link"),
    "user.password_link_sent": _l("Set-password link sent"),
    "firm.created": _l("Partner firm added"),
    "cohort.created": _l("Order class drafted"),
    "cohort.edited": _l("Terms edited"),
    "cohort.status_changed": _l("Stage changed"),
    "cohort.event_added": _l("Event added"),
    "cohort.event_removed": _l("Event removed"),
    "cohort.members_enrolled": _l("Members added from a list"),
    "cohort.attendance_marked": _l("Attendance marked"),
    "cohort_member.enrolled": _l("Added to the cohort"),
    "cohort_member.applied": _l("Applied"),
    "cohort_member.withdrawn": _l("Withdrew the application"),
    "cohort_member.shortlisted": _l("Shortlisted"),
    "cohort_member.admitted": _l("Admitted"),
    "cohort_member.rejected": _l("Not selected"),
    "cohort_member.passed": _l("Passed the training"),
    "cohort_member.failed": _l("Did not pass the training"),
    "placement.offered": _l("Offer recorded"),
    "placement.accepted": _l("Offer accepted"),
    "placement.declined": _l("Offer declined"),
    "placement.hired": _l("Hired"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
}
COHORT_STATUS_LABELS = {
    CohortStatus.DRAFT: _l("Draft"),
    CohortStatus.SUBMITTED: _l("Submitted for approval"),
    CohortStatus.APPROVED: _l("Approved"),
    CohortStatus.RECRUITING: _l("Recruiting"),
    CohortStatus.SELECTING: _l("Selecting"),
    CohortStatus.TRAINING: _l("Training"),
    CohortStatus.INTERNSHIP: _l("Internship"),
    CohortStatus.PLACEMENT: _l("Placement"),
    CohortStatus.CLOSED: _l("Closed"),
    CohortStatus.CANCELLED: _l("Cancelled"),
}
MEMBER_STATUS_LABELS = {
    MemberStatus.APPLIED: _l("Applied"),
    MemberStatus.SHORTLISTED: _l("Shortlisted"),
    MemberStatus.ADMITTED: _l("Admitted"),
    MemberStatus.REJECTED: _l("Not selected"),
    MemberStatus.WITHDRAWN: _l("Withdrawn"),
    MemberStatus.TRAINING: _l("In training"),
    MemberStatus.PASSED: _l("Passed"),
    MemberStatus.FAILED: _l("Did not pass"),
}
PLACEMENT_STATUS_LABELS = {
    PlacementStatus.OFFERED: _l("Offered"),
    PlacementStatus.ACCEPTED: _l("Accepted"),
    PlacementStatus.DECLINED: _l("Declined"),
    PlacementStatus.HIRED: _l("Hired"),
}
EVENT_KIND_LABELS = {
    EventKind.CLASS: _l("Class"),
    EventKind.PRACTICE: _l("Practice session"),
    EventKind.INTERVIEW: _l("Interview"),
    EventKind.VISIT: _l("Factory visit"),
}


def _with_unread_count(items: list[NavItem]) -> list[NavItem]:
    """Label the inbox item with the unread count: one query, for signed-in users only."""
    unread = unread_count(get_session(), current_user.id)
    if not unread:
        return items
    label = ngettext("Inbox (%(num)d unread)", "Inbox (%(num)d unread)", unread)
    return [replace(item, label=label) if item.endpoint == "notify.inbox" else item
            for item in items]


def _template_globals() -> dict[str, Any]:
    items = []
    if current_user.is_authenticated:
        items = _with_unread_count([item for item in NAVIGATION
                                    if current_user.account_role in item.account_roles])
    return {
        "navigation": items,
        "account_role_labels": ACCOUNT_ROLE_LABELS,
        "track_labels": TRACK_LABELS,
        "module_status_labels": MODULE_STATUS_LABELS,
        "platform_labels": PLATFORM_LABELS,
        "stream_role_labels": STREAM_ROLE_LABELS,
        "kpi_by_key": KPI_BY_KEY,
        "audit_action_labels": AUDIT_ACTION_LABELS,
        "cohort_status_labels": COHORT_STATUS_LABELS,
        "member_status_labels": MEMBER_STATUS_LABELS,
        "placement_status_labels": PLACEMENT_STATUS_LABELS,
        "event_kind_labels": EVENT_KIND_LABELS,
        "notification_kind_labels": NOTIFICATION_KIND_LABELS,
        "delivery_labels": DELIVERY_LABELS,
        "current_locale": current_locale(),
        "current_path": request.full_path.rstrip("?") if request else "/",
    }


def init_templating(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
