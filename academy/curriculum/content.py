"""Read the course folder (courses/) into checked modules and rubrics, reporting every problem.

`academy courses check`, `academy courses sync` and the authors all see the same verdict, so a
file this module accepts is a file the site can show. Problems are collected, never raised: an
author fixing twenty files wants all twenty messages in one run, each as ``path:line: message``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

TRACKS: tuple[str, ...] = ("host", "operator", "planner")
LOCALES_BESIDE_ENGLISH = ("zh",)
_RUBRICS_FOLDER = "rubrics"

_SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_LOCALE_SUFFIX = r"(?:\.(?P<locale>[^.]+))?"  # any locale-like suffix, so unknown ones get named
_MODULE_FILE_NAME = re.compile(rf"(?P<position>\d{{2,3}})-(?P<slug>{_SLUG}){_LOCALE_SUFFIX}\.md")
_RUBRIC_FILE_NAME = re.compile(rf"(?P<slug>{_SLUG}){_LOCALE_SUFFIX}\.md")
_FENCE = re.compile(r"\s*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).+?\1")
_INLINE_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)")
# YAML marks count lines from 0 inside the front matter, which starts on the file's line 2.
_FRONT_MATTER_FIRST_LINE = 2


@dataclass(frozen=True)
class Problem:
    """One thing an author must fix; ``line`` is 1-based in the file, so editors can jump to it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


# --- Front matter schema --------------------------------------------------------------------


class _FrontMatterPart(BaseModel, extra="forbid", strict=True):
    """Base of every front-matter model: a misspelt key or a mistyped value is a problem.

    Strict because YAML already gives values their types: ``hours: yes`` or ``choices: [9.00]``
    (read as ``9.0``) is an authoring slip to report, not a value to coerce.
    """


class Source(_FrontMatterPart):
    title: str = Field(min_length=1, max_length=300)
    url: str | None = None
    note: str = ""

    @field_validator("url")
    @classmethod
    def _url_is_on_the_web(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url


class QuizQuestion(_FrontMatterPart):
    prompt: str = Field(min_length=1, max_length=1000)
    choices: list[str] = Field(min_length=2, max_length=8)
    answer: int | list[int]
    explain: str = Field(min_length=1, max_length=2000)

    @field_validator("choices")
    @classmethod
    def _choices_are_short_text(cls, choices: list[str]) -> list[str]:
        for number, choice in enumerate(choices, start=1):
            if not 1 <= len(choice) <= 500:
                raise ValueError(f"choice {number} must be 1 to 500 characters long")
        return choices

    @field_validator("answer", mode="before")
    @classmethod
    def _answer_names_choices(cls, answer: object, info: ValidationInfo) -> object:
        """Check the answer before pydantic does: its union type would give two vague errors."""
        indexes = [answer] if _is_index(answer) else answer
        if not isinstance(indexes, list) or not all(_is_index(index) for index in indexes):
            raise ValueError("must be a choice index (0 is the first choice) or a list of them")
        if not indexes:
            raise ValueError("must list at least one choice index")
        if len(set(indexes)) != len(indexes):
            raise ValueError("lists the same choice index twice")
        choices = info.data.get("choices")
        if choices is not None:
            for index in indexes:
                if not 0 <= index < len(choices):
                    raise ValueError(f"choice index {index} is out of range: there are "
                                     f"{len(choices)} choices, numbered 0 to {len(choices) - 1}")
        return answer

    @property
    def correct(self) -> frozenset[int]:
        return frozenset(self.answer if isinstance(self.answer, list) else [self.answer])

    @property
    def select_all(self) -> bool:
        """A list of indexes, even of one, asks the student to tick every right choice."""
        return isinstance(self.answer, list)


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Quiz(_FrontMatterPart):
    pass_mark: int = Field(ge=1, le=100)
    questions: list[QuizQuestion] = Field(min_length=1)


class ModuleFrontMatter(_FrontMatterPart):
    title: str = Field(min_length=1, max_length=200)
    track: str
    hours: float = Field(gt=0, le=1000)
    summary: str = Field(min_length=1, max_length=300)
    objectives: list[str] = Field(min_length=1)
    prerequisites: list[str] = []
    sources: list[Source] = []
    quiz: Quiz

    @field_validator("track")
    @classmethod
    def _track_is_known(cls, track: str) -> str:
        if track not in TRACKS:
            raise ValueError(f"must be one of {', '.join(TRACKS)}")
        return track


class RubricCriterion(_FrontMatterPart):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1, max_length=200)
    weight: int = Field(gt=0)
    gate: bool = False
    levels: list[str] = Field(min_length=4, max_length=4)


