"""Server-side SVG charts: line, bar, stacked bar, funnel and sparkline, with no JavaScript.

Hand-written SVG was chosen over chart libraries (shared/research/ecosystem.md §4): it weighs
nothing, tests can parse it, and it needs no exception in the Content-Security-Policy. That policy
forbids inline styles, so the SVG carries geometry only (positions and sizes); every colour, font
size and text alignment comes from classes styled in ``static/css/app.css`` ("Charts" block).

Each chart also returns its numbers as table rows, which ``_macros/charts.html`` shows in a
``<details>`` table for screen readers and for anyone who wants the exact figures.

The SVG is built with ElementTree, whose serialiser XML-escapes every text and attribute, so labels
from users (firm names, module titles, ``<script>``) cannot break out of the markup. It is meant to
be inlined in HTML, where the parser supplies the SVG namespace.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, tostring

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

# The internal coordinate system; CSS scales the whole drawing to the width of its container.
# The height below the plot depends on whether the x labels lie flat or turn 45°.
WIDTH = 640
PLOT_TOP = 36  # above: the legend
PLOT_BOTTOM = 268  # below: the x tick labels, then the x axis title
PLOT_RIGHT = WIDTH - 16
FLAT_LABEL_DEPTH = 24
ROTATED_LABEL_DEPTH = 84
X_TITLE_ZONE = 28
Y_TITLE_X = 16
TICK_GAP = 8  # between a tick label and the plot
# app.css sets this font size on chart text; label widths are estimated from it.
FONT_SIZE = 12
SERIES_COLOURS = 6  # app.css defines series-0 … series-5
BAR_FILL = 0.7  # share of its band a bar covers; the rest is the gap between bars
MISSING = "—"


@dataclass(frozen=True)
class Series:
    name: str  # legend / table column name (str or lazy string)
    values: list[float | None]


@dataclass(frozen=True)
class Chart:
    id: str  # unique DOM id prefix given by the caller
    title: str
    svg: Markup
    table_headers: list[str]
    table_rows: list[list[str]]  # formatted cells


# --- numbers ---------------------------------------------------------------------------------

def format_number(value: float) -> str:
    """1234.5 -> "1,234.5": thousands separated, at most two decimals, whole numbers bare.

    Rounding comes first so that 2.999 reads "3" rather than "3.00", and -0.001 reads "0", not "-0".
    """
    rounded = round(float(value), 2) or 0.0
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.2f}".rstrip("0")


_NICE_MULTIPLIERS = (1, 2, 2.5, 5, 10)


def nice_ticks(largest: float, *, max_intervals: int = 5) -> list[float]:
    """Y axis ticks from 0 up to the first round value at or above ``largest``.

    Steps are 1, 2, 2.5 or 5 times a power of ten, because readers take in 0, 2, 4, 6 at a glance
    and 0, 1.7, 3.4 not at all. With nothing to show (``largest`` of 0 or less) the axis still
    runs from 0 to 1, so scaling never divides by zero.
    """
    if not largest > 0:
        return [0.0, 1.0]
    rough_step = largest / max_intervals
    magnitude = 10 ** math.floor(math.log10(rough_step))
    step = next(multiplier * magnitude for multiplier in _NICE_MULTIPLIERS
                if multiplier * magnitude >= rough_step * (1 - 1e-9))
    intervals = math.ceil(largest / step - 1e-9)
    # 12 significant digits drop the float noise of 3 * 0.1 without touching real values.
    return [float(f"{index * step:.12g}") for index in range(intervals + 1)]


def _largest(values: Sequence[float | None]) -> float:
    return max((value for value in values if value is not None), default=0.0)


def _has_data(values: Sequence[float | None]) -> bool:
    """Whether there is anything to draw: all-missing and all-zero data count as "no data yet"."""
    return any(values)


def _cell(value: float | None, value_format: Callable[[float], str]) -> str:
    return MISSING if value is None else value_format(value)


def _totals(series: Sequence[Series], count: int) -> list[float | None]:
    """The height of each stack; None where every series is missing."""
    totals: list[float | None] = []
    for index in range(count):
        present = [value for one in series if (value := one.values[index]) is not None]
        totals.append(sum(present) if present else None)
    return totals


def _check_lengths(labels: Sequence[Any], columns: Sequence[Sequence[Any]]) -> None:
    for column in columns:
        if len(column) != len(labels):
            raise ValueError(f"{len(labels)} labels but {len(column)} values")


# --- text ------------------------------------------------------------------------------------

# Characters XML 1.0 forbids; one in a user's label would make the whole SVG invalid.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Lazy strings and numbers become plain text that is safe to serialise as XML."""
    return _XML_FORBIDDEN.sub("", str(value))


