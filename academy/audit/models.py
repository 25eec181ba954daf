"""The audit_event table."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime


class AuditEvent(SQLModel, table=True):
    """One recorded change: every grade, status change, placement and account-role change."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=40)
    subject_id: int
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
