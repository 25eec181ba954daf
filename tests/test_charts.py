"""Server-side SVG charts: geometry, accessibility, escaping, empty data, ticks and numbers."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path
from xml.etree.ElementTree import Element, fromstring

import pytest
from flask import Flask, render_template_string
from flask_babel import Babel, lazy_gettext
from markupsafe import Markup

from academy.charts import (
    Chart,
    Series,
    bar_chart,
    format_number,
    funnel_chart,
    line_chart,
    nice_ticks,
    sparkline,
    stacked_bar_chart,
)

WEEKS = [f"Week {number}" for number in range(1, 13)]
HOURS = [1.0, 2.0, None, 7.5, 0.0, 3.0, 4.0, 5.0, 6.0, 7.0, 2.0, 1.0]


def parse(svg: Markup) -> Element:
    # Our own output, not untrusted input.
    return fromstring(str(svg))


def by_class(root: Element, *css_classes: str) -> list[Element]:
    """The elements carrying every one of ``css_classes``."""
    return [element for element in root.iter()
            if set(css_classes) <= set(element.get("class", "").split())]


def number(element: Element, attribute: str) -> float:
    return float(element.get(attribute, "nan"))


def tooltip(element: Element) -> str:
    title = element.find("title")
    assert title is not None and title.text is not None
    return title.text


def child_text(root: Element, tag: str) -> str:
    element = root.find(tag)
    assert element is not None and element.text is not None
    return element.text


def texts(root: Element) -> list[str]:
    return [element.text or "" for element in root.iter("text")]


def hours_bars(**overrides: object) -> Chart:
    arguments: dict = {"labels": WEEKS, "values": HOURS, "x_label": "Week", "y_label": "Hours"}
    return bar_chart("hours", "Hours per week", **{**arguments, **overrides})


def every_chart(label: str = "Week 1", name: str = "Host") -> list[Chart]:
    """One chart of each kind, all sharing ``label`` as their first label."""
    return [
        hours_bars(labels=[label, *WEEKS[1:]]),
        line_chart("line", "Hours", x_labels=[label, *WEEKS[1:]], series=[Series(name, HOURS)],
                   x_label="Week", y_label="Hours"),
        stacked_bar_chart("stack", "Streams", labels=[label, "Week 2"],
                          series=[Series(name, [1, 2]), Series("Operator", [3, None])],
                          x_label="Week", y_label="Streams"),
        funnel_chart("funnel", "Order class", stages=[(label, 40), ("Hired", 5)]),
    ]


# --- bars ------------------------------------------------------------------------------------

def test_bar_chart_draws_one_bar_per_present_value() -> None:
    bars = by_class(parse(hours_bars().svg), "chart-bar")
    assert len(bars) == len([value for value in HOURS if value is not None])
    assert [tooltip(bar) for bar in bars][:3] == ["Week 1: 1", "Week 2: 2", "Week 4: 7.5"]


def test_bar_heights_are_proportional_to_values() -> None:
    bars = by_class(parse(hours_bars().svg), "chart-bar")
    present = [value for value in HOURS if value is not None]
    tallest = max(present)
    heights = [number(bar, "height") for bar in bars]
    for height, value in zip(heights, present, strict=True):
        assert height == pytest.approx(max(heights) * value / tallest, abs=0.02)


def test_bars_stand_on_the_x_axis() -> None:
    root = parse(hours_bars().svg)
    (axis,) = by_class(root, "chart-axis")
    for bar in by_class(root, "chart-bar"):
        assert number(bar, "y") + number(bar, "height") == pytest.approx(number(axis, "y1"))


def test_tallest_bar_reaches_the_top_tick() -> None:
    root = parse(hours_bars(values=[2, 4, 8, 6, *[1] * 8]).svg)
    top_gridline = min(by_class(root, "chart-grid"), key=lambda line: number(line, "y1"))
    tallest = max(by_class(root, "chart-bar"), key=lambda bar: number(bar, "height"))
    assert number(tallest, "y") == pytest.approx(number(top_gridline, "y1"))
    assert "8" in texts(root)


def test_no_bar_rises_above_the_top_tick() -> None:
    root = parse(hours_bars().svg)
    top = min(number(line, "y1") for line in by_class(root, "chart-grid"))
    assert all(number(bar, "y") >= top - 0.01 for bar in by_class(root, "chart-bar"))
    assert [text for text in texts(root) if text in {"0", "2", "4", "6", "8"}] == [
        "0", "2", "4", "6", "8"]


def test_missing_values_are_skipped_and_shown_as_a_dash_in_the_table() -> None:
    chart = hours_bars()
    tooltips = [tooltip(bar) for bar in by_class(parse(chart.svg), "chart-bar")]
    assert not any(text.startswith("Week 3:") for text in tooltips)
    assert chart.table_headers == ["Week", "Hours"]
    assert chart.table_rows[2] == ["Week 3", "—"]
    assert chart.table_rows[3] == ["Week 4", "7.5"]


def test_value_format_applies_to_ticks_tooltips_and_table() -> None:
    chart = bar_chart("rate", "Pass rate", labels=["Lighting", "Sound"], values=[0.5, 0.75],
                      x_label="Module", y_label="Pass rate", value_format=lambda v: f"{v:.0%}")
    root = parse(chart.svg)
    assert "80%" in texts(root)
    assert [tooltip(bar) for bar in by_class(root, "chart-bar")] == ["Lighting: 50%",
                                                                     "Sound: 75%"]
    assert chart.table_rows == [["Lighting", "50%"], ["Sound", "75%"]]


def test_many_labels_are_rotated_and_thinned_out_so_they_never_overlap() -> None:
    twelve = parse(hours_bars().svg)
    assert len(by_class(twelve, "chart-tick-x")) == 12
    assert all("rotate(-45" in label.get("transform", "")
               for label in by_class(twelve, "chart-tick-x"))

    year = [f"Week {week}" for week in range(1, 53)]
    root = parse(hours_bars(labels=year, values=[1] * 52).svg)
    shown = by_class(root, "chart-tick-x")
    assert 1 < len(shown) < 52
    positions = [number(label, "x") for label in shown]
    assert min(b - a for a, b in pairwise(positions)) >= 12


def test_short_labels_lie_flat() -> None:
    root = parse(hours_bars(labels=["Mon", "Tue", "Wed"], values=[1, 2, 3]).svg)
    labels = by_class(root, "chart-tick-x")
    assert [label.text for label in labels] == ["Mon", "Tue", "Wed"]
    assert not any(label.get("transform") for label in labels)


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="3 labels but 2 values"):
        bar_chart("x", "X", labels=["a", "b", "c"], values=[1, 2], x_label="x", y_label="y")
    with pytest.raises(ValueError):
        line_chart("x", "X", x_labels=["a"], series=[Series("s", [1, 2])], x_label="x",
                   y_label="y")


# --- lines and stacks ------------------------------------------------------------------------

def test_line_chart_has_a_point_per_present_value_and_breaks_at_missing_ones() -> None:
    chart = line_chart("hours", "Hours", x_labels=WEEKS, x_label="Week", y_label="Hours",
                       series=[Series("Host", HOURS), Series("Operator", [1.0] * 12)])
    root = parse(chart.svg)
    assert len(by_class(root, "chart-point", "series-0")) == 11
    assert len(by_class(root, "chart-point", "series-1")) == 12
    host_lines = by_class(root, "chart-line", "series-0")
    assert [len(line.get("points", "").split()) for line in host_lines] == [2, 9]
    assert tooltip(by_class(root, "chart-point")[0]) == "Host, Week 1: 1"
    assert chart.table_headers == ["Week", "Host", "Operator"]
    assert chart.table_rows[2] == ["Week 3", "—", "1"]


def test_series_get_their_own_colour_class_and_a_legend() -> None:
    root = parse(line_chart("l", "L", x_labels=["a", "b"], x_label="x", y_label="y",
                            series=[Series("Host", [1, 2]), Series("Operator", [2, 1])]).svg)
    assert [legend.text for legend in by_class(root, "chart-legend")] == ["Host", "Operator"]
    assert len(by_class(root, "series-1")) == 1 + 2 + 1  # swatch, points, line

    single = parse(line_chart("l", "L", x_labels=["a"], x_label="x", y_label="y",
                              series=[Series("Host", [1])]).svg)
    assert by_class(single, "chart-legend") == []


def test_stacked_segments_sit_on_top_of_each_other() -> None:
    chart = stacked_bar_chart("s", "Streams", labels=["W1", "W2"], x_label="Week",
                              y_label="Streams",
                              series=[Series("Host", [2, None]), Series("Operator", [6, 4])])
    segments = by_class(parse(chart.svg), "chart-bar")
    assert len(segments) == 3
    host, operator, alone = segments
    assert number(operator, "y") + number(operator, "height") == pytest.approx(number(host, "y"))
    assert number(operator, "height") == pytest.approx(3 * number(host, "height"), abs=0.02)
    assert number(alone, "y") + number(alone, "height") == pytest.approx(
        number(host, "y") + number(host, "height"))
    assert chart.table_headers == ["Week", "Host", "Operator", "Total"]
    assert chart.table_rows == [["W1", "2", "6", "8"], ["W2", "—", "4", "4"]]


# --- accessibility and safety ----------------------------------------------------------------

@pytest.mark.parametrize("chart", every_chart(), ids=lambda chart: chart.id)
def test_title_and_desc_name_and_describe_the_svg(chart: Chart) -> None:
    root = parse(chart.svg)
    assert root.tag == "svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == f"{chart.id}-title {chart.id}-desc"
    assert [title.get("id") for title in root.findall("title")] == [f"{chart.id}-title"]
    assert child_text(root, "title") == chart.title
    assert [desc.get("id") for desc in root.findall("desc")] == [f"{chart.id}-desc"]
    assert child_text(root, "desc")
    assert root.get("viewBox", "").startswith("0 0 640 ")
    assert len(chart.table_rows) >= 2


def test_desc_summarises_the_data_in_one_sentence() -> None:
    root = parse(hours_bars().svg)
    assert child_text(root, "desc") == "Hours by Week, 12 values, from 0 to 7.5."


def test_axis_titles_are_drawn() -> None:
    assert {"Week", "Hours"} <= set(texts(parse(hours_bars().svg)))


@pytest.mark.parametrize("markup", [*(chart.svg for chart in every_chart()),
                                    sparkline([1, None, 3, 4], label="Viewers")])
def test_no_inline_style_or_script(markup: Markup) -> None:
    root = parse(markup)
    assert all("style" not in element.attrib for element in root.iter())
    assert not any(name.startswith("on") for element in root.iter() for name in element.attrib)
    assert not any(element.tag in {"script", "style"} for element in root.iter())


def test_hostile_and_chinese_labels_are_escaped_and_kept() -> None:
    hostile, chinese = '<script>alert("x")</script> & co', "第一周 主播"
    for chart in every_chart(label=hostile, name=chinese):
        assert "<script>" not in chart.svg
        root = parse(chart.svg)  # still well-formed XML
        shown = [*texts(root), *(title.text for title in root.iter("title"))]
        assert any(hostile in (text or "") for text in shown), chart.id
        assert chart.table_rows[0][0] == hostile
    line = every_chart(name=chinese)[1]
    assert line.table_headers[1] == chinese
    assert chinese in tooltip(by_class(parse(line.svg), "chart-point")[0])


def test_control_characters_do_not_break_the_svg() -> None:
    parse(hours_bars(labels=["bad\x00\x1b label", *WEEKS[1:]]).svg)


def test_lazy_strings_are_accepted_everywhere() -> None:
    chart = bar_chart("lazy", lazy_gettext("Hours"), labels=[lazy_gettext("Monday")], values=[2],
                      x_label=lazy_gettext("Day"), y_label=lazy_gettext("Hours"))
    assert chart.title == "Hours" and chart.table_headers == ["Day", "Hours"]
    assert chart.table_rows == [["Monday", "2"]]
    assert "Day" in texts(parse(chart.svg))
    line = line_chart("lazy", "L", x_labels=["a"], series=[Series(lazy_gettext("Host"), [1])],
                      x_label="x", y_label="y")
    assert line.table_headers == ["x", "Host"]


APP_CSS = Path(__file__).resolve().parents[1] / "static" / "css" / "app.css"


def test_every_class_the_charts_use_is_styled_in_app_css() -> None:
    """The CSP forbids inline style, so an unstyled class would draw black or not at all."""
    six_series = [Series(f"s{number}", [1, 2]) for number in range(6)]
    markups = [
        *(chart.svg for chart in every_chart()),
        stacked_bar_chart("s", "S", labels=["a", "b"], series=six_series, x_label="x",
                          y_label="y").svg,
        sparkline([1, None, 2, 3], label="s"),
    ]
    used = {name for markup in markups for element in parse(markup).iter()
            for name in element.get("class", "").split()}
    css = APP_CSS.read_text(encoding="utf-8")
    assert {f"series-{number}" for number in range(6)} <= used
    assert [name for name in sorted(used) if f".{name}" not in css] == []


# --- nothing to show -------------------------------------------------------------------------

EMPTY_CHARTS = {
    "no bars": lambda: bar_chart("e", "E", labels=[], values=[], x_label="x", y_label="y"),
    "all missing": lambda: hours_bars(values=[None] * 12),
    "all zero": lambda: hours_bars(values=[0] * 12),
    "no lines": lambda: line_chart("e", "E", x_labels=[], series=[], x_label="x", y_label="y"),
    "zero lines": lambda: line_chart("e", "E", x_labels=["a", "b"], x_label="x", y_label="y",
                                     series=[Series("s", [0, None])]),
    "no stacks": lambda: stacked_bar_chart("e", "E", labels=[], series=[], x_label="x",
                                           y_label="y"),
    "zero stacks": lambda: stacked_bar_chart("e", "E", labels=["a"], x_label="x", y_label="y",
                                             series=[Series("s", [0]), Series("t", [None])]),
    "no stages": lambda: funnel_chart("e", "E", stages=[]),
    "empty first stage": lambda: funnel_chart("e", "E", stages=[("Applied", 0), ("Hired", 0)]),
}


@pytest.mark.parametrize("make_chart", EMPTY_CHARTS.values(), ids=EMPTY_CHARTS.keys())
def test_empty_data_gives_a_valid_chart_that_says_no_data_yet(make_chart) -> None:
    chart = make_chart()
    root = parse(chart.svg)
    assert "No data yet" in child_text(root, "desc")
    numbers = [number(element, name) for element in root.iter()
               for name in ("x", "y", "width", "height", "cx", "cy") if name in element.attrib]
    assert all(math.isfinite(value) for value in numbers)


def test_empty_sparkline_is_still_an_image() -> None:
    root = parse(sparkline([], label="Viewers"))
    assert root.get("role") == "img" and root.get("aria-label") == "Viewers"
    assert list(root) == []


# --- funnel ----------------------------------------------------------------------------------

def test_funnel_bars_narrow_stage_by_stage_with_shares_of_the_first() -> None:
    chart = funnel_chart("f", "Order class", stages=[("Applied", 40), ("Shortlisted", 20),
                                                     ("Admitted", 10), ("Hired", 5)])
    root = parse(chart.svg)
    widths = [number(bar, "width") for bar in by_class(root, "chart-bar")]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4
    assert widths[1] == pytest.approx(widths[0] / 2)
    assert [label.text for label in by_class(root, "chart-funnel-label")] == [
        "Applied 40", "Shortlisted 20", "Admitted 10", "Hired 5"]
    assert [value.text for value in by_class(root, "chart-value")] == [
        "100%", "50%", "25%", "12.5%"]
    assert chart.table_headers == ["Stage", "Count", "Share of first stage"]
    assert chart.table_rows[-1] == ["Hired", "5", "12.5%"]
    assert child_text(root, "desc") == "From Applied 40 to Hired 5 (12.5% of the first stage)."


def test_funnel_shares_round_to_one_decimal() -> None:
    chart = funnel_chart("f", "F", stages=[("Applied", 3), ("Hired", 1)])
    assert chart.table_rows[1] == ["Hired", "1", "33.3%"]


# --- sparkline -------------------------------------------------------------------------------

def test_sparkline_breaks_at_missing_values_and_dots_lone_ones() -> None:
    root = parse(sparkline([1, 2, None, 3, None, 4, 5, 6], label="Viewers, last 8 streams"))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Viewers, last 8 streams"
    assert [len(line.get("points", "").split()) for line in root.iter("polyline")] == [2, 3]
    assert len(list(root.iter("circle"))) == 1


def test_sparkline_escapes_its_label() -> None:
    markup = sparkline([1, 2], label='"><script>x</script>')
    assert "<script>" not in markup
    assert parse(markup).get("aria-label") == '"><script>x</script>'


# --- ticks and numbers -----------------------------------------------------------------------

@pytest.mark.parametrize(("largest", "ticks"), [
    (7.5, [0, 2, 4, 6, 8]),
    (8, [0, 2, 4, 6, 8]),
    (1, [0, 0.2, 0.4, 0.6, 0.8, 1]),
    (1.1, [0, 0.25, 0.5, 0.75, 1, 1.25]),
    (0.3, [0, 0.1, 0.2, 0.3]),
    (3, [0, 1, 2, 3]),
    (5, [0, 1, 2, 3, 4, 5]),
    (100, [0, 20, 40, 60, 80, 100]),
    (12345, [0, 2500, 5000, 7500, 10000, 12500]),
    (0, [0, 1]),
    (-4, [0, 1]),
    (float("nan"), [0, 1]),
])
def test_nice_ticks(largest: float, ticks: list[float]) -> None:
    assert nice_ticks(largest) == ticks


@pytest.mark.parametrize("largest", [0.07, 0.9, 2.2, 9.99, 41, 999, 123456.7])
def test_nice_ticks_cover_the_largest_value_in_at_most_five_steps(largest: float) -> None:
    ticks = nice_ticks(largest)
    assert ticks[0] == 0 and ticks[-1] >= largest and ticks[-2] < largest
    assert len(ticks) <= 6


@pytest.mark.parametrize(("value", "text"), [
    (1234.5, "1,234.5"),
    (1234, "1,234"),
    (1234.0, "1,234"),
    (0, "0"),
    (0.25, "0.25"),
    (2.999, "3"),
    (1234567.891, "1,234,567.89"),
    (-0.001, "0"),
    (-1500.5, "-1,500.5"),
])
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


# --- the template macro ----------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[1] / "academy" / "templates"


def test_render_chart_macro_shows_the_svg_and_the_data_table() -> None:
    app = Flask(__name__, template_folder=str(TEMPLATES))
    Babel(app)
    chart = bar_chart("hours", "Hours", labels=["<b>Mon</b>", "Tue"], values=[2, None],
                      x_label="Day", y_label="Hours")
    with app.test_request_context():
        html = render_template_string(
            '{% from "_macros/charts.html" import render_chart %}{{ render_chart(chart) }}',
            chart=chart)
    assert html.strip().startswith('<figure class="chart">')
    assert str(chart.svg) in html
    assert "<summary>Data as a table</summary>" in html
    assert '<th scope="col">Day</th>' in html and '<th scope="col" class="num">Hours</th>' in html
    assert '<th scope="row">&lt;b&gt;Mon&lt;/b&gt;</th>' in html
    assert '<td class="num">—</td>' in html
    assert html.strip().endswith("</figure>")
