"""Tables of the assessment area: assessments with their revisions, and certificates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import TwoPlaces, UTCDateTime


class Assessment(SQLModel, table=True):
    """One assessor's rubric scores for one practice stream (one per stream and assessor)."""

    __tablename__ = "assessment"
    __table_args__ = (sa.UniqueConstraint("practice_stream_id", "assessor_id"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_stream_id: int = Field(foreign_key="practice_stream.id", index=True)
    assessor_id: int = Field(foreign_key="user.id", index=True)
    rubric_id: int = Field(foreign_key="rubric.id")
    levels: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)  # criterion -> 1..4
    # Remarks pinned to moments of the recording: [{"at": "12:40", "text": "..."}].
    comments: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    feedback_md: str = Field(default="", sa_type=sa.Text)
    feedback_html: str = Field(default="", sa_type=sa.Text)
    total: Decimal = Field(sa_type=TwoPlaces)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime)


class AssessmentRevision(SQLModel, table=True):
    """What an assessment said before its assessor revised it: the history is never lost."""

    __tablename__ = "assessment_revision"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    levels: dict[str, int] = Field(default_factory=dict, sa_type=sa.JSON)
    comments: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    feedback_md: str = Field(default="", sa_type=sa.Text)
    total: Decimal = Field(sa_type=TwoPlaces)
    replaced_at: dt.datetime = Field(sa_type=UTCDateTime)


class Certificate(SQLModel, table=True):
    """A track certificate; anyone holding its code can check it at /certificates/<code>."""

    __tablename__ = "certificate"
    __table_args__ = (sa.UniqueConstraint("user_id", "track"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    track: str = Field(max_length=20)
    issued_at: dt.datetime = Field(sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str = Field(default="", max_length=500)