class RubricFrontMatter(_FrontMatterPart):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(default="", max_length=500)
    criteria: list[RubricCriterion] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _criteria_score_out_of_100(cls, criteria: list[RubricCriterion]) -> list[RubricCriterion]:
        """Scores are weight × level summed to a total out of 100; a gate caps a failing total.

        Checked on the list rather than the whole model so the message points at ``criteria:``.
        """
        faults = []
        keys = [criterion.key for criterion in criteria]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            faults.append(f"keys must be unique: {', '.join(repeated)} repeated")
        total = sum(criterion.weight for criterion in criteria)
        if total != 100:
            faults.append(f"weights must add up to 100, not {total}")
        gates = [criterion.key for criterion in criteria if criterion.gate]
        if len(gates) > 1:
            faults.append(f"at most one criterion may be a gate, not {len(gates)}: "
                          f"{', '.join(gates)}")
        if faults:
            raise ValueError("; ".join(faults))
        return criteria


# --- What read_catalogue returns -----------------------------------------------------------


@dataclass(frozen=True)
class TranslationFile:
    locale: str
    path: Path
    front: ModuleFrontMatter
    body: str
    content_hash: str


@dataclass(frozen=True)
class ModuleFile:
    """A module as its file says; ``body_line`` lets later steps report body lines by file line."""

    slug: str
    track: str
    position: int
    path: Path
    front: ModuleFrontMatter
    body: str
    body_line: int
    content_hash: str
    translations: dict[str, TranslationFile]


@dataclass(frozen=True)
class RubricTranslation:
    locale: str
    path: Path
    front: RubricFrontMatter
    body: str
    content_hash: str


@dataclass(frozen=True)
class RubricFile:
    slug: str
    path: Path
    front: RubricFrontMatter
    body: str
    content_hash: str
    translations: dict[str, RubricTranslation] = field(default_factory=dict)



@dataclass(frozen=True)
class Catalogue:
    """Everything that could be read, and every problem found; only an empty list is ``ok``."""

    modules: list[ModuleFile]
    rubrics: list[RubricFile]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


# --- Reading one file ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ContentFile:
    """A file whose name passed the layout rules; ``folder`` is its track or ``rubrics``."""

    path: Path
    folder: str
    slug: str
    position: int
    locale: str | None

    @property
    def original_path(self) -> Path:
        """The English file a translation sits beside (a file's own path when it is English)."""
        if self.locale is None:
            return self.path
        return self.path.with_name(self.path.name.removesuffix(f".{self.locale}.md") + ".md")

    @property
    def shown(self) -> str:
        return f"{self.folder}/{self.path.name}"


@dataclass(frozen=True)
class _Document:
    root: yaml.MappingNode
    data: dict[str, Any]
    body: str
    body_line: int
    content_hash: str


_FrontMatterT = TypeVar("_FrontMatterT", ModuleFrontMatter, RubricFrontMatter)


@dataclass(frozen=True)
class _Parsed(Generic[_FrontMatterT]):
    file: _ContentFile
    document: _Document
    front: _FrontMatterT

    def problem(self, location: tuple[str | int, ...], message: str) -> Problem:
        """A problem placed on the line of the YAML key at ``location``."""
        return Problem(self.file.path, _line_of(self.document.root, location), message)


def _parse(file: _ContentFile, schema: type[_FrontMatterT],
           problems: list[Problem]) -> _Parsed[_FrontMatterT] | None:
    document = _read_document(file.path, problems)
    if document is None:
        return None
    try:
        front = schema.model_validate(document.data)
    except ValidationError as invalid:
        problems.extend(_schema_problem(file.path, document.root, error)
                        for error in invalid.errors())
        return None
    return _Parsed(file, document, front)


class NoFrontMatter(ValueError):
    """A content file's text does not open with a fenced YAML front matter."""


@dataclass(frozen=True)
class SplitText:
    """A content file's text cut at its front matter fences."""

    front_matter: str
    body: str
    body_line: int  # the file line the body starts on


