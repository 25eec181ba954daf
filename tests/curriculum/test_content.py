"""Reading and checking the course folder: what is listed, and each problem with its file line."""

import hashlib
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from academy.curriculum.content import (
    TRACKS,
    Problem,
    QuizQuestion,
    module_link_target,
    read_catalogue,
)

VALID = Path(__file__).parent / "fixtures" / "valid"
REAL_COURSES = Path(__file__).parents[2] / "courses"

# A module to add to a copy of the valid folder. Its lines, for the assertions below:
#  1 ---            5 summary         9 pass_mark       13 answer
#  2 title          6 objectives     10 questions       14 explain
#  3 track          7 prerequisites  11 - prompt        15 ---
#  4 hours          8 quiz           12 choices         16 body ...
MODULE = """\
---
title: Handling objections
track: host
hours: 4
summary: Answer price and MOQ objections without losing the buyer.
objectives: [Answer a price objection with a lower-MOQ offer]
prerequisites: [host-basics]
quiz:
  pass_mark: 80
  questions:
    - prompt: A buyer says the MOQ of 500 is too high. What should the host offer?
      choices: [A mixed-colour order of 500, A lower price, Nothing]
      answer: 0
      explain: A mixed order meets the MOQ while easing the buyer's stock risk.
---
Read [Going live](../host/02-going-live.md) first.

Then practise with a deputy.
"""

RUBRIC = """\
---
title: Short rubric
criteria:
  - key: delivery
    title: Delivery
    weight: 60
    levels: [Unclear, Understandable, Clear, Natural]
  - key: compliance
    title: Compliance
    weight: 40
    gate: true
    levels: [Prohibited claim, Borderline, Compliant, Compliant and explicit]
---
"""


@pytest.fixture
def courses(tmp_path: Path) -> Path:
    """A writable copy of the valid folder, for tests that break one thing in it."""
    return Path(shutil.copytree(VALID, tmp_path / "courses"))


def write(course_dir: Path, name: str, text: str) -> Path:
    path = course_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_in(course_dir: Path) -> list[tuple[str, int, str]]:
    return [(problem.path.relative_to(course_dir).as_posix(), problem.line, problem.message)
            for problem in read_catalogue(course_dir).problems]


# --- The valid folder ----------------------------------------------------------------------


def test_valid_folder_is_ok_and_lists_modules_in_track_then_number_order() -> None:
    catalogue = read_catalogue(VALID)

    assert catalogue.problems == []
    assert catalogue.ok
    assert [(module.track, module.position, module.slug) for module in catalogue.modules] == [
        ("host", 1, "host-basics"),
        ("host", 2, "going-live"),
        ("operator", 1, "stream-setup"),
        ("operator", 2, "reading-numbers"),
    ]
    assert [rubric.slug for rubric in catalogue.rubrics] == ["practice-stream"]


def test_module_fields_come_from_name_front_matter_and_body() -> None:
    going_live = read_catalogue(VALID).modules[1]

    assert going_live.path == VALID / "host" / "02-going-live.md"
    assert going_live.front.title == "Going live"
    assert going_live.front.hours == 8
    assert going_live.front.prerequisites == ["host-basics", "stream-setup"]
    assert going_live.front.sources == []
    assert going_live.front.quiz.pass_mark == 70
    assert going_live.body.startswith("Start from [Host basics](01-host-basics.md)")
    assert going_live.body_line == 17
    assert going_live.path.read_text(encoding="utf-8").split("\n")[16] == \
        going_live.body.split("\n")[0]


def test_content_hash_is_the_sha256_of_the_file_bytes() -> None:
    catalogue = read_catalogue(VALID)
    files = [*catalogue.modules, *catalogue.rubrics,
             *(t for module in catalogue.modules for t in module.translations.values())]

    for file in files:
        assert file.content_hash == hashlib.sha256(file.path.read_bytes()).hexdigest()


