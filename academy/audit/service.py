"""Writing and reading the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from academy.audit.models import AuditEvent


def record_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_type: str,
    subject_id: int,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the caller's transaction (the caller commits).

    ``action`` is a dotted verb such as ``user.role_changed``; ``detail`` holds the before and
    after values a reader needs to understand the change later.
    """
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        detail=detail or {},
        at=now,
    )
    session.add(event)
    return event


def list_events_for(session: Session, subject_type: str, subject_id: int) -> list[AuditEvent]:
    """The subject's history, newest first."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        )
    )