def split_front_matter(text: str) -> SplitText:
    """Cut ``text`` into front matter and body; raise ``NoFrontMatter`` saying why it cannot be."""
    # Split on newlines only, as editors and YAML number lines; str.splitlines also breaks
    # at form feeds and other separators, which would shift every line number after them.
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise NoFrontMatter("the file must start with a '---' line that opens the YAML "
                            "front matter")
    closing = next((n for n, line in enumerate(lines[1:], start=1) if line.rstrip() == "---"),
                   None)
    if closing is None:
        raise NoFrontMatter("the front matter has no closing '---' line")
    return SplitText("\n".join(lines[1:closing]), "\n".join(lines[closing + 1:]), closing + 2)


def decode_content(raw: bytes) -> str:
    """A content file's bytes as text: UTF-8, an invisible byte-order mark dropped.

    The mark would otherwise hide the opening fence. Raises ``UnicodeDecodeError``.
    """
    return raw.decode("utf-8-sig")


def content_hash(raw: bytes) -> str:
    """The hash a content file is known by: the SHA-256 of its bytes."""
    return hashlib.sha256(raw).hexdigest()


def _read_document(path: Path, problems: list[Problem]) -> _Document | None:
    """Split a file into parsed front matter and body, or report why it cannot be split."""
    try:
        raw = path.read_bytes()
        split = split_front_matter(decode_content(raw))
    except OSError as error:
        problems.append(Problem(path, 1, f"cannot read the file: {error.strerror}"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(path, 1, "the file is not UTF-8 text"))
        return None
    except NoFrontMatter as missing:
        problems.append(Problem(path, 1, str(missing)))
        return None
    root, data = _load_yaml(split.front_matter, path, problems)
    if root is None:
        return None
    return _Document(root=root, data=data, body=split.body, body_line=split.body_line,
                     content_hash=content_hash(raw))


def _load_yaml(text: str, path: Path,
               problems: list[Problem]) -> tuple[yaml.MappingNode | None, dict[str, Any]]:
    try:
        root, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + _FRONT_MATTER_FIRST_LINE if mark else 1
        detail = f"{error.problem} ({error.context})" if error.context else error.problem
        problems.append(Problem(path, line, f"invalid YAML: {detail}"))
        return None, {}
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + _FRONT_MATTER_FIRST_LINE
        problems.append(Problem(path, line, f"invalid YAML: {error.reason} "
                                            f"(U+{error.character:04X})"))
        return None, {}
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        problems.append(Problem(path, 1, "the front matter must be YAML keys with values"))
        return None, {}
    return root, data


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, object]:
    """``yaml.safe_load`` that keeps the node tree: its marks give problems their lines.

    libyaml's loader (when PyYAML was built with it) parses front matter about ten times
    faster than the pure-Python one. Only when it refuses the text is the pure-Python loader
    run as well, so an author reads the same, more helpful message either way.
    """
    if getattr(yaml, "CSafeLoader", None) is not None:
        try:
            return _load_with(yaml.CSafeLoader, text)
        except yaml.YAMLError:
            pass
    return _load_with(yaml.SafeLoader, text)


def _load_with(loader_class: Any, text: str) -> tuple[yaml.Node | None, object]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _schema_problem(path: Path, root: yaml.MappingNode, error: ErrorDetails) -> Problem:
    location = error["loc"]
    if error["type"] == "extra_forbidden":
        where, message = location[:-1], f"unknown key {location[-1]!r}"
    elif error["type"] == "value_error":
        where, message = location, str(error["ctx"]["error"])
    else:
        where, message = location, error["msg"]
    if error["type"] == "string_type" and isinstance(error["input"], int | float | dt.date):
        message += " (YAML read it as a number or date: put it in quotes)"
    dotted = ".".join(str(part) for part in where)
    return Problem(path, _line_of(root, location), f"{dotted}: {message}" if dotted else message)