def test_a_translation_is_attached_to_its_original_by_locale() -> None:
    modules = {module.slug: module for module in read_catalogue(VALID).modules}

    translation = modules["going-live"].translations["zh"]
    assert translation.locale == "zh"
    assert translation.path == VALID / "host" / "02-going-live.zh.md"
    assert translation.front.title == "开始直播"
    assert translation.body.startswith("先学习")
    assert modules["host-basics"].translations == {}


def test_sources_without_url_are_allowed_for_publications_without_one() -> None:
    host_basics = read_catalogue(VALID).modules[0]

    assert [source.url for source in host_basics.front.sources] == [
        None,
        "https://www.ftc.gov/legal-library/browse/rules/guides-concerning-use-endorsements"
        "-testimonials-advertising",
    ]
    assert host_basics.front.sources[0].note == "Conference paper; no stable URL"


def test_rubric_fields() -> None:
    rubric = read_catalogue(VALID).rubrics[0]

    assert rubric.path == VALID / "rubrics" / "practice-stream.md"
    assert rubric.front.summary == "Two criteria for a short practice stream."
    assert [(c.key, c.weight, c.gate) for c in rubric.front.criteria] == [
        ("product_explanation", 80, False), ("compliance", 20, True),
    ]
    assert rubric.body == "Score compliance first.\n"


def test_select_all_answers_are_a_set_of_right_choices() -> None:
    select_all = read_catalogue(VALID).modules[0].front.quiz.questions[1]
    single = read_catalogue(VALID).modules[0].front.quiz.questions[0]

    assert select_all.select_all
    assert select_all.correct == frozenset({0, 1})
    assert not single.select_all
    assert single.correct == frozenset({0})


def test_a_list_of_one_answer_is_still_select_all() -> None:
    question = QuizQuestion(prompt="Which are Incoterms?", choices=["FOB", "MOQ"], answer=[0],
                            explain="MOQ is a quantity.")

    assert question.select_all
    assert question.correct == frozenset({0})


def test_problem_prints_as_path_line_message() -> None:
    problem = Problem(Path("courses/host/01-x.md"), 7, "unknown key 'titel'")

    assert str(problem) == "courses/host/01-x.md:7: unknown key 'titel'"


# --- Front matter --------------------------------------------------------------------------


def test_invalid_yaml_is_reported_on_its_file_line_without_raising(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("summary: Answer price", "summary: Note: answer price"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 5, "invalid YAML: mapping values are not allowed here"),
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("title: No fence\n---\nBody\n",
     "the file must start with a '---' line that opens the YAML front matter"),
    ("", "the file must start with a '---' line that opens the YAML front matter"),
    ("---\ntitle: Never closed\n", "the front matter has no closing '---' line"),
    ("---\n- a list\n- not keys\n---\n", "the front matter must be YAML keys with values"),
    ("---\n---\nEmpty front matter\n", "the front matter must be YAML keys with values"),
])
def test_front_matter_must_be_fenced_keys(courses: Path, text: str, message: str) -> None:
    write(courses, "host/03-handling-objections.md", text)

    assert problems_in(courses) == [("host/03-handling-objections.md", 1, message)]


def test_a_control_character_in_yaml_is_reported_on_its_line(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("pass_mark: 80", "pass_mark: 80\x08"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 9,
         "invalid YAML: special characters are not allowed (U+0008)"),
    ]


def test_a_byte_order_mark_does_not_hide_the_opening_fence(courses: Path) -> None:
    (courses / "host" / "03-handling-objections.md").write_bytes(b"\xef\xbb\xbf" + MODULE.encode())

    assert problems_in(courses) == []


def test_a_file_that_is_not_utf8_is_reported(courses: Path) -> None:
    (courses / "host" / "03-handling-objections.md").write_bytes(MODULE.encode("utf-16"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 1, "the file is not UTF-8 text"),
    ]


