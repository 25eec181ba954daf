"""Loading courses/ into the database: check everything, render what changed, in one transaction."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
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
    survey_files,
)
from academy.curriculum.models import MODULE_PATH, TRACKS, Module, Rubric
from academy.errors import DomainError
from academy.markdown import RENDERER_VERSION, RenderedCourseText, render_course_text


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


def _stored_hash(content_hash: str, translation_hashes: Mapping[str, str]) -> str:
    """The hash kept in the database: the file's, its translations' and the renderer's.

    All three are hashes of raw bytes, so an unchanged folder is recognised before anything
    is parsed. A change to any of them re-renders the module; nothing else does.
    """
    parts = [content_hash, RENDERER_VERSION,
             *(f"{locale}:{translation_hash}"
               for locale, translation_hash in sorted(translation_hashes.items()))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _file_hash(file: ModuleFile | RubricFile) -> str:
    return _stored_hash(file.content_hash, {locale: translation.content_hash
                                            for locale, translation in file.translations.items()})


def _link_rewriter(source: Path, course_dir: Path) -> Callable[[str], str]:
    """Turn links between module files into links between module pages."""

    def rewrite(href: str) -> str:
        target = module_link_target(href, source, course_dir)
        if target is None:
            return href
        slug, fragment = target
        return MODULE_PATH.format(slug=slug) + (f"#{fragment}" if fragment else "")

    return rewrite


# Rendering Markdown is most of a cold sync's time; from this many changed modules on, it is
# spread over one process per core (for a few files the workers would cost more than they save).
PARALLEL_RENDERING_FROM = 50


@dataclass(frozen=True)
class _RenderJob:
    """A module's Markdown to render: its body and its translations' bodies, with their paths."""

    course_dir: Path
    texts: tuple[tuple[str, str, Path], ...]  # (locale, or "" for the original; body; path)


def _render_job(job: _RenderJob) -> dict[str, RenderedCourseText]:
    """Render one module's texts, keyed like ``_RenderJob.texts`` (a worker process runs it)."""
    return {locale: render_course_text(body, _link_rewriter(path, job.course_dir))
            for locale, body, path in job.texts}


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def _die_with_parent(parent: int) -> None:
    """Make a rendering worker end with the sync that started it.

    Killed (SIGKILL, no clean-up), a sync cannot stop its workers, and they would wait for
    work forever; on Linux the kernel sends them SIGKILL instead. The parent may already have
    died before the worker asked, hence the second check.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def _render_modules(files: Sequence[ModuleFile],
                    course_dir: Path) -> Iterator[dict[str, RenderedCourseText]]:
    """Each file's rendered texts, in order, across processes when there are many files."""
    jobs = [_RenderJob(course_dir, (("", file.body, file.path), *(
        (locale, translation.body, translation.path)
        for locale, translation in sorted(file.translations.items()))))
        for file in files]
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_RENDERING_FROM or workers < 2:
        yield from map(_render_job, jobs)
        return
    # Forked workers start at once with everything imported; `courses sync` runs in the CLI's
    # single thread, where forking is safe. Elsewhere (no fork) they start afresh.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(_render_job, jobs, chunksize=8)


def _apply_module(module: Module, file: ModuleFile, rendered: dict[str, RenderedCourseText],
                  course_dir: Path, now: dt.datetime) -> None:
    front = file.front
    body = rendered[""]
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
    module.body_html = body.html
    module.body_text = body.text
    module.headings = [asdict(heading) for heading in body.headings]
    module.translations = {
        locale: _translated_module(translation, rendered[locale])
        for locale, translation in file.translations.items()
    }
    module.source_path = str(file.path.relative_to(course_dir))
    module.content_hash = _file_hash(file)
    module.retired = False
    module.synced_at = now


def _translated_module(translation: TranslationFile,
                       rendered: RenderedCourseText) -> dict[str, Any]:
    """The reader-facing fields of a module translation, rendered (see Module.text)."""
    front = translation.front
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
    rubric.content_hash = _file_hash(file)
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


def _no_index(_session: Session, _row: Any, _replacing: bool) -> None:
    return None


def _no_unindex(_session: Session, _row: Any) -> None:
    return None


def _render_nothing(files: Sequence[Any]) -> Iterator[None]:
    return iter([None] * len(files))


