"""The shipped curriculum: its shape, its quizzes and sources, and its coverage of the sources."""

import re
from pathlib import Path

import pytest

from academy.curriculum.content import ModuleFile, read_catalogue

COURSES = Path(__file__).resolve().parents[1] / "courses"
CATALOGUE = read_catalogue(COURSES)
MODULES = {module.slug: module for module in CATALOGUE.modules}
REQUIRED_TOPICS = {
    "b2b-vs-b2c", "foreign-hosts", "production-site", "interview-format", "short-video",
    "multi-camera", "platform-choice", "joint-vs-dedicated", "in-house-team", "time-zones",
    "after-sales", "streaming-hubs", "local-life", "going-overseas", "kpi-formulas",
    "compliance-law", "banned-claims",
}


def _coverage() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (COURSES / "COVERAGE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0] not in {"key", "---"}:
            rows[cells[0]] = (cells[2], cells[3])
    return rows


def _section(module: ModuleFile, heading: str) -> str:
    after = module.body.split(f"\n## {heading}\n", 1)[1]
    return after.split("\n## ", 1)[0]


def test_the_course_folder_passes_the_checker() -> None:
    assert [str(problem) for problem in CATALOGUE.problems] == []


def test_twenty_modules_seven_seven_six() -> None:
    per_track = {track: sum(m.track == track for m in CATALOGUE.modules)
                 for track in ("host", "operator", "planner")}
    assert per_track == {"host": 7, "operator": 7, "planner": 6}


def test_host_track_meets_the_level_5_training_floor_of_120_hours() -> None:
    assert sum(m.front.hours for m in CATALOGUE.modules if m.track == "host") == 120


@pytest.mark.parametrize("slug", sorted(MODULES))
def test_each_module_has_the_parts_a_lesson_needs(slug: str) -> None:
    module = MODULES[slug]
    words = len(re.findall(r"\w+", module.body))
    assert 900 <= words <= 2600, words
    assert 3 <= len(module.front.objectives) <= 6
    assert 6 <= len(module.front.quiz.questions) <= 10
    assert any(question.select_all for question in module.front.quiz.questions)
    assert all(question.explain for question in module.front.quiz.questions)
    assert sum(bool(source.url) for source in module.front.sources) >= 2
    assert "\n## Practice task\n" in module.body


@pytest.mark.parametrize("slug", sorted(MODULES))
def test_right_answers_are_not_always_in_the_same_place(slug: str) -> None:
    single = [q.answer for q in MODULES[slug].front.quiz.questions if not q.select_all]
    assert len(set(single)) > 1


def test_every_seed_topic_is_mapped_to_an_existing_section() -> None:
    coverage = _coverage()
    assert set(coverage) >= REQUIRED_TOPICS
    for key, (slug, heading) in coverage.items():
        assert slug in MODULES, f"{key}: no module {slug}"
        assert f"\n## {heading}\n" in MODULES[slug].body, f"{key}: no heading {heading!r}"


def test_the_b2b_table_has_all_nine_rows_of_the_paper() -> None:
    slug, heading = _coverage()["b2b-vs-b2c"]
    rows = re.findall(r"^\| ([1-9]) \|", _section(MODULES[slug], heading), flags=re.MULTILINE)
    assert rows == [str(n) for n in range(1, 10)]


def test_every_kpi_formula_is_taught() -> None:
    slug, heading = _coverage()["kpi-formulas"]
    section = _section(MODULES[slug], heading).lower()
    for kpi in ("interaction rate", "follower conversion", "product ctr", "conversion", "ctor",
                "gpm", "uv value", "aov", "inquiry rate", "cost per inquiry"):
        assert kpi in section, kpi


def test_the_rubric_has_seven_weighted_criteria_and_a_compliance_gate() -> None:
    [rubric] = CATALOGUE.rubrics
    criteria = {c.key: c for c in rubric.front.criteria}
    assert len(criteria) == 7 and sum(c.weight for c in criteria.values()) == 100
    assert [c.key for c in criteria.values() if c.gate] == ["compliance"]
    assert criteria["compliance"].weight == 10
