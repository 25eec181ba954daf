"""Loading courses/ into the database: check everything, render what changed, in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from academy.curriculum import search
from academy.curriculum.content import (
    Catalogue,
    ModuleFile,
    Problem,
    RubricFile,
    TranslationFile,
    module_link_target,
    read_catalogue,
)
from academy.curriculum.models import MODULE_PATH, Module, Rubric
from academy.errors import DomainError
from academy.markdown import RENDERER_VERSION, render_course_text


class CourseProblems(DomainError):
    """The course folder has problems; nothing was changed."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the course files")
        self.problems = problems


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.retired)} retired")


def _stored_hash(file: ModuleFile | RubricFile) -> str:
    """The hash kept in the database: the file's, its translations' and the renderer's.

    A change to any of them re-renders the module; nothing else does.
    """
    parts = [file.content_hash, RENDERER_VERSION,
             *(f"{locale}:{translation.content_hash}"
               for locale, translation in sorted(file.translations.items()))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _link_rewriter(source: Path, course_dir: Path) -> Callable[[str], str]:
    """Turn links between module files into links between module pages."""

    def rewrite(href: str) -> str:
        target = module_link_target(href, source, course_dir)
        if target is None:
            return href
        slug, fragment = target
        return MODULE_PATH.format(slug=slug) + (f"#{fragment}" if fragment else "")

    return rewrite


def _apply_module(module: Module, file: ModuleFile, course_dir: Path, now: dt.datetime) -> None:
    front = file.front
    rendered = render_course_text(file.body, _link_rewriter(file.path, course_dir))
    module.slug = file.slug
    module.track = file.track
    module.position = file.position
    module.title = front.title
    module.summary = front.summary
    module.hours = front.hours
    module.objectives = list(front.objectives)
    module.prerequisites = list(front.prerequisites)
    module.sources = [source.model_dump() for source in front.sources]
    module.quiz = front.quiz.model_dump()
    module.body_html = rendered.html
    module.body_text = rendered.text
    module.headings = [asdict(heading) for heading in rendered.headings]
    module.translations = {
        locale: _translated_module(translation, course_dir)
        for locale, translation in file.translations.items()
    }
    module.source_path = str(file.path.relative_to(course_dir))
    module.content_hash = _stored_hash(file)
    module.retired = False
    module.synced_at = now


def _translated_module(translation: TranslationFile, course_dir: Path) -> dict[str, Any]:
    """The reader-facing fields of a module translation, rendered (see Module.text)."""
    front = translation.front
    rendered = render_course_text(translation.body, _link_rewriter(translation.path, course_dir))
    return {
        "title": front.title,
        "summary": front.summary,
        "objectives": list(front.objectives),
        "sources": [source.model_dump() for source in front.sources],
        "quiz": front.quiz.model_dump(),
        "body_html": rendered.html,
        "headings": [asdict(heading) for heading in rendered.headings],
    }


def _apply_rubric(rubric: Rubric, file: RubricFile, course_dir: Path, now: dt.datetime) -> None:
    rubric.slug = file.slug
    rubric.title = file.front.title
    rubric.summary = file.front.summary
    rubric.criteria = [criterion.model_dump() for criterion in file.front.criteria]
    rubric.body_html = render_course_text(file.body).html
    rubric.translations = {
        locale: {"title": translation.front.title,
                 "criteria": [{"title": criterion.title, "levels": list(criterion.levels)}
                              for criterion in translation.front.criteria]}
        for locale, translation in file.translations.items()
    }
    rubric.source_path = str(file.path.relative_to(course_dir))
    rubric.content_hash = _stored_hash(file)
    rubric.retired = False
    rubric.synced_at = now


def check_courses(course_dir: Path) -> Catalogue:
    """Read and check the course folder without touching the database."""
    return read_catalogue(course_dir)


Progress = Callable[[int, int, str], None]  # (files done, files in all, file just done)


def _no_progress(_done: int, _total: int, _path: str) -> None:
    return None


class _Progress:
    def __init__(self, report_to: Progress, total: int, course_dir: Path) -> None:
        self.report_to, self.total, self.course_dir, self.done = report_to, total, course_dir, 0

    def advance(self, path: Path) -> None:
        self.done += 1
        self.report_to(self.done, self.total, str(path.relative_to(self.course_dir)))


def _no_index(_session: Session, _row: Any) -> None:
    return None


def _sync_rows(session: Session, report: SyncReport, progress: _Progress,
               files: Sequence[ModuleFile] | Sequence[RubricFile], table: type[Module | Rubric],
               *, now: dt.datetime, label: str, apply: Callable[[Any, Any], None],
               index: Callable[[Session, Any], None] = _no_index,
               unindex: Callable[[Session, Any], None] = _no_index) -> None:
    """Add, update or retire the rows of ``table`` to match ``files`` (the caller commits)."""
    rows = {row.slug: row for row in session.exec(select(table))}
    for file in files:
        progress.advance(file.path)
        row = rows.pop(file.slug, None)
        if row is not None and not row.retired \
                and row.content_hash == _stored_hash(file):
            report.unchanged.append(label + file.slug)
            continue
        (report.added if row is None else report.updated).append(label + file.slug)
        row = row or table()
        apply(row, file)
        session.add(row)
        session.flush()
        index(session, row)
    for row in rows.values():
        if not row.retired:
            row.retired = True
            row.synced_at = now
            session.add(row)
            unindex(session, row)
            report.retired.append(label + row.slug)


def sync_courses(session: Session, course_dir: Path, *, now: dt.datetime,
                 on_progress: Progress = _no_progress) -> SyncReport:
    """Bring the catalogue in the database in line with ``course_dir``. Commits once.

    Raises ``CourseProblems`` (and changes nothing) when any file has a problem. Files whose
    text and renderer version are unchanged are skipped, so a re-sync of an unchanged folder
    writes nothing. A module or rubric whose file is gone is marked retired, never deleted:
    progress, attempts and assessments keep pointing at it.
    """
    catalogue = read_catalogue(course_dir)
    if not catalogue.ok:
        raise CourseProblems(catalogue.problems)
    report = SyncReport()
    progress = _Progress(on_progress, len(catalogue.modules) + len(catalogue.rubrics), course_dir)
    _sync_rows(
        session, report, progress, catalogue.modules, Module, now=now, label="",
        apply=lambda module, file: _apply_module(module, file, course_dir, now),
        index=search.index_module, unindex=search.unindex_module,
    )
    _sync_rows(
        session, report, progress, catalogue.rubrics, Rubric, now=now, label="rubric:",
        apply=lambda rubric, file: _apply_rubric(rubric, file, course_dir, now),
    )
    if report.changed:
        session.commit()
    else:
        session.rollback()
    return report