def _sync_rows(session: Session, report: SyncReport, progress: _Progress,
               files: Sequence[ModuleFile] | Sequence[RubricFile], table: type[Module | Rubric],
               *, now: dt.datetime, label: str, apply: Callable[[Any, Any, Any], None],
               render: Callable[[Sequence[Any]], Iterator[Any]] = _render_nothing,
               index: Callable[[Session, Any, bool], None] = _no_index,
               unindex: Callable[[Session, Any], None] = _no_unindex) -> None:
    """Add, update or retire the rows of ``table`` to match ``files`` (the caller commits).

    Rows are compared by their hash and path alone; only the rows that change are loaded,
    and ``render`` renders just those files (``apply`` gets each file's result).
    """
    stored = {slug: (row_id, content_hash, source_path, retired)
              for slug, row_id, content_hash, source_path, retired in session.exec(
                  select(table.slug, table.id, table.content_hash, table.source_path,
                         table.retired))}
    changed: list[tuple[Any, int | None]] = []
    for file in files:
        known = stored.pop(file.slug, None)
        if known is not None and not known[3] and known[1] == _file_hash(file) \
                and known[2] == str(file.path.relative_to(progress.course_dir)):
            report.unchanged.append(label + file.slug)
            progress.advance(file.path)
            continue
        changed.append((file, known[0] if known else None))
    written = []
    for (file, row_id), rendered in zip(changed, render([file for file, _ in changed]),
                                        strict=True):
        (report.added if row_id is None else report.updated).append(label + file.slug)
        row = session.get(table, row_id) if row_id is not None else table()
        apply(row, file, rendered)
        session.add(row)
        written.append((row, row_id is not None))
        progress.advance(file.path)
    session.flush()
    for row, replacing in written:
        index(session, row, replacing)
    for slug, (row_id, _hash, _path, retired) in stored.items():
        if not retired:
            row = session.get(table, row_id)
            row.retired = True
            row.synced_at = now
            session.add(row)
            unindex(session, row)
            report.retired.append(label + slug)


def _unchanged_folder(session: Session, course_dir: Path) -> list[tuple[Path, str]] | None:
    """Every file with its report name when the folder is exactly as last synced, else None.

    Only names and raw bytes are read: every current row must have its file at the same path
    with the same hash, and every file its current row. The last sync accepted these very
    files (it writes nothing unless the whole folder passes the checks), so they need no
    parsing, checking or rendering again.
    """
    surveyed = survey_files(course_dir)
    if surveyed is None:
        return None
    expected = {
        ("rubric:" if file.folder == "rubrics" else "") + file.slug: (
            str(file.path.relative_to(course_dir)),
            _stored_hash(file.content_hash, file.translation_hashes))
        for file in surveyed
    }
    stored = {
        label + slug: (source_path, content_hash)
        for table, label in ((Module, ""), (Rubric, "rubric:"))
        for slug, source_path, content_hash in session.exec(
            select(table.slug, table.source_path, table.content_hash)
            .where(table.retired == sa.false()))
    }
    if len(expected) != len(surveyed) or stored != expected:
        return None
    in_catalogue_order = sorted(surveyed, key=lambda file: (
        file.folder == "rubrics", TRACKS.index(file.folder) if file.folder in TRACKS else 0,
        file.position, file.slug))
    return [(file.path, ("rubric:" if file.folder == "rubrics" else "") + file.slug)
            for file in in_catalogue_order]


def sync_courses(session: Session, course_dir: Path, *, now: dt.datetime,
                 on_progress: Progress = _no_progress) -> SyncReport:
    """Bring the catalogue in the database in line with ``course_dir``. Commits once.

    Raises ``CourseProblems`` (and changes nothing) when any file has a problem. Files whose
    text, place and renderer version are unchanged are skipped, so a re-sync of an unchanged
    folder writes nothing; when nothing at all changed, nothing is even parsed. A module or
    rubric whose file is gone is marked retired, never deleted:
    progress, attempts and assessments keep pointing at it.
    """
    unchanged = _unchanged_folder(session, course_dir)
    if unchanged is not None:
        progress = _Progress(on_progress, len(unchanged), course_dir)
        for path, _name in unchanged:
            progress.advance(path)
        session.rollback()
        return SyncReport(unchanged=[name for _path, name in unchanged])
    catalogue = read_catalogue(course_dir)
    if not catalogue.ok:
        raise CourseProblems(catalogue.problems)
    report = SyncReport()
    progress = _Progress(on_progress, len(catalogue.modules) + len(catalogue.rubrics), course_dir)
    _sync_rows(
        session, report, progress, catalogue.modules, Module, now=now, label="",
        apply=lambda module, file, rendered: _apply_module(module, file, rendered, course_dir,
                                                           now),
        render=lambda files: _render_modules(files, course_dir),
        index=search.index_module, unindex=search.unindex_module,
    )
    _sync_rows(
        session, report, progress, catalogue.rubrics, Rubric, now=now, label="rubric:",
        apply=lambda rubric, file, _rendered: _apply_rubric(rubric, file, course_dir, now),
    )
    if report.changed:
        session.commit()
    else:
        session.rollback()
    return report