def test_unknown_key_is_reported_on_its_line(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("title:", "titel:").replace("      explain:", "      explanation:"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 2, "title: Field required"),
        ("host/03-handling-objections.md", 2, "unknown key 'titel'"),
        ("host/03-handling-objections.md", 11, "quiz.questions.0.explain: Field required"),
        ("host/03-handling-objections.md", 14,
         "quiz.questions.0: unknown key 'explanation'"),
    ]


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("hours: 4", "hours: 0", 4, "hours: Input should be greater than 0"),
    ("hours: 4", "hours: yes", 4, "hours: Input should be a valid number"),
    ("track: host", "track: director", 3, "track: must be one of host, operator, planner"),
    ("title: Handling objections", "title: 2024", 2,
     "title: Input should be a valid string (YAML read it as a number or date: put it in quotes)"),
    ("objectives: [Answer a price objection with a lower-MOQ offer]", "objectives: []", 6,
     "objectives: List should have at least 1 item after validation, not 0"),
    ("  pass_mark: 80", "  pass_mark: 101", 9,
     "quiz.pass_mark: Input should be less than or equal to 100"),
    ("choices: [A mixed-colour order of 500, A lower price, Nothing]", "choices: [Only one]", 12,
     "quiz.questions.0.choices: List should have at least 2 items after validation, not 1"),
    ("A lower price, Nothing]", "'', Nothing]", 12,
     "quiz.questions.0.choices: choice 2 must be 1 to 500 characters long"),
    ("      explain: A mixed order meets the MOQ while easing the buyer's stock risk.\n", "",
     11, "quiz.questions.0.explain: Field required"),
])
def test_schema_problems_name_the_key_and_its_line(courses: Path, old: str, new: str, line: int,
                                                     message: str) -> None:
    assert old in MODULE
    write(courses, "host/03-handling-objections.md", MODULE.replace(old, new))

    assert problems_in(courses) == [("host/03-handling-objections.md", line, message)]


def test_a_missing_top_level_key_is_reported_on_the_first_line_of_front_matter(
        courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("summary: Answer price and MOQ objections without losing the buyer.\n",
                         ""))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 2, "summary: Field required"),
    ]


def test_a_source_url_must_be_a_web_address(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE.replace(
        "quiz:\n",
        "sources:\n  - title: Advertising Law\n    url: www.npc.gov.cn\nquiz:\n",
    ))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 10,
         "sources.0.url: must start with http:// or https://"),
    ]


@pytest.mark.parametrize(("answer", "message"), [
    ("3", "choice index 3 is out of range: there are 3 choices, numbered 0 to 2"),
    ("[0, 5]", "choice index 5 is out of range: there are 3 choices, numbered 0 to 2"),
    ("-1", "choice index -1 is out of range: there are 3 choices, numbered 0 to 2"),
    ("[]", "must list at least one choice index"),
    ("[1, 1]", "lists the same choice index twice"),
    ("B", "must be a choice index (0 is the first choice) or a list of them"),
    ("true", "must be a choice index (0 is the first choice) or a list of them"),
])
def test_quiz_answers_must_name_existing_choices(courses: Path, answer: str,
                                                 message: str) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("answer: 0", f"answer: {answer}"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 13, f"quiz.questions.0.answer: {message}"),
    ]


def test_a_select_all_answer_in_range_is_accepted(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE.replace("answer: 0", "answer: [2, 0]"))

    catalogue = read_catalogue(courses)
    question = catalogue.modules[2].front.quiz.questions[0]
    assert catalogue.problems == []
    assert question.answer == [2, 0]
    assert question.correct == frozenset({0, 2})


def test_a_broken_file_is_left_out_and_the_rest_are_listed(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE.replace("hours: 4", "hours: -1"))

    catalogue = read_catalogue(courses)
    assert not catalogue.ok
    assert [module.slug for module in catalogue.modules] == [
        "host-basics", "going-live", "stream-setup", "reading-numbers",
    ]


def test_problems_are_sorted_by_path_then_line(courses: Path) -> None:
    write(courses, "operator/03-late.md", "no front matter\n")
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("hours: 4", "hours: 0").replace("answer: 0", "answer: 9"))

    assert [(path, line) for path, line, _ in problems_in(courses)] == [
        ("host/03-handling-objections.md", 4),
        ("host/03-handling-objections.md", 13),
        ("operator/03-late.md", 1),
    ]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(front=st.text(), body=st.text())
