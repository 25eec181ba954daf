"""Import every area's models so that SQLModel.metadata describes the whole schema."""

from academy.audit.models import AuditEvent
from academy.auth.models import LoginAttempt, PartnerFirm, User

__all__ = ["AuditEvent", "LoginAttempt", "PartnerFirm", "User"]