def _line_of(root: yaml.Node, location: Iterable[str | int]) -> int:
    """The file line of the key or item at ``location``, or of its nearest parent that exists."""
    node, line = root, root.start_mark.line
    for part in location:
        step = _child(node, part)
        if step is None:
            break
        marker, node = step
        line = marker.start_mark.line
    return line + _FRONT_MATTER_FIRST_LINE


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """The key (or list item) named by ``part`` inside ``node``, with the value it holds."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
            and 0 <= part < len(node.value):
        return node.value[part], node.value[part]
    return None


# --- Layout --------------------------------------------------------------------------------


def _survey(course_dir: Path, problems: list[Problem]) -> list[_ContentFile]:
    """Every content file whose folder and name follow the layout, in track order.

    Files directly in the course folder (README.md, COVERAGE.md) are notes for authors, and
    hidden entries belong to editors and version control; neither is content.
    """
    if not course_dir.is_dir():
        problems.append(Problem(course_dir, 1, "the course folder does not exist"))
        return []
    for entry in sorted(course_dir.iterdir()):
        if entry.is_dir() and not entry.name.startswith(".") \
                and entry.name not in (*TRACKS, _RUBRICS_FOLDER):
            problems.append(Problem(entry, 1, f"unexpected folder: course folders are "
                                              f"{', '.join(TRACKS)} and {_RUBRICS_FOLDER}"))
    files = []
    for folder in (*TRACKS, _RUBRICS_FOLDER):
        if (course_dir / folder).is_dir():
            files.extend(_name_files(course_dir / folder, problems))
    return files


def _name_files(folder: Path, problems: list[Problem]) -> list[_ContentFile]:
    files = []
    is_rubrics = folder.name == _RUBRICS_FOLDER
    pattern = _RUBRIC_FILE_NAME if is_rubrics else _MODULE_FILE_NAME
    expected = ("slug.md or slug.<locale>.md" if is_rubrics
                else "NN-slug.md or NN-slug.<locale>.md (NN: two or three digits)")
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            problems.append(Problem(path, 1, f"unexpected folder: files sit directly in "
                                             f"{folder.name}/"))
            continue
        if path.suffix != ".md":
            continue
        name = pattern.fullmatch(path.name)
        if name is None:
            problems.append(Problem(path, 1, f"bad file name: expected {expected}, where slug "
                                             f"is lower-case words joined by '-'"))
        elif name["locale"] is not None and name["locale"] not in LOCALES_BESIDE_ENGLISH:
            problems.append(Problem(path, 1, f"unknown locale {name['locale']!r}: known "
                                             f"locales are {', '.join(LOCALES_BESIDE_ENGLISH)}"))
        else:
            position = 0 if is_rubrics else int(name["position"])
            files.append(_ContentFile(path, folder.name, name["slug"], position, name["locale"]))
    return files


def _duplicate_names(originals: list[_ContentFile]) -> Iterator[Problem]:
    """Slugs are permanent ids across the whole site; positions only order one track."""
    by_slug: dict[str, _ContentFile] = {}
    by_position: dict[tuple[str, int], _ContentFile] = {}
    for file in originals:
        first = by_slug.setdefault(file.slug, file)
        if first is not file:
            yield Problem(file.path, 1, f"module slug {file.slug!r} is already used by "
                                        f"{first.shown}")
        first = by_position.setdefault((file.folder, file.position), file)
        if first is not file:
            yield Problem(file.path, 1, f"number {file.position:02d} is already used by "
                                        f"{first.shown}")


def _orphan_translations(files: list[_ContentFile]) -> Iterator[Problem]:
    originals = {file.path for file in files if file.locale is None}
    for file in files:
        if file.locale is not None and file.original_path not in originals:
            yield Problem(file.path, 1, f"translation without an original: "
                                        f"{file.folder}/{file.original_path.name} does not exist")


# --- Rules across files --------------------------------------------------------------------


def _track_mismatches(modules: Iterable[_Parsed[ModuleFrontMatter]]) -> Iterator[Problem]:
    for module in modules:
        if module.front.track != module.file.folder:
            yield module.problem(("track",), f"track {module.front.track!r} does not match "
                                             f"the folder {module.file.folder!r}")


def _missing_prerequisites(modules: list[_Parsed[ModuleFrontMatter]],
                           known_slugs: set[str]) -> Iterator[Problem]:
    for module in modules:
        for index, slug in enumerate(module.front.prerequisites):
            if slug not in known_slugs:
                yield module.problem(("prerequisites", index),
                                     f"prerequisite {slug!r} is not a module")


def _prerequisite_cycles(modules: list[_Parsed[ModuleFrontMatter]]) -> Iterator[Problem]:
    """Each module on a cycle is reported once, with the shortest cycle through it."""
    requires: dict[str, list[str]] = {}
    for module in modules:
        requires.setdefault(module.file.slug, module.front.prerequisites)
    for module in modules:
        cycle = _shortest_cycle(module.file.slug, requires)
        if cycle is not None:
            index = module.front.prerequisites.index(cycle[1])
            yield module.problem(("prerequisites", index),
                                 f"prerequisites form a cycle: {' -> '.join(cycle)}")


def _shortest_cycle(start: str, requires: dict[str, list[str]]) -> list[str] | None:
    """``[start, …, start]`` following prerequisites, found breadth-first; None if acyclic."""
    reached_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        slug = queue.popleft()
        for prerequisite in requires.get(slug, []):
            if prerequisite == start:
                path = [slug]
                while path[-1] != start:
                    path.append(reached_from[path[-1]])
                return [*reversed(path), start]
            if prerequisite not in reached_from:
                reached_from[prerequisite] = slug
                queue.append(prerequisite)
    return None


def _module_translation_differences(translation: _Parsed[ModuleFrontMatter],
                                    original: _Parsed[ModuleFrontMatter]) -> Iterator[Problem]:
    """A translation changes words only: the quiz is graded with the original's answers.

    Its track is not compared here: both files must match the folder they share.
    """
    ours, theirs = translation.front, original.front
    if ours.hours != theirs.hours:
        yield translation.problem(("hours",), f"translation hours differ from the original: "
                                              f"{ours.hours:g}, the original {theirs.hours:g}")
    if ours.prerequisites != theirs.prerequisites:
        yield translation.problem(("prerequisites",),
                                  f"translation prerequisites differ from the original: "
                                  f"{ours.prerequisites}, the original {theirs.prerequisites}")
    yield from _quiz_differences(translation, ours.quiz, theirs.quiz)


def _quiz_differences(translation: _Parsed[ModuleFrontMatter], ours: Quiz,
                      theirs: Quiz) -> Iterator[Problem]:
    prefix = "translation quiz differs from the original:"
    if len(ours.questions) != len(theirs.questions):
        yield translation.problem(("quiz", "questions"),
                                  f"{prefix} {len(ours.questions)} questions, the original "
                                  f"{len(theirs.questions)}")
        return
    pairs = zip(ours.questions, theirs.questions, strict=True)
    for index, (question, original) in enumerate(pairs):
        where = ("quiz", "questions", index)
        if len(question.choices) != len(original.choices):
            yield translation.problem((*where, "choices"),
                                      f"{prefix} question {index + 1} has "
                                      f"{len(question.choices)} choices, the original "
                                      f"{len(original.choices)}")
        elif (question.select_all, question.correct) != (original.select_all, original.correct):
            yield translation.problem((*where, "answer"),
                                      f"{prefix} question {index + 1} has answer "
                                      f"{question.answer}, the original {original.answer}")


def _rubric_translation_differences(translation: _Parsed[RubricFrontMatter],
                                    original: _Parsed[RubricFrontMatter]) -> Iterator[Problem]:
    """Assessments store scores by criterion key, so only titles and level texts may change."""

    def scoring(front: RubricFrontMatter) -> list[tuple[str, int, bool]]:
        return [(criterion.key, criterion.weight, criterion.gate) for criterion in front.criteria]

    if scoring(translation.front) != scoring(original.front):
        yield translation.problem(("criteria",), "translation criteria differ from the "
                                                 "original: keys, weights and gates must match "
                                                 "it, in the same order")


def _translation_differences(
    translations: list[_Parsed[_FrontMatterT]],
    originals: list[_Parsed[_FrontMatterT]],
    differences: Callable[[_Parsed[_FrontMatterT], _Parsed[_FrontMatterT]], Iterator[Problem]],
) -> Iterator[Problem]:
    by_path = {original.file.path: original for original in originals}
    for translation in translations:
        original = by_path.get(translation.file.original_path)
        if original is not None:
            yield from differences(translation, original)


# --- Links between modules -----------------------------------------------------------------


def module_link_target(href: str, from_path: Path, course_dir: Path) -> tuple[str, str] | None:
    """The (slug, fragment) of the module file a relative link points at.

    For example ``../operator/05-data-and-diagnosis.md#the-kpi-formulas`` from a host module
    gives ``("data-and-diagnosis", "the-kpi-formulas")``. None when ``href`` is not a relative
    link to a module file: web and mail links, ``#anchor`` links, other files. The file need
    not exist; read_catalogue reports links to files that do not.
    """
    link = _relative_md_link(href, from_path)
    if link is None:
        return None
    target, fragment = link
    try:
        inside = target.relative_to(_normal(course_dir))
    except ValueError:
        return None
    name = _MODULE_FILE_NAME.fullmatch(inside.name)
    if len(inside.parts) != 2 or inside.parts[0] not in TRACKS or name is None \
            or name["locale"] is not None:
        return None
    return name["slug"], fragment


def _relative_md_link(href: str, from_path: Path) -> tuple[Path, str] | None:
    """The file a relative link to a ``.md`` file names, and the link's fragment."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc or parts.path.startswith("/") \
            or not parts.path.endswith(".md"):
        return None
    return _normal(from_path.parent / unquote(parts.path)), parts.fragment


