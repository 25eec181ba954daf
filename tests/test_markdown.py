"""The sanitiser: what course authors and users may write, and what never reaches a page."""

import html
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from academy.markdown import render_course_text, render_user_text
from tests.helpers import active_content

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    '<a href="javascript&colon;alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name="p"></form>',
    "[x](data:text/html,<script>alert(1)</script>)",
]


@pytest.mark.parametrize("attack", XSS)
def test_user_text_never_carries_active_content(attack: str) -> None:
    rendered = render_user_text(f"Nice stream!\n\n{attack}")
    assert active_content(rendered) == []
    assert "<input" not in rendered


def test_user_links_are_nofollow_and_open_no_opener() -> None:
    rendered = render_user_text("[replay](https://live.example/replay/42)")
    assert 'href="https://live.example/replay/42"' in rendered
    assert 'rel="noopener noreferrer nofollow"' in rendered


def test_user_text_gets_no_headings_ids_or_classes() -> None:
    rendered = render_user_text("# Big\n\n## Smaller {: #x .y }")
    assert "<h1" not in rendered and "<h2" not in rendered and 'id="' not in rendered


def test_course_text_keeps_tabs_task_lists_and_details() -> None:
    source = (
        '=== "English"\n\n    Hello buyers\n\n=== "中文"\n\n    你好\n\n'
        "- [x] Light test\n- [ ] Sound test\n\n"
        '??? note "Answer"\n\n    Hidden until opened.\n'
    )
    rendered = render_course_text(source).html
    assert 'class="tabbed-set' in rendered and 'type="radio"' in rendered
    assert 'type="checkbox"' in rendered and "disabled" in rendered
    assert "<details" in rendered and "<summary>Answer</summary>" in rendered


def test_course_tables_and_admonitions_render() -> None:
    rendered = render_course_text(
        '| KPI | Formula |\n|---|---|\n| GPM | GMV × 1000 ÷ PV |\n\n'
        '!!! warning "Banned claim"\n    Never say 最佳.\n'
    ).html
    assert "<table>" in rendered and "<td>GMV × 1000 ÷ PV</td>" in rendered
    assert 'class="admonition warning"' in rendered


def test_the_active_content_finder_itself_finds_what_it_should() -> None:
    assert active_content('<p onclick="x">a</p><a href=" JavaScript:y">b</a><script></script>') \
        == ["p[onclick]", "a[href= JavaScript:y]", "<script>"]


def test_each_task_list_checkbox_is_labelled_by_its_item_text() -> None:
    """Screen readers name a task-list checkbox by its text, not just "checkbox, checked"."""
    rendered = render_course_text("- [x] Check the **licence**\n- [ ] Rehearse the close\n").html
    assert rendered.count('<label class="task-list-label">') == 2
    checked = '<input type="checkbox" disabled="" checked="">'
    assert f'<label class="task-list-label">{checked}' in rendered
    assert "Check the <strong>licence</strong></label>" in rendered
    assert "Rehearse the close</label>" in rendered


def test_one_text_leaves_nothing_behind_for_the_next() -> None:
    """Renderings share a Markdown instance per thread: footnotes, abbreviations, anchors,
    tabs and links of one module must not reach the next."""
    first = render_course_text(
        "## Terms\n\nThe MOQ is low.[^1]\n\n*[MOQ]: minimum order quantity\n\n"
        "[^1]: Ask the factory.\n\n=== \"A\"\n\n    a\n\n[next](02-next.md)\n",
        rewrite_link=lambda href: "/modules/next")
    assert "<abbr" in first.html and "footnote" in first.html
    assert 'href="/modules/next"' in first.html
    second = render_course_text("## Terms\n\nThe MOQ is low.\n\n[next](02-next.md)\n")
    assert "<abbr" not in second.html and "footnote" not in second.html
    assert 'id="terms"' in second.html, "the anchor is not numbered as a second 'terms'"
    assert 'href="02-next.md"' in second.html
    assert [heading.anchor for heading in second.headings] == ["terms"]
    assert render_course_text("## Terms\n").html == render_course_text("## Terms\n").html


def test_threads_render_course_text_side_by_side() -> None:
    sources = [f"## Part {n}\n\n" + "Buyers ask about lead time. " * 200 + f"[^{n}]\n\n"
               f"[^{n}]: Note {n}.\n" for n in range(8)]
    alone = [render_course_text(source).html for source in sources]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda source: render_course_text(source).html,
                                 sources * 4))
    assert together == alone * 4


def test_fence_options_keep_a_code_block_a_code_block() -> None:
    """``title=``, ``hl_lines=`` and ``linenums=`` are fence options authors copy from other
    sites; the block must still render as code, never as headings, lists or live links."""
    rendered = render_course_text(
        '```python title="run_sheet.py" hl_lines="1" linenums="1"\n'
        "# Step one\nprint(1)\n\n- not a list\n[gone](../host/09-missing.md)\n```\n").html
    assert "<pre" in rendered and "run_sheet.py" in rendered
    assert "<h1" not in rendered and "<li" not in rendered and "<a " not in rendered
    assert "[gone](../host/09-missing.md)" in html.unescape(re.sub(r"<[^>]+>", "", rendered))