def test_any_text_gives_problems_never_an_exception(tmp_path: Path, front: str,
                                                    body: str) -> None:
    write(tmp_path, "host/01-anything.md", f"---\n{front}\n---\n{body}")

    catalogue = read_catalogue(tmp_path)

    assert catalogue.modules or catalogue.problems
    assert all(problem.line >= 1 for problem in catalogue.problems)


# --- Layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "3-handling-objections.md",
    "0003-handling-objections.md",
    "03_handling-objections.md",
    "03-Handling-Objections.md",
    "03-handling--objections.md",
    "handling-objections.md",
])
def test_module_file_names_must_be_number_dash_slug(courses: Path, name: str) -> None:
    write(courses, f"host/{name}", MODULE)

    assert problems_in(courses) == [
        (f"host/{name}", 1, "bad file name: expected NN-slug.md or NN-slug.<locale>.md (NN: "
                            "two or three digits), where slug is lower-case words joined by '-'"),
    ]


def test_three_digit_module_numbers_sort_by_their_value(courses: Path) -> None:
    write(courses, "host/100-handling-objections.md", MODULE)
    write(courses, "host/99-closing-the-deal.md",
          MODULE.replace("Handling objections", "Closing the deal"))

    catalogue = read_catalogue(courses)

    assert catalogue.ok, catalogue.problems
    assert [(module.slug, module.position) for module in catalogue.modules
            if module.track == "host"][-2:] == [("closing-the-deal", 99),
                                                 ("handling-objections", 100)]


def test_a_rubric_file_name_must_be_a_slug(courses: Path) -> None:
    write(courses, "rubrics/Short_Rubric.md", RUBRIC)

    assert problems_in(courses) == [
        ("rubrics/Short_Rubric.md", 1, "bad file name: expected slug.md or slug.<locale>.md, "
                                       "where slug is lower-case words joined by '-'"),
    ]


def test_an_unknown_locale_is_reported(courses: Path) -> None:
    write(courses, "host/02-going-live.fr.md", MODULE)

    assert problems_in(courses) == [
        ("host/02-going-live.fr.md", 1, "unknown locale 'fr': known locales are zh"),
    ]


def test_folders_other_than_tracks_and_rubrics_are_reported(courses: Path) -> None:
    write(courses, "drafts/01-idea.md", MODULE)
    write(courses, "host/old/01-idea.md", MODULE)

    assert problems_in(courses) == [
        ("drafts", 1, "unexpected folder: course folders are host, operator, planner and rubrics"),
        ("host/old", 1, "unexpected folder: files sit directly in host/"),
    ]


def test_notes_beside_the_folders_and_hidden_or_non_markdown_files_are_ignored(
        courses: Path) -> None:
    write(courses, "COVERAGE.md", "# Coverage\n")
    write(courses, "host/.01-draft.md", "not content")
    write(courses, "host/notes.txt", "not content")
    write(courses, ".cache/x.md", "not content")

    assert problems_in(courses) == []


def test_a_missing_course_folder_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    catalogue = read_catalogue(tmp_path / "nowhere")

    assert [str(problem) for problem in catalogue.problems] == [
        f"{tmp_path / 'nowhere'}:1: the course folder does not exist",
    ]


def test_track_in_front_matter_must_match_the_folder(courses: Path) -> None:
    write(courses, "operator/03-handling-objections.md", MODULE)

    assert problems_in(courses) == [
        ("operator/03-handling-objections.md", 3,
         "track 'host' does not match the folder 'operator'"),
    ]


def test_a_slug_used_in_two_tracks_is_reported_on_the_second_file(courses: Path) -> None:
    write(courses, "operator/03-going-live.md",
          MODULE.replace("track: host", "track: operator"))

    assert problems_in(courses) == [
        ("operator/03-going-live.md", 1,
         "module slug 'going-live' is already used by host/02-going-live.md"),
    ]