def _normal(path: Path) -> Path:
    """An absolute path without ``..``, so two spellings of one file compare equal."""
    return Path(os.path.normpath(path.absolute()))


def _broken_links(content: _Parsed[Any], module_paths: set[Path]) -> Iterator[Problem]:
    path = content.file.path
    for offset, href in _inline_links(content.document.body):
        link = _relative_md_link(href, path)
        if link is not None and link[0] not in module_paths:
            yield Problem(path, content.document.body_line + offset,
                          f"link {href!r} does not point to a module file")


def _inline_links(body: str) -> Iterator[tuple[int, str]]:
    """``(line offset in body, target)`` of each ``[text](target)`` outside code."""
    for offset, line in _lines_outside_fences(body):
        for target in _INLINE_LINK.findall(_CODE_SPAN.sub("", line)):
            yield offset, target


def _lines_outside_fences(body: str) -> Iterator[tuple[int, str]]:
    """Lines of ``body`` with their offsets, leaving out fenced code blocks and their fences."""
    fence: str | None = None
    for offset, line in enumerate(body.split("\n")):
        if fence is not None:
            if _closes(line, fence):
                fence = None
        elif (opening := _FENCE.match(line)) is not None:
            fence = opening.group(1)
        else:
            yield offset, line


def _closes(line: str, fence: str) -> bool:
    """A closing fence repeats the opening character at least as often, alone on its line."""
    mark = line.strip()
    return len(mark) >= len(fence) and set(mark) == {fence[0]}


