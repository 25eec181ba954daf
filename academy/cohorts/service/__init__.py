"""Order classes: every operation on cohorts, their members, schedule and placements.

Plain functions taking a session, the acting user, plain data and ``now``; the public ones
check permissions with the predicates of ``academy.security`` and commit once. The stage
machine of a cohort is the one table ``TRANSITIONS`` (lifecycle.py); decisions about members
are ``MEMBER_TRANSITIONS`` (applications.py).
"""

from academy.cohorts.service._base import (
    OPEN_STATUSES,
    SEATED,
    UNDECIDED,
    CohortError,
    HistoryEntry,
    get_cohort,
)
from academy.cohorts.service.applications import (
    MEMBER_TRANSITIONS,
    MemberPage,
    MemberStep,
    Readiness,
    apply_to_cohort,
    decide_member,
    member_page,
    readiness,
    withdraw_application,
)
from academy.cohorts.service.lifecycle import (
    TRANSITIONS,
    CohortDraft,
    CohortEditor,
    CohortFormOptions,
    Party,
    Transition,
    available_transitions,
    change_status,
    cohort_editor,
    cohort_form_options,
    create_cohort,
    update_cohort,
)
from academy.cohorts.service.overview import (
    CohortList,
    CohortPage,
    cohort_page,
    list_cohorts,
)
from academy.cohorts.service.placements import (
    PLACEMENT_TRANSITIONS,
    answer_offer,
    record_hire,
    record_offer,
)
from academy.cohorts.service.reports import (
    FUNNEL_STAGES,
    SORT_KEYS,
    FirmDashboard,
    Funnel,
    MemberRow,
    MemberTable,
    board_csv,
    firm_dashboard,
    list_applicants,
    progress_board,
)
from academy.cohorts.service.schedule import (
    EventDraft,
    add_event,
    calendar_feed,
    calendar_for_token,
    issue_calendar_token,
    remove_event,
    revoke_calendar_token,
)

__all__ = [
    "FUNNEL_STAGES",
    "MEMBER_TRANSITIONS",
    "OPEN_STATUSES",
    "PLACEMENT_TRANSITIONS",
    "SEATED",
    "SORT_KEYS",
    "TRANSITIONS",
    "UNDECIDED",
    "CohortDraft",
    "CohortEditor",
    "CohortError",
    "CohortFormOptions",
    "CohortList",
    "CohortPage",
    "EventDraft",
    "FirmDashboard",
    "Funnel",
    "HistoryEntry",
    "MemberPage",
    "MemberRow",
    "MemberStep",
    "MemberTable",
    "Party",
    "Readiness",
    "Transition",
    "add_event",
    "answer_offer",
    "apply_to_cohort",
    "available_transitions",
    "board_csv",
    "calendar_feed",
    "calendar_for_token",
    "change_status",
    "cohort_editor",
    "cohort_form_options",
    "cohort_page",
    "create_cohort",
    "decide_member",
    "firm_dashboard",
    "get_cohort",
    "issue_calendar_token",
    "list_applicants",
    "list_cohorts",
    "member_page",
    "progress_board",
    "readiness",
    "record_hire",
    "record_offer",
    "remove_event",
    "revoke_calendar_token",
    "update_cohort",
    "withdraw_application",
]