def test_a_number_used_twice_in_a_track_is_reported(courses: Path) -> None:
    write(courses, "host/02-handling-objections.md", MODULE)

    assert problems_in(courses) == [
        ("host/02-handling-objections.md", 1, "number 02 is already used by host/02-going-live.md"),
    ]


# --- Prerequisites -------------------------------------------------------------------------


def test_a_prerequisite_must_be_a_module(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE.replace(
        "prerequisites: [host-basics]", "prerequisites:\n  - host-basics\n  - host-compliance"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 9, "prerequisite 'host-compliance' is not a module"),
    ]


def test_a_prerequisite_cycle_is_reported_once_for_each_module_on_it(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("prerequisites: [host-basics]", "prerequisites: [closing-the-deal]"))
    write(courses, "host/04-closing-the-deal.md", MODULE
          .replace("title: Handling objections", "title: Closing the deal")
          .replace("prerequisites: [host-basics]", "prerequisites: [going-live, the-follow-up]"))
    write(courses, "host/05-the-follow-up.md", MODULE
          .replace("title: Handling objections", "title: The follow-up")
          .replace("prerequisites: [host-basics]", "prerequisites: [handling-objections]"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 7, "prerequisites form a cycle: handling-objections "
                                              "-> closing-the-deal -> the-follow-up "
                                              "-> handling-objections"),
        ("host/04-closing-the-deal.md", 7, "prerequisites form a cycle: closing-the-deal "
                                           "-> the-follow-up -> handling-objections "
                                           "-> closing-the-deal"),
        ("host/05-the-follow-up.md", 7, "prerequisites form a cycle: the-follow-up "
                                        "-> handling-objections -> closing-the-deal "
                                        "-> the-follow-up"),
    ]


def test_a_module_that_requires_itself_is_a_cycle(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("[host-basics]", "[host-basics, handling-objections]"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 7,
         "prerequisites form a cycle: handling-objections -> handling-objections"),
    ]


# --- Translations --------------------------------------------------------------------------


def test_a_translation_needs_its_original_beside_it(courses: Path) -> None:
    write(courses, "host/03-handling-objections.zh.md", MODULE)

    assert problems_in(courses) == [
        ("host/03-handling-objections.zh.md", 1,
         "translation without an original: host/03-handling-objections.md does not exist"),
    ]


def test_a_translation_is_checked_against_the_same_schema(courses: Path) -> None:
    translation = courses / "host" / "02-going-live.zh.md"
    translation.write_text(translation.read_text(encoding="utf-8").replace("title:", "titel:"),
                           encoding="utf-8")

    assert problems_in(courses) == [
        ("host/02-going-live.zh.md", 2, "title: Field required"),
        ("host/02-going-live.zh.md", 2, "unknown key 'titel'"),
    ]
    assert read_catalogue(courses).modules[1].translations == {}


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ('choices: ["0.2%", "2%", "20%"]', 'choices: ["0.2%", "2%", "20%", "200%"]', 13,
     "translation quiz differs from the original: question 1 has 4 choices, the original 3"),
    ("answer: 1", "answer: 2", 14,
     "translation quiz differs from the original: question 1 has answer 2, the original 1"),
    ("answer: 1", "answer: [1]", 14,
     "translation quiz differs from the original: question 1 has answer [1], the original 1"),
    ("      explain: 询盘率 = 询盘数 ÷ UV = 20 ÷ 1,000 = 2%。\n",
     "      explain: 询盘率 = 询盘数 ÷ UV = 20 ÷ 1,000 = 2%。\n"
     "    - prompt: 多出的问题\n      choices: [甲, 乙]\n      answer: 0\n      explain: 多余。\n",
     11, "translation quiz differs from the original: 2 questions, the original 1"),
    ("hours: 8", "hours: 6.5", 4,
     "translation hours differ from the original: 6.5, the original 8"),
    ("prerequisites: [host-basics, stream-setup]", "prerequisites: [host-basics]", 8,
     "translation prerequisites differ from the original: ['host-basics'], "
     "the original ['host-basics', 'stream-setup']"),
])
def test_a_translation_keeps_the_originals_hours_prerequisites_and_quiz(
        courses: Path, old: str, new: str, line: int, message: str) -> None:
    translation = courses / "host" / "02-going-live.zh.md"
    text = translation.read_text(encoding="utf-8")
    assert old in text
    translation.write_text(text.replace(old, new), encoding="utf-8")

    assert problems_in(courses) == [("host/02-going-live.zh.md", line, message)]


