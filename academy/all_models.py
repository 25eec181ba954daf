"""Import every area's models so that SQLModel.metadata describes the whole schema."""

from academy.audit.models import AuditEvent
from academy.auth.models import LoginAttempt, PartnerFirm, User
from academy.curriculum.models import Module, ModuleProgress, QuizAttempt, Rubric
from academy.practice.models import PracticeStream

__all__ = [
    "AuditEvent",
    "LoginAttempt",
    "Module",
    "ModuleProgress",
    "PartnerFirm",
    "PracticeStream",
    "QuizAttempt",
    "Rubric",
    "User",
]
