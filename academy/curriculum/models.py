"""Tables of the curriculum area: modules and rubrics synced from courses/, progress, attempts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime

TRACKS = ("host", "operator", "planner")
# A module's page; links between module files become links to it (slug = permanent id).
MODULE_PATH = "/modules/{slug}"


@dataclass(frozen=True)
class ModuleText:
    """What a reader sees of a module in one language (the quiz's answers stay language-free)."""

    title: str
    summary: str
    objectives: list[str]
    sources: list[dict[str, Any]]
    quiz: dict[str, Any]
    body_html: str
    headings: list[dict[str, Any]]


class Module(SQLModel, table=True):
    """One lesson, as last synced from its Markdown file; retired when the file is gone."""

    __tablename__ = "module"
    __table_args__ = (sa.Index("ix_module_track_position", "track", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    track: str = Field(max_length=20)
    position: int
    title: str = Field(max_length=200)
    summary: str = Field(max_length=300)
    hours: float
    objectives: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    prerequisites: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # Questions with their answers and explanations: never sent to a page before grading.
    quiz: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    body_html: str = Field(sa_type=sa.Text)
    body_text: str = Field(sa_type=sa.Text)
    headings: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    # Rendered translations by locale ("zh"): the ModuleText fields, from <NN>-<slug>.<locale>.md.
    translations: dict[str, dict[str, Any]] = Field(default_factory=dict, sa_type=sa.JSON)
    source_path: str = Field(max_length=300)
    content_hash: str = Field(max_length=80)
    retired: bool = Field(default=False)
    synced_at: dt.datetime = Field(sa_type=UTCDateTime)

    def text(self, locale: str) -> ModuleText:
        """The module in ``locale``, falling back to the original for anything untranslated."""
        translated = self.translations.get(locale, {})
        return ModuleText(
            title=translated.get("title", self.title),
            summary=translated.get("summary", self.summary),
            objectives=translated.get("objectives", self.objectives),
            sources=translated.get("sources", self.sources),
            quiz=translated.get("quiz", self.quiz),
            body_html=translated.get("body_html", self.body_html),
            headings=translated.get("headings", self.headings),
        )


class Rubric(SQLModel, table=True):
    """Criteria × four levels with weights, from courses/rubrics/<slug>.md."""

    __tablename__ = "rubric"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    title: str = Field(max_length=200)
    summary: str = Field(default="", max_length=500)
    criteria: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON)
    body_html: str = Field(sa_type=sa.Text)
    # Per locale: {"title": …, "criteria": [{"title": …, "levels": […]}, …]} in criterion order.
    translations: dict[str, dict[str, Any]] = Field(default_factory=dict, sa_type=sa.JSON)
    source_path: str = Field(max_length=300)
    content_hash: str = Field(max_length=80)
    retired: bool = Field(default=False)
    synced_at: dt.datetime = Field(sa_type=UTCDateTime)

    def localized_criteria(self, locale: str) -> list[dict[str, Any]]:
        """The criteria with titles and level descriptors in ``locale`` where translated."""
        translated = self.translations.get(locale, {}).get("criteria", [])
        return [{**criterion, **(translated[index] if index < len(translated) else {})}
                for index, criterion in enumerate(self.criteria)]


class ModuleProgress(SQLModel, table=True):
    """A student's start and completion of one module (quiz results live in quiz_attempt)."""

    __tablename__ = "module_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "module_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    module_id: int = Field(foreign_key="module.id", index=True)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class QuizAttempt(SQLModel, table=True):
    __tablename__ = "quiz_attempt"
    __table_args__ = (sa.Index("ix_quiz_attempt_user_module", "user_id", "module_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    module_id: int = Field(foreign_key="module.id", index=True)
    answers: list[list[int]] = Field(default_factory=list, sa_type=sa.JSON)
    score: int
    passed: bool
    submitted_at: dt.datetime = Field(sa_type=UTCDateTime)
