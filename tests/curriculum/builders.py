"""Write small course folders for tests, in the format of shared/DESIGN.md §4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

QUIZ = {
    "pass_mark": 50,
    "questions": [
        {"prompt": "Which Incoterm leaves main freight to the buyer?",
         "choices": ["FOB", "CIF", "DDP"], "answer": 0,
         "explain": "Under FOB the buyer books the main carriage."},
        {"prompt": "Select all that are B2B terms.",
         "choices": ["MOQ", "Lead time", "Flash giveaway", "OEM"], "answer": [0, 1, 3],
         "explain": "A giveaway is a B2C tactic."},
    ],
}


def write_module(course_dir: Path, track: str, number: int, slug: str, body: str = "",
                 **front: Any) -> Path:
    """Write courses/<track>/<NN>-<slug>.md with valid defaults for every key not given."""
    matter = {
        "title": slug.replace("-", " ").title(),
        "track": track,
        "hours": 4,
        "summary": f"What {slug} teaches.",
        "objectives": ["Explain the topic to a buyer"],
        "prerequisites": [],
        "sources": [{"title": "Source", "url": "https://example.com/source"}],
        "quiz": QUIZ,
        **front,
    }
    path = course_dir / track / f"{number:02d}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "---\n" + yaml.safe_dump(matter, allow_unicode=True, sort_keys=False) + "---\n"
    path.write_text(text + (body or f"## About {slug}\n\nThe body of {slug}.\n"), encoding="utf-8")
    return path


def write_rubric(course_dir: Path, slug: str = "practice-stream") -> Path:
    criteria = [
        {"key": "product", "title": "Product explanation", "weight": 60, "gate": False,
         "levels": ["Wrong specs", "Core specs", "Specs and benefits", "Vivid demo"]},
        {"key": "compliance", "title": "Compliance", "weight": 40, "gate": True,
         "levels": ["Banned claim", "Borderline", "Compliant", "Discloses limits"]},
    ]
    path = course_dir / "rubrics" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    matter = {"title": "Practice stream rubric", "summary": "Scores a stream.",
              "criteria": criteria}
    path.write_text("---\n" + yaml.safe_dump(matter, sort_keys=False) + "---\nHow to score.\n",
                    encoding="utf-8")
    return path


def write_catalogue(course_dir: Path, per_track: int = 2) -> list[str]:
    """A valid folder: ``per_track`` chained modules in each track plus a rubric; the slugs."""
    slugs = []
    for track in ("host", "operator", "planner"):
        previous: list[str] = []
        for number in range(1, per_track + 1):
            slug = f"{track}-topic-{number}"
            write_module(course_dir, track, number, slug, prerequisites=previous)
            previous = [slug]
            slugs.append(slug)
    write_rubric(course_dir)
    return slugs


def write_translation(course_dir: Path, track: str, number: int, slug: str,
                      body: str = "", **front: Any) -> Path:
    """Write <NN>-<slug>.zh.md beside the module: the same quiz answers, Chinese text."""
    quiz = {"pass_mark": QUIZ["pass_mark"], "questions": [
        {**question, "prompt": f"问题：{question['prompt']}",
         "choices": [f"选项{index}" for index, _choice in enumerate(question["choices"])],
         "explain": "解释。"}
        for question in QUIZ["questions"]]}
    matter = {"title": f"{slug}（中文）", "track": track, "hours": 4,
              "summary": "中文简介。", "objectives": ["向买家讲解主题"], "prerequisites": [],
              "sources": [{"title": "来源", "url": "https://example.com/source"}],
              "quiz": quiz, **front}
    path = course_dir / track / f"{number:02d}-{slug}.zh.md"
    text = "---\n" + yaml.safe_dump(matter, allow_unicode=True, sort_keys=False) + "---\n"
    path.write_text(text + (body or f"## 关于{slug}\n\n中文正文。\n"), encoding="utf-8")
    return path
