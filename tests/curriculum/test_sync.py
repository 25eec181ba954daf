"""`courses sync`: load, skip unchanged, retire, refuse broken folders, neutralise HTML."""

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from academy.curriculum import sync
from academy.curriculum.models import Module, ModuleProgress, Rubric
from academy.curriculum.sync import CourseProblems, sync_courses
from tests.curriculum.builders import write_catalogue, write_module, write_translation
from tests.helpers import active_content

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["one process", "worker processes"])
def rendering(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test both ways a sync renders: here, or in workers started before the check."""
    if request.param == "worker processes":  # what a large sync does
        monkeypatch.setattr(sync, "PARALLEL_RENDERING_FROM", 1)
        monkeypatch.setattr(sync.os, "cpu_count", lambda: 2)
    return str(request.param)


def _modules(session: Session) -> dict[str, Module]:
    session.expire_all()
    return {module.slug: module for module in session.exec(select(Module))}


def test_first_sync_adds_every_module_and_the_rubric(session: Session, tmp_path: Path) -> None:
    slugs = write_catalogue(tmp_path, per_track=2)
    report = sync_courses(session, tmp_path, now=NOW)
    assert sorted(report.added) == sorted([*slugs, "rubric:practice-stream"])
    modules = _modules(session)
    assert set(modules) == set(slugs)
    second = modules["host-topic-2"]
    assert (second.track, second.position, second.prerequisites) == ("host", 2, ["host-topic-1"])
    assert "<h2" in second.body_html and second.body_text.startswith("About host-topic-2")
    assert second.quiz["questions"][1]["answer"] == [0, 1, 3]
    rubric = session.exec(select(Rubric)).one()
    assert [c["key"] for c in rubric.criteria] == ["product", "compliance"]


def test_resync_of_unchanged_files_writes_nothing(session: Session, tmp_path: Path,
                                                  count_queries) -> None:
    write_catalogue(tmp_path, per_track=3)
    sync_courses(session, tmp_path, now=NOW)
    with count_queries() as counted:
        report = sync_courses(session, tmp_path, now=NOW + dt.timedelta(hours=1))
    assert not report.changed and len(report.unchanged) == 10
    writes = [s for s in counted.statements if s.lstrip().upper().startswith(
        ("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_resync_of_an_unchanged_folder_parses_nothing(session: Session, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    slugs = write_catalogue(tmp_path, per_track=2)
    sync_courses(session, tmp_path, now=NOW)

    def must_not_parse(_course_dir: Path) -> None:
        raise AssertionError("an unchanged folder was parsed")

    monkeypatch.setattr(sync, "read_catalogue", must_not_parse)
    seen: list[str] = []
    report = sync_courses(session, tmp_path, now=NOW,
                          on_progress=lambda _done, _total, path: seen.append(path))
    assert report.unchanged == [*slugs, "rubric:practice-stream"] and not report.changed
    assert len(seen) == len(slugs) + 1
    write_module(tmp_path, "host", 1, "host-topic-1", title="Compliance, revised")
    with pytest.raises(AssertionError, match="was parsed"):
        sync_courses(session, tmp_path, now=NOW)


def test_a_module_moved_to_another_number_is_moved(session: Session, tmp_path: Path) -> None:
    write_catalogue(tmp_path, per_track=2)
    sync_courses(session, tmp_path, now=NOW)
    old = tmp_path / "host" / "02-host-topic-2.md"
    old.rename(tmp_path / "host" / "120-host-topic-2.md")
    report = sync_courses(session, tmp_path, now=NOW)
    assert report.updated == ["host-topic-2"]
    moved = _modules(session)["host-topic-2"]
    assert (moved.position, moved.source_path) == (120, "host/120-host-topic-2.md")
    again = sync_courses(session, tmp_path, now=NOW)
    assert not again.changed


def test_changed_file_is_updated_in_place(session: Session, tmp_path: Path,
                                          rendering: str) -> None:
    write_catalogue(tmp_path)
    sync_courses(session, tmp_path, now=NOW)
    before = _modules(session)["host-topic-1"]
    write_module(tmp_path, "host", 1, "host-topic-1", title="Compliance, revised")
    report = sync_courses(session, tmp_path, now=NOW)
    assert report.updated == ["host-topic-1"] and len(report.unchanged) == 6
    after = _modules(session)["host-topic-1"]
    assert after.id == before.id and after.title == "Compliance, revised"


def test_removed_module_with_progress_is_retired_not_deleted(session: Session, tmp_path: Path,
                                                             make_user, rendering: str) -> None:
    write_catalogue(tmp_path)
    sync_courses(session, tmp_path, now=NOW)
    module = _modules(session)["planner-topic-2"]
    student = make_user("student")
    session.add(ModuleProgress(user_id=student.id, module_id=module.id, started_at=NOW))
    session.commit()
    (tmp_path / "planner" / "02-planner-topic-2.md").unlink()
    report = sync_courses(session, tmp_path, now=NOW)
    assert report.retired == ["planner-topic-2"]
    assert _modules(session)["planner-topic-2"].retired
    write_catalogue(tmp_path)  # the file comes back
    assert sync_courses(session, tmp_path, now=NOW).updated == ["planner-topic-2"]
    assert not _modules(session)["planner-topic-2"].retired


def test_broken_folder_changes_nothing(session: Session, tmp_path: Path, rendering: str) -> None:
    write_catalogue(tmp_path)
    sync_courses(session, tmp_path, now=NOW)
    write_module(tmp_path, "host", 1, "host-topic-1", title="Changed")
    write_module(tmp_path, "host", 3, "host-topic-3", prerequisites=["no-such-module"])
    with pytest.raises(CourseProblems) as refused:
        sync_courses(session, tmp_path, now=NOW)
    assert any("no-such-module" in str(problem) for problem in refused.value.problems)
    modules = _modules(session)
    assert modules["host-topic-1"].title != "Changed" and "host-topic-3" not in modules


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt&#58;alert(1))",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "![x](x){: onerror=alert(1) }",
    '<iframe src="https://evil.example"></iframe>',
])
def test_html_in_a_module_body_is_neutralised(session: Session, tmp_path: Path,
                                              attack: str) -> None:
    write_module(tmp_path, "host", 1, "attack", body=f"## Attack\n\n{attack}\n")
    sync_courses(session, tmp_path, now=NOW)
    assert active_content(_modules(session)["attack"].body_html) == []


def test_links_between_module_files_become_module_pages(session: Session, tmp_path: Path,
                                                        rendering: str) -> None:
    write_module(tmp_path, "operator", 5, "data-and-diagnosis")
    write_module(tmp_path, "host", 1, "host-compliance", body=(
        "## Read on\n\nSee [the KPIs](../operator/05-data-and-diagnosis.md#the-kpi-formulas) "
        "and [TikTok](https://seller-us.tiktok.com/university).\n"))
    sync_courses(session, tmp_path, now=NOW)
    body = _modules(session)["host-compliance"].body_html
    assert 'href="/modules/data-and-diagnosis#the-kpi-formulas"' in body
    assert 'href="https://seller-us.tiktok.com/university"' in body


def test_translations_are_rendered_with_their_module(session: Session, tmp_path: Path,
                                                     rendering: str) -> None:
    write_catalogue(tmp_path)
    write_translation(tmp_path, "host", 2, "host-topic-2", body="## 开场\n\n欢迎各位买家。\n",
                      prerequisites=["host-topic-1"])
    sync_courses(session, tmp_path, now=NOW)
    module = _modules(session)["host-topic-2"]
    assert "欢迎各位买家" in module.text("zh").body_html
    assert "欢迎" not in module.body_html and "The body of host-topic-2" in module.body_html
    assert [heading["title"] for heading in module.text("zh").headings] == ["开场"]


def test_a_file_edited_while_workers_render_is_stored_as_checked(
        session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers start on the changed files before the catalogue is read; a file edited in
    between must be stored as the checker read it, never as the workers saw it."""
    monkeypatch.setattr(sync, "PARALLEL_RENDERING_FROM", 1)
    monkeypatch.setattr(sync.os, "cpu_count", lambda: 2)
    write_catalogue(tmp_path)
    edited = write_module(tmp_path, "host", 1, "host-topic-1", body="## Draft\n\nOld words.\n")
    rendered = tmp_path.parent / f"{tmp_path.name}-rendered"
    render_texts = sync._render_texts

    def render_then_tell(course_dir: Path, texts):  # type: ignore[no-untyped-def]
        result = render_texts(course_dir, texts)
        if any(text.path == edited for text in texts):
            rendered.touch()
        return result

    read_catalogue = sync.read_catalogue

    def edit_then_read(course_dir: Path):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 30
        while not rendered.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rendered.exists(), "the workers never rendered the file"
        write_module(tmp_path, "host", 1, "host-topic-1", body="## Final\n\nNew words.\n")
        return read_catalogue(course_dir)

    monkeypatch.setattr(sync, "_render_texts", render_then_tell)  # forked workers inherit it
    monkeypatch.setattr(sync, "read_catalogue", edit_then_read)
    sync_courses(session, tmp_path, now=NOW)
    module = _modules(session)["host-topic-1"]
    assert "New words." in module.body_html and "Old words." not in module.body_html
    assert "New words." in module.body_text and "Old words." not in module.body_text
    assert sync_courses(session, tmp_path, now=NOW).changed is False


def test_long_module_gets_heading_anchors_and_contents(session: Session, tmp_path: Path) -> None:
    body = "\n\n".join(f"## Part {n}\n\nText {n}.\n\n### Detail {n}\n\nMore." for n in range(4))
    write_module(tmp_path, "host", 1, "long", body=body)
    sync_courses(session, tmp_path, now=NOW)
    module = _modules(session)["long"]
    assert [h["anchor"] for h in module.headings][:2] == ["part-0", "detail-0"]
    assert 'id="part-0"' in module.body_html and 'class="headerlink"' in module.body_html


def test_thirty_module_folder_syncs(session: Session, tmp_path: Path) -> None:
    slugs = write_catalogue(tmp_path, per_track=10)
    assert len(sync_courses(session, tmp_path, now=NOW).added) == 31
    assert len(_modules(session)) == len(slugs) == 30


def test_loaded_modules_show_the_sync_and_other_objects_stay_loaded(
        session: Session, tmp_path: Path, make_user, rendering: str) -> None:
    """Rows are written by bulk statements: the modules a caller holds must show them, while
    the caller's other objects stay as loaded (reloading them would open a transaction)."""
    write_catalogue(tmp_path)
    sync_courses(session, tmp_path, now=NOW)
    student = make_user("student")
    held = session.exec(select(Module).where(Module.slug == "host-topic-1")).one()
    kept = session.exec(select(Module).where(Module.slug == "host-topic-2")).one()
    write_module(tmp_path, "host", 1, "host-topic-1", title="Compliance, revised")
    (tmp_path / "planner" / "02-planner-topic-2.md").unlink()
    sync_courses(session, tmp_path, now=NOW)
    assert not sa.inspect(student).expired_attributes
    assert not sa.inspect(kept).expired_attributes
    assert held.title == "Compliance, revised"
    assert session.exec(select(Module).where(Module.slug == "planner-topic-2")).one().retired