def test_a_translation_of_a_broken_original_is_checked_but_not_listed(courses: Path) -> None:
    original = courses / "host" / "02-going-live.md"
    original.write_text(original.read_text(encoding="utf-8").replace("hours: 8", "hours: none"),
                        encoding="utf-8")

    assert problems_in(courses) == [
        ("host/02-going-live.md", 4, "hours: Input should be a valid number"),
    ]
    assert "going-live" not in {module.slug for module in read_catalogue(courses).modules}


def test_a_translation_must_sit_in_the_track_of_its_original(courses: Path) -> None:
    translation = courses / "host" / "02-going-live.zh.md"
    translation.write_text(
        translation.read_text(encoding="utf-8").replace("track: host", "track: operator"),
        encoding="utf-8")

    assert problems_in(courses) == [
        ("host/02-going-live.zh.md", 3, "track 'operator' does not match the folder 'host'"),
    ]


def test_a_rubric_translation_keeps_the_originals_keys_weights_and_gate(courses: Path) -> None:
    original = (courses / "rubrics" / "practice-stream.md").read_text(encoding="utf-8")
    write(courses, "rubrics/practice-stream.zh.md", original.replace("title: Compliance",
                                                                      "title: 合规"))
    assert problems_in(courses) == []

    write(courses, "rubrics/practice-stream.zh.md", original
          .replace("weight: 80", "weight: 70").replace("weight: 20", "weight: 30"))

    assert problems_in(courses) == [
        ("rubrics/practice-stream.zh.md", 4, "translation criteria differ from the original: "
                                             "keys, weights and gates must match it, in the "
                                             "same order"),
    ]


# --- Links ---------------------------------------------------------------------------------


def test_a_link_to_a_missing_module_file_is_reported_on_its_body_line(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE.replace(
        "Then practise with a deputy.",
        "Then practise, see [the KPIs](../operator/05-data-and-diagnosis.md#the-kpi-formulas)\n"
        "and [the rules](https://www.ftc.gov/) and [a section](#practice-task).",
    ))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 18,
         "link '../operator/05-data-and-diagnosis.md#the-kpi-formulas' does not point to a "
         "module file"),
    ]


@pytest.mark.parametrize("target", [
    "03-going-live.md",                   # right slug, wrong number: the file does not exist
    "02-going-live.zh.md",                # a translation, not a module file
    "../rubrics/practice-stream.md",      # a rubric
    "../README.md",                       # a note beside the folders
])
def test_links_must_name_an_existing_module_file(courses: Path, target: str) -> None:
    write(courses, "host/03-handling-objections.md",
          MODULE.replace("[Going live](../host/02-going-live.md)", f"[x]({target})"))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 16, f"link {target!r} does not point to a module file"),
    ]


def test_links_in_fenced_code_and_code_spans_are_not_checked(courses: Path) -> None:
    write(courses, "host/03-handling-objections.md", MODULE + (
        "\n~~~~markdown\n[old](01-gone.md)\n```\n[still code](02-gone.md)\n~~~~\n"
        "Write `[text](03-gone.md)` to link a module.\n"
        "    ```\n    [indented fence](04-gone.md)\n    ```\n"
        "After the code, [a real link](05-gone.md).\n"
    ))

    assert problems_in(courses) == [
        ("host/03-handling-objections.md", 29, "link '05-gone.md' does not point to a module file"),
    ]


def test_links_in_rubrics_are_checked(courses: Path) -> None:
    write(courses, "rubrics/short.md", RUBRIC + "Practise first: [live](../host/02-live.md).\n")

    assert problems_in(courses) == [
        ("rubrics/short.md", 14, "link '../host/02-live.md' does not point to a module file"),
    ]


