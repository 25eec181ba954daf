"""`courses sync` of a large generated curriculum: cold, unchanged, and with one file edited.

Writes a course folder of ``--modules`` modules (1,000 by default) spread over the three
tracks: each about 1,500 words of Markdown with headings, a table, lists, an admonition, a
code block, a footnote and a link to the module before it, and a six-question quiz; then
times ``sync_courses`` into an empty migrated database (cold), again with nothing changed,
and again after one file was edited. SQLite always; PostgreSQL too when
ACADEMY_BENCH_DATABASE_URL is set.

    python -m benchmarks.sync [--quick] [--modules N]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from academy.curriculum.sync import CourseProblems, SyncReport, sync_courses
from academy.db import make_engine, new_session, upgrade_database, utcnow
from benchmarks.common import COURSES, machine, print_table, scratch_database, servers, verdict

TRACKS = ("host", "operator", "planner")
COLD_TARGET = 5.0
UNCHANGED_TARGET = 0.5
WORDS = ("buyer", "MOQ", "lead time", "sample", "FOB", "certificate", "inquiry", "RFQ",
         "factory", "demonstration", "compliance", "script", "camera", "viewer", "conversion",
         "GMV", "run-sheet", "deputy host", "field control", "price tier", "OEM", "shipment",
         "Incoterm", "payment terms", "warm-up", "product card", "comment", "follower")


def _paragraph(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    sentences = [" ".join(picked[index:index + 12]).capitalize() + "."
                 for index in range(0, len(picked), 12)]
    return " ".join(sentences)


def _body(rng: random.Random, number: int, previous: str | None) -> str:
    sections = []
    for section in range(1, 7):
        parts = [f"## Part {section} of lesson {number}", _paragraph(rng, 120),
                 f"### Worked example {section}", _paragraph(rng, 60)]
        if section == 2:
            parts.append("| Minute | Host | Control |\n|---|---|---|\n"
                         + "\n".join(f"| {m} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |"
                                     for m in range(0, 60, 5)))
        if section == 3:
            parts.append("\n".join(f"- [ ] {_paragraph(rng, 8)}" for _ in range(5)))
        if section == 4:
            parts.append('!!! note "Rule of thumb"\n    ' + _paragraph(rng, 30))
        if section == 5:
            parts.append("```text\nHOST: Welcome, buyers!\nCONTROL: pin the product card\n```")
        sections.append("\n\n".join(parts))
    if previous:
        sections.append(f"Read [the previous lesson]({previous}) first.[^1]\n\n"
                        f"[^1]: {_paragraph(rng, 10)}")
    return "\n\n".join(sections) + "\n"


def _quiz(rng: random.Random) -> dict[str, object]:
    questions: list[dict[str, object]] = [
        {"prompt": _paragraph(rng, 14), "choices": [_paragraph(rng, 4) for _ in range(4)],
         "answer": rng.randrange(4), "explain": _paragraph(rng, 20)} for _ in range(5)]
    questions.append({"prompt": "Select all that apply: " + _paragraph(rng, 10),
                      "choices": [_paragraph(rng, 3) for _ in range(4)], "answer": [0, 2],
                      "explain": _paragraph(rng, 20)})
    return {"pass_mark": 80, "questions": questions}


def write_curriculum(folder: Path, modules: int, seed: int = 11) -> None:
    """``modules`` module files over the three tracks, plus the shipped rubric."""
    rng = random.Random(seed)  # noqa: S311  (reproducible content, not a secret)
    per_track = -(-modules // len(TRACKS))
    written = 0
    for track in TRACKS:
        previous: tuple[str, str] | None = None
        for position in range(1, per_track + 1):
            if written == modules:
                break
            slug = f"{track}-lesson-{position}"
            name = f"{position:02d}-{slug}.md"
            front = {
                "title": f"{track.title()} lesson {position}", "track": track,
                "hours": rng.choice((4, 6, 8, 12)), "summary": _paragraph(rng, 16)[:200],
                "objectives": [_paragraph(rng, 8) for _ in range(4)],
                "prerequisites": [previous[0]] if previous and position % 3 else [],
                "sources": [{"title": "Platform rules", "url": "https://example.com/rules"},
                            {"title": "Trade terms", "url": "https://example.com/terms"}],
                "quiz": _quiz(rng),
            }
            path = folder / track / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
                            + "---\n" + _body(rng, position, previous[1] if previous else None),
                            encoding="utf-8")
            previous = (slug, name)
            written += 1
    (folder / "rubrics").mkdir(exist_ok=True)
    shutil.copy(COURSES / "rubrics" / "practice-stream.md", folder / "rubrics")


def _timed_sync(url: str, folder: Path) -> tuple[float, SyncReport]:
    engine = make_engine(url)
    try:
        with new_session(engine) as session:
            started = time.perf_counter()
            report = sync_courses(session, folder, now=utcnow())
            return time.perf_counter() - started, report
    finally:
        engine.dispose()


def run(label: str, server: str | None, folder: Path, modules: int) -> list[object]:
    with scratch_database(folder, server) as url:
        engine = make_engine(url)
        upgrade_database(engine)
        engine.dispose()
        cold, first = _timed_sync(url, folder / "courses")
        unchanged, second = _timed_sync(url, folder / "courses")
        edited_file = folder / "courses" / "host" / "01-host-lesson-1.md"
        edited_file.write_text(edited_file.read_text() + "\nOne more line.\n")
        edited, third = _timed_sync(url, folder / "courses")
    assert len(first.added) == modules + 1 and len(second.unchanged) == modules + 1
    assert len(third.updated) == 1
    return [label, modules, f"{cold:.2f}", f"{unchanged:.2f}", f"{edited:.2f}",
            f"{modules / cold:.0f}", verdict(cold <= COLD_TARGET),
            verdict(unchanged <= UNCHANGED_TARGET)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="60 modules instead of 1,000")
    parser.add_argument("--modules", type=int, default=None, help="how many modules to write")
    arguments = parser.parse_args()
    modules = arguments.modules or (60 if arguments.quick else 1000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="academy-sync-") as name:
        folder = Path(name)
        write_curriculum(folder / "courses", modules)
        for label, server in servers():
            print(f"{label}: syncing {modules} modules …", flush=True)
            try:
                rows.append(run(label, server, folder, modules))
            except CourseProblems as error:
                for problem in error.problems[:3]:
                    print(f"  {problem}", file=sys.stderr)
                sys.exit(f"The course checker refused the generated folder "
                         f"({len(error.problems)} problems); see above.")
    print_table(
        f"courses sync of {modules} generated modules (+ 1 rubric) — {machine()}",
        ["database", "modules", "cold s", "unchanged s", "one edited s", "modules/s cold",
         f"cold ≤ {COLD_TARGET:g} s", f"unchanged ≤ {UNCHANGED_TARGET:g} s"],
        rows,
        ["cold: an empty migrated database; unchanged: the same folder again; one edited: "
         "a line added to one module"],
    )


if __name__ == "__main__":
    main()