def _text_width(text: str) -> float:
    """Estimated width in user units: CJK and other wide characters take a full em."""
    return sum(FONT_SIZE if unicodedata.east_asian_width(char) in "WF" else FONT_SIZE * 0.6
               for char in text)


def _truncate(text: str, max_width: float) -> str:
    if _text_width(text) <= max_width:
        return text
    while text and _text_width(text + "…") > max_width:
        text = text[:-1]
    return text + "…"


# --- SVG elements ----------------------------------------------------------------------------

def _attribute(value: object) -> str:
    if isinstance(value, float):
        return f"{round(value, 2):g}"
    return _text(value)


def _element(tag: str, attributes: dict[str, object], text: object = None) -> Element:
    element = Element(tag, {name: _attribute(value) for name, value in attributes.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _add(parent: Element, tag: str, attributes: dict[str, object], text: object = None) -> Element:
    element = _element(tag, attributes, text)
    parent.append(element)
    return element


def _points(positions: Sequence[tuple[float, float]]) -> str:
    """The ``points`` attribute of a polyline."""
    return " ".join(f"{_attribute(x)},{_attribute(y)}" for x, y in positions)


def _tooltip(element: Element, text: str) -> None:
    """A ``<title>`` child: browsers show it on hover, screen readers may read it."""
    _add(element, "title", {}, text)


def _label(parent: Element, x: float, y: float, label: object, css_class: str, *,
           max_width: float = math.inf, rotate: float = 0) -> None:
    """A text label, shortened with "…" to ``max_width`` and rotated about its anchor.

    A shortened label keeps its full text as a tooltip.
    """
    text = _text(label)
    shown = _truncate(text, max_width)
    attributes: dict[str, object] = {"class": css_class, "x": x, "y": y}
    if rotate:
        attributes["transform"] = f"rotate({rotate:g} {_attribute(x)} {_attribute(y)})"
    element = _add(parent, "text", attributes, shown)
    if shown != text:
        _tooltip(element, text)


def _series_class(index: int) -> str:
    return f"series-{index % SERIES_COLOURS}"


def _svg_root(id: str, title: str, desc: str, height: float) -> Element:
    """The accessible frame of every chart: role img, named by its title, described by desc."""
    svg = _element("svg", {
        "class": "chart-svg",
        "viewBox": f"0 0 {WIDTH} {height:g}",
        "role": "img",
        "aria-labelledby": f"{id}-title {id}-desc",
    })
    _add(svg, "title", {"id": f"{id}-title"}, title)
    _add(svg, "desc", {"id": f"{id}-desc"}, desc)
    return svg


def _markup(svg: Element) -> Markup:
    """Mark the serialised SVG safe for templates: ElementTree has escaped every text in it."""
    return Markup(tostring(svg, encoding="unicode"))  # noqa: S704  (escaped by ElementTree)


def _chart(id: str, title: str, svg: Element, headers: Sequence[object],
           rows: list[list[str]]) -> Chart:
    return Chart(id=id, title=_text(title), svg=_markup(svg),
                 table_headers=[_text(header) for header in headers], table_rows=rows)


def _table_rows(labels: Sequence[object], columns: Sequence[Sequence[float | None]],
                value_format: Callable[[float], str]) -> list[list[str]]:
    return [[_text(label), *(_cell(column[index], value_format) for column in columns)]
            for index, label in enumerate(labels)]


# --- axes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """Where the plot sits in the viewBox and how data maps onto it.

    The x axis is a row of equal bands, one per label, with bars and points at band centres.
    The left edge moves with the widest y tick label so long numbers never reach the y axis title.
    """

    left: float
    top_value: float  # the top tick, drawn at PLOT_TOP
    count: int

    @property
    def band(self) -> float:
        return (PLOT_RIGHT - self.left) / max(self.count, 1)

    def centre(self, index: int) -> float:
        return self.left + self.band * (index + 0.5)

    def y(self, value: float) -> float:
        """Negative values are not expected (counts, hours, rates); they sit on the baseline."""
        return PLOT_BOTTOM - (PLOT_BOTTOM - PLOT_TOP) * max(value, 0) / self.top_value


def _frame(ticks: list[float], count: int, value_format: Callable[[float], str]) -> _Frame:
    widest_tick = max(_text_width(value_format(tick)) for tick in ticks)
    left = Y_TITLE_X + FONT_SIZE / 2 + 2 * TICK_GAP + widest_tick
    return _Frame(left=left, top_value=ticks[-1], count=count)


def _draw_y_axis(svg: Element, frame: _Frame, ticks: list[float],
                 value_format: Callable[[float], str]) -> None:
    """A gridline and a label per tick; the line at 0 is the x axis itself."""
    for tick in ticks:
        y = frame.y(tick)
        line_class = "chart-axis" if tick == 0 else "chart-grid"
        _add(svg, "line", {"class": line_class, "x1": frame.left, "y1": y,
                           "x2": float(PLOT_RIGHT), "y2": y})
        _label(svg, frame.left - TICK_GAP, y + FONT_SIZE / 3, value_format(tick),
               "chart-tick-y")


# Rotated by 45°, neighbouring labels are band × sin 45° apart; they need a line of text.
_ROTATED_PITCH = (FONT_SIZE + 2) * math.sqrt(2)
_ROTATED_TOP = PLOT_BOTTOM + 12
_ROTATED_MAX_WIDTH = (PLOT_BOTTOM + ROTATED_LABEL_DEPTH - _ROTATED_TOP) * math.sqrt(2)


def _labels_lie_flat(frame: _Frame, labels: Sequence[str]) -> bool:
    return max(map(_text_width, labels), default=0) <= frame.band - 6


def _draw_x_labels(svg: Element, frame: _Frame, labels: Sequence[str]) -> None:
    """Horizontal labels when they fit their band, else rotated ones, thinned out if need be.

    Twelve "Week 12" labels no longer fit side by side, so they turn 45°; when even rotated
    labels would overlap, only every n-th is shown. Nothing is lost: each bar and point keeps
    its full label as a tooltip, and the table lists them all.
    """
    if _labels_lie_flat(frame, labels):
        for index, label in enumerate(labels):
            _label(svg, frame.centre(index), PLOT_BOTTOM + 18, label, "chart-tick-x")
        return
    every = math.ceil(_ROTATED_PITCH / frame.band)
    for index in range(0, len(labels), every):
        _label(svg, frame.centre(index), _ROTATED_TOP, labels[index], "chart-tick-x rotated",
               max_width=_ROTATED_MAX_WIDTH, rotate=-45)


def _draw_axis_titles(svg: Element, frame: _Frame, height: float, x_label: str,
                      y_label: str) -> None:
    plot_middle = (PLOT_TOP + PLOT_BOTTOM) / 2
    _label(svg, (frame.left + PLOT_RIGHT) / 2, height - 8, x_label, "chart-axis-title",
           max_width=PLOT_RIGHT - frame.left)
    _label(svg, Y_TITLE_X, plot_middle, y_label, "chart-axis-title",
           max_width=PLOT_BOTTOM - PLOT_TOP, rotate=-90)


def _draw_legend(svg: Element, frame: _Frame, names: Sequence[str]) -> None:
    """A swatch and a name per series, in one row above the plot; one series needs none."""
    if len(names) < 2:
        return
    slot = (PLOT_RIGHT - frame.left) / len(names)
    for index, name in enumerate(names):
        x = frame.left + slot * index
        _add(svg, "rect", {"class": f"chart-swatch {_series_class(index)}",
                           "x": x, "y": 11.0, "width": 10, "height": 10})
        _label(svg, x + 14, 20.0, name, "chart-legend", max_width=slot - 22)


def _axis_chart(id: str, title: str, *, desc: str, labels: Sequence[str], largest: float,
                x_label: str, y_label: str,
                value_format: Callable[[float], str]) -> tuple[Element, _Frame]:
    """The parts line, bar and stacked bar charts share: frame, gridlines, labels, titles."""
    ticks = nice_ticks(largest)
    frame = _frame(ticks, len(labels), value_format)
    label_depth = FLAT_LABEL_DEPTH if _labels_lie_flat(frame, labels) else ROTATED_LABEL_DEPTH
    height = PLOT_BOTTOM + label_depth + X_TITLE_ZONE
    svg = _svg_root(id, title, desc, height)
    _draw_y_axis(svg, frame, ticks, value_format)
    _draw_x_labels(svg, frame, labels)
    _draw_axis_titles(svg, frame, height, x_label, y_label)
    return svg, frame


def _summary(x_label: str, y_label: str, count: int, values: Sequence[float | None],
             value_format: Callable[[float], str]) -> str:
    """The one-sentence desc, e.g. "Hours by Week, 12 values, from 0 to 7.5."."""
    if not _has_data(values):
        return _("No data yet.")
    present = [value for value in values if value is not None]
    return ngettext("%(y)s by %(x)s, %(num)d value, from %(low)s to %(high)s.",
                    "%(y)s by %(x)s, %(num)d values, from %(low)s to %(high)s.",
                    count, y=y_label, x=x_label,
                    low=value_format(min(present)), high=value_format(max(present)))


# --- the plot marks --------------------------------------------------------------------------

def _draw_bar(svg: Element, frame: _Frame, index: int, base: float, value: float,
              css_class: str, tooltip: str) -> None:
    """One bar (or stacked segment) from ``base`` up to ``base + value``."""
    top, bottom = frame.y(base + value), frame.y(base)
    width = frame.band * BAR_FILL
    bar = _add(svg, "rect", {"class": f"chart-bar {css_class}",
                             "x": frame.centre(index) - width / 2, "y": top,
                             "width": width, "height": bottom - top})
    _tooltip(bar, tooltip)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Unbroken stretches of present values, as (index, value): a line breaks at each None."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append((index, value))
    return [run for run in runs if run]


def _draw_line(svg: Element, frame: _Frame, series: Series, labels: Sequence[str],
               css_class: str, value_format: Callable[[float], str]) -> None:
    name = _text(series.name)
    for run in _runs(series.values):
        if len(run) > 1:
            points = _points([(frame.centre(index), frame.y(value)) for index, value in run])
            _add(svg, "polyline", {"class": f"chart-line {css_class}", "points": points})
        for index, value in run:
            point = _add(svg, "circle", {"class": f"chart-point {css_class}",
                                         "cx": frame.centre(index), "cy": frame.y(value),
                                         "r": 3.5})
            _tooltip(point, f"{name}, {labels[index]}: {value_format(value)}")


# --- axis charts -----------------------------------------------------------------------------

def line_chart(id: str, title: str, *, x_labels: list[str], series: list[Series], x_label: str,
               y_label: str, value_format: Callable[[float], str] = format_number) -> Chart:
    """One line per series over shared x labels; a missing value breaks its line there.

    Raises ValueError when a series has a different length from ``x_labels``.
    """
    labels = [_text(label) for label in x_labels]
    _check_lengths(labels, [one.values for one in series])
    all_values = [value for one in series for value in one.values]
    svg, frame = _axis_chart(
        id, title, labels=labels, largest=_largest(all_values), x_label=x_label, y_label=y_label,
        desc=_summary(x_label, y_label, len(labels), all_values, value_format),
        value_format=value_format)
    _draw_legend(svg, frame, [_text(one.name) for one in series])
    for index, one in enumerate(series):
        _draw_line(svg, frame, one, labels, _series_class(index), value_format)
    return _chart(id, title, svg, [x_label, *(one.name for one in series)],
                  _table_rows(labels, [one.values for one in series], value_format))


def bar_chart(id: str, title: str, *, labels: list[str], values: list[float | None], x_label: str,
              y_label: str, value_format: Callable[[float], str] = format_number) -> Chart:
    """One bar per label; a missing value leaves its place empty.

    Raises ValueError when ``values`` and ``labels`` differ in length.
    """
    texts = [_text(label) for label in labels]
    _check_lengths(texts, [values])
    svg, frame = _axis_chart(
        id, title, labels=texts, largest=_largest(values), x_label=x_label, y_label=y_label,
        desc=_summary(x_label, y_label, len(texts), values, value_format),
        value_format=value_format)
    for index, (label, value) in enumerate(zip(texts, values, strict=True)):
        if value is not None:
            _draw_bar(svg, frame, index, 0, value, _series_class(0),
                      f"{label}: {value_format(value)}")
    return _chart(id, title, svg, [x_label, y_label], _table_rows(texts, [values], value_format))


def stacked_bar_chart(id: str, title: str, *, labels: list[str], series: list[Series],
                      x_label: str, y_label: str,
                      value_format: Callable[[float], str] = format_number) -> Chart:
    """Per label, one bar stacking every series in order; missing values add nothing.

    The axis, the desc and the table's last column use the totals. Raises ValueError when a
    series has a different length from ``labels``.
    """
    texts = [_text(label) for label in labels]
    _check_lengths(texts, [one.values for one in series])
    totals = _totals(series, len(texts))
    svg, frame = _axis_chart(
        id, title, labels=texts, largest=_largest(totals), x_label=x_label, y_label=y_label,
        desc=_summary(x_label, y_label, len(texts), totals, value_format),
        value_format=value_format)
    names = [_text(one.name) for one in series]
    _draw_legend(svg, frame, names)
    for index, label in enumerate(texts):
        base = 0.0
        for number, one in enumerate(series):
            value = one.values[index]
            if value is None:
                continue
            _draw_bar(svg, frame, index, base, value, _series_class(number),
                      f"{names[number]}, {label}: {value_format(value)}")
            base += value
    return _chart(id, title, svg, [x_label, *(one.name for one in series), _("Total")],
                  _table_rows(texts, [*(one.values for one in series), totals], value_format))


# --- funnel ----------------------------------------------------------------------------------

# Funnel layout: a label column ("Applied 40"), the centred bars, then the share column.
FUNNEL_ROW = 40
FUNNEL_PADDING = 8
FUNNEL_LABEL_WIDTH = 184
FUNNEL_BARS = (FUNNEL_PADDING + FUNNEL_LABEL_WIDTH + 8, WIDTH - 72)


def _shares(counts: Sequence[int]) -> list[float | None]:
    """Each stage as a percentage of the first; None for all when the first stage is empty."""
    first = counts[0] if counts else 0
    return [count * 100 / first if first else None for count in counts]


def _format_share(share: float | None) -> str:
    return MISSING if share is None else f"{format_number(round(share, 1))}%"


def _funnel_summary(stages: Sequence[tuple[str, int]], shares: Sequence[float | None]) -> str:
    if not stages or shares[0] is None:
        return _("No data yet.")
    (first, first_count), (last, last_count) = stages[0], stages[-1]
    return _("From %(first)s %(first_count)s to %(last)s %(last_count)s"
             " (%(share)s of the first stage).",
             first=_text(first), first_count=format_number(first_count), last=_text(last),
             last_count=format_number(last_count), share=_format_share(shares[-1]))


def _draw_funnel_row(svg: Element, row: int, name: str, count: int, share: float | None,
                     widest: int) -> None:
    """One stage: its name and count, a bar centred under the widest, and its share."""
    top = FUNNEL_PADDING + row * FUNNEL_ROW
    baseline = top + FUNNEL_ROW / 2 + FONT_SIZE / 3
    count_text = format_number(count)
    shown_name = _truncate(name, FUNNEL_LABEL_WIDTH - _text_width(" " + count_text))
    _label(svg, FUNNEL_PADDING, baseline, f"{shown_name} {count_text}", "chart-funnel-label")
    left, right = FUNNEL_BARS
    width = (right - left) * count / widest if widest > 0 else 0.0
    bar = _add(svg, "rect", {"class": "chart-bar series-0", "x": (left + right - width) / 2,
                             "y": top + 6.0, "width": width, "height": FUNNEL_ROW - 12.0})
    _tooltip(bar, f"{name}: {count_text} ({_format_share(share)})")
    _label(svg, WIDTH - FUNNEL_PADDING, baseline, _format_share(share), "chart-value")


def funnel_chart(id: str, title: str, *, stages: list[tuple[str, int]]) -> Chart:
    """Stages as horizontal bars, widest first, each labelled "Applied 40" with its share.

    The share is of the first stage, the conversion readers look for in a recruiting funnel.
    """
    named = [(_text(name), count) for name, count in stages]
    counts = [count for _name, count in named]
    shares = _shares(counts)
    height = 2 * FUNNEL_PADDING + max(len(named), 1) * FUNNEL_ROW
    svg = _svg_root(id, title, _funnel_summary(named, shares), height)
    widest = max(counts, default=0)
    for row, ((name, count), share) in enumerate(zip(named, shares, strict=True)):
        _draw_funnel_row(svg, row, name, count, share, widest)
    rows = [[name, format_number(count), _format_share(share)]
            for (name, count), share in zip(named, shares, strict=True)]
    return _chart(id, title, svg, [_("Stage"), _("Count"), _("Share of first stage")], rows)


# --- sparkline -------------------------------------------------------------------------------

SPARKLINE_SIZE = (100, 24)
SPARKLINE_PADDING = 3


def _sparkline_runs(values: Sequence[float | None]) -> list[list[tuple[float, float]]]:
    """Each unbroken run of values as (x, y) positions in the sparkline's viewBox."""
    width, height = SPARKLINE_SIZE
    step = (width - 2 * SPARKLINE_PADDING) / max(len(values) - 1, 1)
    scale = (height - 2 * SPARKLINE_PADDING) / nice_ticks(_largest(values))[-1]
    return [[(SPARKLINE_PADDING + step * index,
              height - SPARKLINE_PADDING - scale * max(value, 0))
             for index, value in run]
            for run in _runs(values)]


def sparkline(values: list[float | None], *, label: str) -> Markup:
    """A word-sized trend line for tables and cards, named by ``label`` for screen readers.

    Like the charts it starts at 0, so a small wiggle in a large number stays small. Missing
    values break the line; a value with no neighbour shows as a dot.
    """
    width, height = SPARKLINE_SIZE
    svg = _element("svg", {"class": "sparkline", "viewBox": f"0 0 {width} {height}",
                           "width": width, "height": height, "role": "img", "aria-label": label})
    for run in _sparkline_runs(values):
        if len(run) == 1:
            (x, y), = run
            _add(svg, "circle", {"class": "sparkline-point", "cx": x, "cy": y, "r": 1.5})
        else:
            _add(svg, "polyline", {"class": "sparkline-line", "points": _points(run)})
    return _markup(svg)