def test_links_in_translations_are_checked(courses: Path) -> None:
    translation = courses / "host" / "02-going-live.zh.md"
    translation.write_text(translation.read_text(encoding="utf-8") + "\n[旧链接](09-gone.md)\n",
                           encoding="utf-8")

    assert problems_in(courses) == [
        ("host/02-going-live.zh.md", 19, "link '09-gone.md' does not point to a module file"),
    ]


@pytest.mark.parametrize(("href", "target"), [
    ("../operator/05-data-and-diagnosis.md#the-kpi-formulas",
     ("data-and-diagnosis", "the-kpi-formulas")),
    ("../operator/05-data-and-diagnosis.md", ("data-and-diagnosis", "")),
    ("02-b2b-product-knowledge.md", ("b2b-product-knowledge", "")),
    ("./02-b2b-product-knowledge.md#table-1", ("b2b-product-knowledge", "table-1")),
    ("../host/../planner/01-market-and-buyer-research.md", ("market-and-buyer-research", "")),
    ("https://example.com/01-host-compliance.md", None),
    ("//example.com/host/01-host-compliance.md", None),
    ("mailto:academy@example.test", None),
    ("#the-law-a-live-host-works-under", None),
    ("/host/01-host-compliance.md", None),
    ("../operator/notes.txt", None),
    ("../rubrics/practice-stream.md", None),
    ("../README.md", None),
    ("../../README.md", None),
    ("02-b2b-product-knowledge.zh.md", None),
])
def test_module_link_target(href: str, target: tuple[str, str] | None) -> None:
    course_dir = Path("courses")

    assert module_link_target(href, course_dir / "host" / "01-host-compliance.md",
                              course_dir) == target


def test_module_link_target_does_not_check_that_the_file_exists(tmp_path: Path) -> None:
    assert module_link_target("../planner/09-not-written-yet.md", tmp_path / "host" / "01-x.md",
                              tmp_path) == ("not-written-yet", "")


# --- Rubrics -------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "message"), [
    ("weight: 40", "weight: 30", "criteria: weights must add up to 100, not 90"),
    ("key: delivery\n    title: Delivery\n    weight: 60\n",
     "key: delivery\n    title: Delivery\n    weight: 60\n    gate: true\n",
     "criteria: at most one criterion may be a gate, not 2: delivery, compliance"),
    ("key: delivery", "key: compliance",
     "criteria: keys must be unique: compliance repeated"),
])
def test_rubric_criteria_score_out_of_100_with_at_most_one_gate(
        courses: Path, old: str, new: str, message: str) -> None:
    assert old in RUBRIC
    write(courses, "rubrics/short.md", RUBRIC.replace(old, new))

    assert problems_in(courses) == [("rubrics/short.md", 3, message)]


def test_a_rubric_needs_no_gate(courses: Path) -> None:
    write(courses, "rubrics/short.md", RUBRIC.replace("    gate: true\n", ""))

    assert problems_in(courses) == []


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("levels: [Unclear, Understandable, Clear, Natural]", "levels: [Unclear, Clear, Natural]", 7,
     "criteria.0.levels: List should have at least 4 items after validation, not 3"),
    ("key: delivery", "key: Delivery-Score", 4,
     "criteria.0.key: String should match pattern '^[a-z][a-z0-9_]*$'"),
    ("weight: 60", "weight: 0", 6, "criteria.0.weight: Input should be greater than 0"),
    ("title: Short rubric", "title: Short rubric\nversion: 2", 3, "unknown key 'version'"),
])
def test_rubric_schema_problems(courses: Path, old: str, new: str, line: int,
                                message: str) -> None:
    write(courses, "rubrics/short.md", RUBRIC.replace(old, new))

    assert problems_in(courses) == [("rubrics/short.md", line, message)]


# --- The real course folder ----------------------------------------------------------------


def test_the_real_course_folder_has_no_problems() -> None:
    catalogue = read_catalogue(REAL_COURSES)

    assert [str(problem) for problem in catalogue.problems] == []
    assert {module.track for module in catalogue.modules} <= set(TRACKS)
