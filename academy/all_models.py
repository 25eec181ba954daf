"""Import every area's models so that SQLModel.metadata describes the whole schema."""

from academy.api.models import ApiToken
from academy.assessment.models import Assessment, AssessmentRevision, Certificate
from academy.audit.models import AuditEvent
from academy.auth.models import LoginAttempt, PartnerFirm, User
from academy.cohorts.models import (
    CalendarFeed,
    Cohort,
    CohortEvent,
    CohortMember,
    CohortMentor,
    Placement,
)
from academy.curriculum.models import Module, ModuleProgress, QuizAttempt, Rubric
from academy.notify.models import JobRun, Notification, NotificationPreference
from academy.practice.models import PracticeStream

__all__ = [
    "ApiToken",
    "Assessment",
    "AssessmentRevision",
    "AuditEvent",
    "CalendarFeed",
    "Certificate",
    "Cohort",
    "CohortEvent",
    "CohortMember",
    "CohortMentor",
    "JobRun",
    "LoginAttempt",
    "Module",
    "ModuleProgress",
    "Notification",
    "NotificationPreference",
    "PartnerFirm",
    "Placement",
    "PracticeStream",
    "QuizAttempt",
    "Rubric",
    "User",
]