# --- The catalogue -------------------------------------------------------------------------


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a whole course folder is read (or synced).

    Each file's YAML node tree is kept for the line numbers of problems: a hundred thousand
    small objects for 1,000 modules, in no reference cycle, and a sync then keeps every
    module's columns until they are written. As they pile up, the collector walks them again
    and again: two thirds of the time to read 1,000 modules. Reference counting frees them
    all the same, and any cycle is collected once the collector runs again.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_catalogue(course_dir: Path) -> Catalogue:
    """Read and check every module, translation and rubric under ``course_dir``.

    A file is listed when its front matter is valid, even if other rules (links, prerequisites,
    translations) report problems; callers that write anything should require ``ok``.
    Problems are never raised, so one broken file does not hide the others.
    """
    problems: list[Problem] = []
    files = _survey(course_dir, problems)
    problems.extend(_orphan_translations(files))
    module_files, module_translation_files = _by_language(f for f in files if f.folder in TRACKS)
    rubric_files, rubric_translation_files = _by_language(
        f for f in files if f.folder == _RUBRICS_FOLDER)

    with collector_paused():
        modules = _parse_all(module_files, ModuleFrontMatter, problems)
        translations = _parse_all(module_translation_files, ModuleFrontMatter, problems)
        rubrics = _parse_all(rubric_files, RubricFrontMatter, problems)
        rubric_translations = _parse_all(rubric_translation_files, RubricFrontMatter, problems)

    problems.extend(_duplicate_names(module_files))
    problems.extend(_track_mismatches([*modules, *translations]))
    problems.extend(_missing_prerequisites(modules, {file.slug for file in module_files}))
    problems.extend(_prerequisite_cycles(modules))
    problems.extend(_translation_differences(translations, modules,
                                             _module_translation_differences))
    problems.extend(_translation_differences(rubric_translations, rubrics,
                                             _rubric_translation_differences))
    module_paths = {_normal(file.path) for file in module_files}
    for content in [*modules, *translations, *rubrics, *rubric_translations]:
        problems.extend(_broken_links(content, module_paths))

    return Catalogue(
        modules=_listed_modules(modules, translations),
        rubrics=sorted((_rubric_file(rubric, rubric_translations) for rubric in rubrics),
                       key=lambda r: r.slug),
        problems=sorted(problems, key=lambda problem: (str(problem.path), problem.line)),
    )


