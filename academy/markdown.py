"""The one place Markdown becomes HTML: render, then sanitise with one of two allow-lists.

Python-Markdown passes raw HTML, ``onerror=`` and ``javascript:`` links through untouched
(shared/research/reliability-perf.md §2.4), so raw HTML is switched off in the parser and every
result is cleaned by nh3 as well. Course content may use tabs, task lists, collapsible blocks and
heading anchors; text users write (practice notes, feedback) gets the strict list.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pymdownx.slugs import slugify

# Bump when rendering changes, so `courses sync` re-renders files whose text did not change.
RENDERER_VERSION = "5"

_COMMON_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
COURSE_TAGS = _COMMON_TAGS | {"details", "summary", "div", "span", "input", "label", "section"}
COURSE_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "input": {"type", "checked", "disabled", "name"},
    "label": {"for"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "details": {"open"},
}
USER_TAGS = _COMMON_TAGS - {"h1", "h2"}
USER_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

COURSE_EXTENSIONS = [
    "tables", "admonition", "footnotes", "abbr", "def_list", "sane_lists", "attr_list",
    "toc", "pymdownx.superfences", "pymdownx.tabbed", "pymdownx.tasklist", "pymdownx.details",
]
COURSE_EXTENSION_CONFIGS = {
    # Unicode slugs, so Chinese headings get readable anchors instead of "_1", "_2".
    "toc": {"permalink": "#", "permalink_title": "", "toc_depth": "2-3",
            "slugify": slugify(case="lower")},
    "pymdownx.tabbed": {"alternate_style": True},
    "pymdownx.tasklist": {"custom_checkbox": False},
}
USER_EXTENSIONS = ["sane_lists", "pymdownx.superfences", "tables"]


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    title: str


@dataclass(frozen=True)
class RenderedCourseText:
    html: str
    headings: list[Heading]  # the table of contents: h2 and h3
    text: str  # plain text, for search


def _same_link(href: str) -> str:
    return href


class _LinkRewriter(Treeprocessor):
    """Maps every href through ``rewrite``, which each rendering sets for its own file."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.rewrite: Callable[[str], str] = _same_link

    def run(self, root: Element) -> None:
        for link in root.iter("a"):
            href = link.get("href")
            if href:
                link.set("href", self.rewrite(href))


class _RewriteLinks(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkRewriter(md), "academy_links", 1)


def _without_raw_html(md: markdown.Markdown) -> markdown.Markdown:
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def _flatten_toc(tokens: list[dict]) -> list[Heading]:
    headings: list[Heading] = []
    for token in tokens:
        headings.append(Heading(token["level"], token["id"], html.unescape(token["name"])))
        headings.extend(_flatten_toc(token.get("children", [])))
    return headings


_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def html_to_text(fragment: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", fragment))).strip()


# A task list's checkbox, and the item text after it up to the next block.
_TASK_CHECKBOX = re.compile(r'(<input type="checkbox"[^>]*>)((?:[^<]|<(?!/?(?:p|li|ul|ol)\b))*)')


def _label_task_checkboxes(fragment: str) -> str:
    """Wrap each task-list checkbox with its item's text in a label, so it has an accessible name.

    Screen readers then say what is (not yet) done instead of "checkbox, not checked".
    """
    return _TASK_CHECKBOX.sub(r'<label class="task-list-label">\1\2</label>', fragment)


# Building a Markdown instance with its extensions costs about a tenth of rendering a module,
# and a sync renders a thousand; an instance is not thread-safe, so each thread keeps its own.
_per_thread = threading.local()


def _course_markdown() -> tuple[markdown.Markdown, _LinkRewriter]:
    if not hasattr(_per_thread, "course"):
        md = _without_raw_html(markdown.Markdown(
            extensions=[*COURSE_EXTENSIONS, _RewriteLinks()],
            extension_configs=COURSE_EXTENSION_CONFIGS,
            output_format="html",
        ))
        _per_thread.course = (md, md.treeprocessors["academy_links"])
    return _per_thread.course


def render_course_text(source: str,
                       rewrite_link: Callable[[str], str] = _same_link) -> RenderedCourseText:
    """Render course Markdown with the course allow-list; ``rewrite_link`` maps each href."""
    md, links = _course_markdown()
    md.reset()  # footnotes, abbreviations and the table of contents of the previous text
    links.rewrite = rewrite_link
    rendered = md.convert(source)
    clean = _label_task_checkboxes(nh3.clean(
        rendered, tags=COURSE_TAGS, attributes=COURSE_ATTRIBUTES, url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer"))
    headings = _flatten_toc(getattr(md, "toc_tokens", []))
    return RenderedCourseText(html=clean, headings=headings, text=html_to_text(clean))


def render_user_text(source: str) -> str:
    """Render what a user wrote (notes, feedback) with the strict allow-list."""
    md = _without_raw_html(markdown.Markdown(extensions=USER_EXTENSIONS, output_format="html"))
    return nh3.clean(md.convert(source), tags=USER_TAGS, attributes=USER_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow")
