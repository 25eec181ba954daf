"""What every template can use: the navigation for the account role and date formatting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from academy.auth.forms import ACCOUNT_ROLE_LABELS
from academy.auth.models import AccountRole
from academy.curriculum.service import ModuleStatus
from academy.practice.forms import PLATFORM_LABELS, STREAM_ROLE_LABELS
from academy.practice.kpi import KPI_BY_KEY


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    account_roles: frozenset[str]


_EVERYONE = frozenset(AccountRole)
NAVIGATION = (
    NavItem("site.home", _l("Dashboard"), _EVERYONE),
    NavItem("curriculum.catalogue", _l("Courses"), _EVERYONE),
    NavItem("practice.my_practice", _l("My practice"), frozenset({AccountRole.STUDENT})),
    NavItem("practice.class_overview", _l("Class overview"),
            frozenset({AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("curriculum.statistics", _l("Module statistics"),
            frozenset({AccountRole.INSTRUCTOR, AccountRole.ADMIN})),
    NavItem("auth.admin_users", _l("Accounts"), frozenset({AccountRole.ADMIN})),
    NavItem("auth.admin_firms", _l("Partner firms"), frozenset({AccountRole.ADMIN})),
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
    "firm.created": _l("Partner firm added"),
}


def _template_globals() -> dict[str, Any]:
    items = []
    if current_user.is_authenticated:
        items = [item for item in NAVIGATION if current_user.account_role in item.account_roles]
    return {
        "navigation": items,
        "account_role_labels": ACCOUNT_ROLE_LABELS,
        "track_labels": TRACK_LABELS,
        "module_status_labels": MODULE_STATUS_LABELS,
        "platform_labels": PLATFORM_LABELS,
        "stream_role_labels": STREAM_ROLE_LABELS,
        "kpi_by_key": KPI_BY_KEY,
        "audit_action_labels": AUDIT_ACTION_LABELS,
        "current_locale": str(get_locale() or "en"),
        "current_path": request.full_path.rstrip("?") if request else "/",
    }


def init_templating(app: Flask) -> None:
    app.context_processor(_template_globals)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