@dataclass(frozen=True)
class SurveyedFile:
    """A module or rubric found by its name alone: its bytes hashed, nothing parsed.

    ``content_hash`` and ``translation_hashes`` are the SHA-256 of the raw bytes, the same
    hashes ``read_catalogue`` gives, so a caller can tell an unchanged folder from a changed
    one without parsing any front matter or Markdown.
    """

    folder: str  # a track, or "rubrics"
    slug: str
    position: int
    path: Path
    content_hash: str
    translation_hashes: dict[str, str]
    translation_paths: dict[str, Path]


def survey_files(course_dir: Path) -> list[SurveyedFile] | None:
    """Every original file with the hashes of its bytes and its translations' bytes.

    None when the names or folders break a layout rule or a file cannot be read:
    ``read_catalogue`` then finds and names the problem.
    """
    problems: list[Problem] = []
    files = _survey(course_dir, problems)
    if problems or next(_orphan_translations(files), None) is not None:
        return None
    try:
        hashes = {file.path: content_hash(file.path.read_bytes()) for file in files}
    except OSError:
        return None
    translations: dict[Path, dict[str, Path]] = {}
    for file in files:
        if file.locale is not None:
            translations.setdefault(file.original_path, {})[file.locale] = file.path
    return [SurveyedFile(file.folder, file.slug, file.position, file.path, hashes[file.path],
                         {locale: hashes[path]
                          for locale, path in translations.get(file.path, {}).items()},
                         translations.get(file.path, {}))
            for file in files if file.locale is None]


def _by_language(files: Iterable[_ContentFile]) -> tuple[list[_ContentFile], list[_ContentFile]]:
    """English originals, then translations."""
    english, translated = [], []
    for file in files:
        (english if file.locale is None else translated).append(file)
    return english, translated


def _parse_all(files: list[_ContentFile], schema: type[_FrontMatterT],
               problems: list[Problem]) -> list[_Parsed[_FrontMatterT]]:
    return [parsed for file in files if (parsed := _parse(file, schema, problems)) is not None]


def _listed_modules(modules: list[_Parsed[ModuleFrontMatter]],
                    translations: list[_Parsed[ModuleFrontMatter]]) -> list[ModuleFile]:
    translated: dict[Path, dict[str, TranslationFile]] = {}
    for translation in translations:
        locale = translation.file.locale
        assert locale is not None, "translations are the files with a locale"
        translated.setdefault(translation.file.original_path, {})[locale] = TranslationFile(
            locale=locale, path=translation.file.path, front=translation.front,
            body=translation.document.body, content_hash=translation.document.content_hash,
        )
    files = [
        ModuleFile(
            slug=module.file.slug, track=module.file.folder, position=module.file.position,
            path=module.file.path, front=module.front, body=module.document.body,
            body_line=module.document.body_line, content_hash=module.document.content_hash,
            translations=translated.get(module.file.path, {}),
        )
        for module in modules
    ]
    return sorted(files, key=lambda file: (TRACKS.index(file.track), file.position, file.slug))


def _rubric_file(rubric: _Parsed[RubricFrontMatter],
                 translations: list[_Parsed[RubricFrontMatter]]) -> RubricFile:
    return RubricFile(
        slug=rubric.file.slug, path=rubric.file.path, front=rubric.front,
        body=rubric.document.body, content_hash=rubric.document.content_hash,
        translations={
            translation.file.locale: RubricTranslation(
                locale=translation.file.locale, path=translation.file.path,
                front=translation.front, body=translation.document.body,
                content_hash=translation.document.content_hash)
            for translation in translations
            if translation.file.original_path == rubric.file.path and translation.file.locale
        },
    )
