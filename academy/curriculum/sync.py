"""Loading courses/ into the database: check everything, render what changed, in one transaction."""

from __future__ import annotations

import ctypes
import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from academy.curriculum import search
from academy.curriculum.content import (
    Catalogue,
    ModuleFile,
    NoFrontMatter,
    Problem,
    RubricFile,
    SurveyedFile,
    TranslationFile,
    collector_paused,
    content_hash,
    decode_content,
    module_link_target,
    read_catalogue,
    split_front_matter,
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
_MODULES_PER_JOB = 8


@dataclass(frozen=True)
class _Text:
    """One Markdown file of a module: the original ("" for its locale) or a translation."""

    locale: str
    path: Path


# Each text's locale → the hash of the bytes rendered and the result (None: unreadable file).
_Rendering = dict[str, tuple[str, RenderedCourseText] | None]


def _render_texts(course_dir: Path, texts: Sequence[_Text]) -> _Rendering:
    """Each text's content hash and rendering, read from its file (a worker process runs this).

    None for a file that cannot be read or split: the catalogue check reports it.
    """
    rendered: _Rendering = {}
    for text in texts:
        try:
            raw = text.path.read_bytes()
            body = split_front_matter(decode_content(raw)).body
        except (OSError, UnicodeDecodeError, NoFrontMatter):
            rendered[text.locale] = None
            continue
        rendered[text.locale] = (content_hash(raw), render_course_text(
            body, _link_rewriter(text.path, course_dir)))
    return rendered


def _render_modules(course_dir: Path, modules: Sequence[Sequence[_Text]]) -> list[_Rendering]:
    """One worker job: a few modules, so each round trip to a worker carries enough work."""
    return [_render_texts(course_dir, texts) for texts in modules]


_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def _start_worker(parent: int) -> None:
    """Make a rendering worker end with the sync that started it, and collect its garbage.

    Killed (SIGKILL, no clean-up), a sync cannot stop its workers, and they would wait for
    work forever; on Linux the kernel sends them SIGKILL instead. The parent may already have
    died before the worker asked, hence the second check. A forked worker inherits the
    sync's paused cycle collector, which it does not need paused.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
    gc.enable()


def _texts_of(file: SurveyedFile) -> tuple[_Text, ...]:
    return (_Text("", file.path), *(_Text(locale, path)
                                     for locale, path in sorted(file.translation_paths.items())))


class _Renderer:
    """Renders the changed modules, in worker processes while the catalogue is being checked.

    Which modules changed is known from the hashes of their bytes before any front matter is
    parsed, so for a large change the workers start on them at once and the sync reads and
    checks the catalogue meanwhile. A rendering is used only for the very bytes the catalogue
    read (same hashes); any other module is rendered here, when it is asked for.
    """

    def __init__(self, course_dir: Path, changed: Sequence[SurveyedFile]) -> None:
        self.course_dir = course_dir
        self._pending: dict[Path, Future[list[_Rendering]]] = {}
        self._index: dict[Path, int] = {}
        self._pool: ProcessPoolExecutor | None = None
        workers = min(os.cpu_count() or 1, 8)
        if len(changed) < PARALLEL_RENDERING_FROM or workers < 2:
            return
        # Forked workers start at once with everything imported; `courses sync` runs in the
        # CLI's single thread, where forking is safe. Elsewhere (no fork) they start afresh.
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_start_worker, initargs=(os.getpid(),))
        for first in range(0, len(changed), _MODULES_PER_JOB):
            files = changed[first:first + _MODULES_PER_JOB]
            future = self._pool.submit(_render_modules, course_dir,
                                       [_texts_of(file) for file in files])
            for index, file in enumerate(files):
                self._pending[file.path], self._index[file.path] = future, index

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def render(self, file: ModuleFile) -> dict[str, RenderedCourseText]:
        """The module's rendered texts, keyed by locale ("" for the original)."""
        wanted = {"": file.content_hash, **{locale: translation.content_hash
                                            for locale, translation in file.translations.items()}}
        future = self._pending.pop(file.path, None)
        if future is not None:
            done = future.result()[self._index[file.path]]
            if {locale: result[0] for locale, result in done.items() if result} == wanted:
                return {locale: result[1] for locale, result in done.items() if result}
        texts = [("", file.body, file.path), *(
            (locale, translation.body, translation.path)
            for locale, translation in sorted(file.translations.items()))]
        return {locale: render_course_text(body, _link_rewriter(path, self.course_dir))
                for locale, body, path in texts}

    def render_all(self, files: Sequence[ModuleFile]) -> Iterator[dict[str, RenderedCourseText]]:
        return (self.render(file) for file in files)


def _module_values(file: ModuleFile, rendered: dict[str, RenderedCourseText],
                   course_dir: Path, now: dt.datetime) -> dict[str, Any]:
    """The module row's columns for ``file`` and its renderings."""
    front = file.front
    body = rendered[""]
    return {
        "slug": file.slug,
        "track": file.track,
        "position": file.position,
        "title": front.title,
        "summary": front.summary,
        "hours": front.hours,
        "objectives": list(front.objectives),
        "prerequisites": list(front.prerequisites),
        "sources": [source.model_dump() for source in front.sources],
        "quiz": front.quiz.model_dump(),
        "body_html": body.html,
        "body_text": body.text,
        "headings": [asdict(heading) for heading in body.headings],
        "translations": {locale: _translated_module(translation, rendered[locale])
                         for locale, translation in file.translations.items()},
        "source_path": str(file.path.relative_to(course_dir)),
        "content_hash": _file_hash(file),
        "retired": False,
        "synced_at": now,
    }


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


def _rubric_values(file: RubricFile, course_dir: Path, now: dt.datetime) -> dict[str, Any]:
    """The rubric row's columns for ``file``."""
    return {
        "slug": file.slug,
        "title": file.front.title,
        "summary": file.front.summary,
        "criteria": [criterion.model_dump() for criterion in file.front.criteria],
        "body_html": render_course_text(file.body).html,
        "translations": {
            locale: {"title": translation.front.title,
                     "criteria": [{"title": criterion.title, "levels": list(criterion.levels)}
                                  for criterion in translation.front.criteria]}
            for locale, translation in file.translations.items()
        },
        "source_path": str(file.path.relative_to(course_dir)),
        "content_hash": _file_hash(file),
        "retired": False,
        "synced_at": now,
    }


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


_ROWS_PER_STATEMENT = 100


def _no_index(_session: Session, _rows: Sequence[Mapping[str, Any]], _replacing: bool) -> None:
    return None


def _no_unindex(_session: Session, _slugs: Sequence[str]) -> None:
    return None


def _render_nothing(files: Sequence[Any]) -> Iterator[None]:
    return iter([None] * len(files))


def _sync_rows(session: Session, report: SyncReport, progress: _Progress,
               files: Sequence[ModuleFile] | Sequence[RubricFile], table: type[Module | Rubric],
               *, now: dt.datetime, label: str,
               values_of: Callable[[Any, Any], dict[str, Any]],
               render: Callable[[Sequence[Any]], Iterator[Any]] = _render_nothing,
               index: Callable[[Session, Sequence[Mapping[str, Any]], bool], None] = _no_index,
               unindex: Callable[[Session, Sequence[str]], None] = _no_unindex) -> None:
    """Add, update or retire the rows of ``table`` to match ``files`` (the caller commits).

    Rows are compared by their hash and path alone; ``render`` renders just the files that
    changed and ``values_of`` gives each its columns. New, changed and retired rows are
    written with bulk statements of up to ``_ROWS_PER_STATEMENT`` rows, not as ORM objects
    (a cold sync of 1,000 modules spent a second on building those alone); SQLAlchemy still
    brings any row the caller has loaded up to date.
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
    added: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []

    def write_batch() -> None:
        if added:
            session.execute(sa.insert(table), added)
            index(session, added, False)
        if updated:
            session.execute(sa.update(table), updated)
            index(session, updated, True)
        added.clear()
        updated.clear()

    for (file, row_id), rendered in zip(changed, render([file for file, _ in changed]),
                                        strict=True):
        values = values_of(file, rendered)
        if row_id is None:
            report.added.append(label + file.slug)
            added.append(values)
        else:
            report.updated.append(label + file.slug)
            updated.append({"id": row_id, **values})
        progress.advance(file.path)
        if len(added) + len(updated) == _ROWS_PER_STATEMENT:
            write_batch()  # the database indexes these while the next ones are rendered
    write_batch()
    gone = {slug: row_id for slug, (row_id, _hash, _path, retired) in stored.items()
            if not retired}
    if gone:
        session.execute(sa.update(table).where(col(table.id).in_(gone.values()))
                        .values(retired=True, synced_at=now))
        unindex(session, list(gone))
        report.retired.extend(label + slug for slug in gone)


@dataclass(frozen=True)
class _FolderState:
    """The folder's files, surveyed by name and bytes alone, against the current rows."""

    surveyed: list[SurveyedFile]  # in catalogue order
    differing: set[str]  # labels ("rubric:" + slug for rubrics) whose file or row differs

    @staticmethod
    def label(file: SurveyedFile) -> str:
        return ("rubric:" if file.folder == "rubrics" else "") + file.slug

    def changed_modules(self) -> list[SurveyedFile]:
        return [file for file in self.surveyed
                if file.folder in TRACKS and self.label(file) in self.differing]


def _folder_state(session: Session, course_dir: Path) -> _FolderState | None:
    """What differs between the folder and the rows, from names and raw bytes only.

    Every current row must have its file at the same path with the same hash, and every
    file its current row, for a label to be the same. None when the survey cannot tell
    (``read_catalogue`` then names the problem). The last sync accepted the files it wrote
    (it writes nothing unless the whole folder passes the checks), so an unchanged folder
    needs no parsing, checking or rendering again.
    """
    surveyed = survey_files(course_dir)
    if surveyed is None:
        return None
    expected = {
        _FolderState.label(file): (str(file.path.relative_to(course_dir)),
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
    differing = {label for label in expected.keys() | stored.keys()
                 if expected.get(label) != stored.get(label)}
    if len(expected) != len(surveyed):  # two files for one slug: the catalogue says which
        differing.update(expected)
    in_catalogue_order = sorted(surveyed, key=lambda file: (
        file.folder == "rubrics", TRACKS.index(file.folder) if file.folder in TRACKS else 0,
        file.position, file.slug))
    return _FolderState(in_catalogue_order, differing)


def sync_courses(session: Session, course_dir: Path, *, now: dt.datetime,
                 on_progress: Progress = _no_progress) -> SyncReport:
    """Bring the catalogue in the database in line with ``course_dir``. Commits once.

    Raises ``CourseProblems`` (and changes nothing) when any file has a problem. Files whose
    text, place and renderer version are unchanged are skipped, so a re-sync of an unchanged
    folder writes nothing; when nothing at all changed, nothing is even parsed. A module or
    rubric whose file is gone is marked retired, never deleted:
    progress, attempts and assessments keep pointing at it.
    """
    state = _folder_state(session, course_dir)
    if state is not None and not state.differing:
        progress = _Progress(on_progress, len(state.surveyed), course_dir)
        for file in state.surveyed:
            progress.advance(file.path)
        session.rollback()
        return SyncReport(unchanged=[state.label(file) for file in state.surveyed])
    changed = state.changed_modules() if state else []
    with collector_paused(), _Renderer(course_dir, changed) as renderer:
        catalogue = read_catalogue(course_dir)
        if not catalogue.ok:
            raise CourseProblems(catalogue.problems)
        report = SyncReport()
        progress = _Progress(on_progress, len(catalogue.modules) + len(catalogue.rubrics),
                             course_dir)
        _sync_rows(
            session, report, progress, catalogue.modules, Module, now=now, label="",
            values_of=lambda file, rendered: _module_values(file, rendered, course_dir, now),
            render=renderer.render_all,
            index=search.index_modules, unindex=search.unindex_modules,
        )
        _sync_rows(
            session, report, progress, catalogue.rubrics, Rubric, now=now, label="rubric:",
            values_of=lambda file, _rendered: _rubric_values(file, course_dir, now),
        )
    if report.changed:
        session.commit()
    else:
        session.rollback()
    return report
