"""Full-text search over modules: SQLite FTS5 or PostgreSQL full-text, behind one function.

The search objects are kept by hand (see the curriculum migration): an FTS5 table that sync
updates on SQLite, an expression index over the module table on PostgreSQL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

MAX_RESULTS = 20
_OPEN, _CLOSE = "\x02", "\x03"  # snippet markers that cannot occur in course text
_WORD = re.compile(r"\w+", re.UNICODE)


_SQLITE_SEARCH = sa.text(
    "SELECT m.slug, m.track, m.title, snippet(search_module, 3, :open, :close, ' … ', 16) "
    "FROM search_module JOIN module m ON m.slug = search_module.slug "
    "WHERE search_module MATCH :match AND NOT m.retired "
    "ORDER BY bm25(search_module, 0, 10.0, 4.0, 1.0) LIMIT :limit"
)
# The document expression equals the one of the search_module_tsv index, so the index is used.
_POSTGRES_DOCUMENT = "to_tsvector('simple', title || ' ' || summary || ' ' || body_text)"
# The query joins constants only; every value in it is a bound parameter.
_POSTGRES_SEARCH = sa.text(
    "SELECT slug, track, title, ts_headline('simple', body_text, q, "  # nosec B608
    "'StartSel=' || :open || ', StopSel=' || :close || ', MaxWords=30, MinWords=12') "
    "FROM module, to_tsquery('simple', :tsquery) AS q "
    "WHERE NOT retired AND " + _POSTGRES_DOCUMENT + " @@ q "
    "ORDER BY ts_rank(" + _POSTGRES_DOCUMENT + ", q) DESC, position LIMIT :limit"
)


@dataclass(frozen=True)
class SearchHit:
    slug: str
    track: str
    title: str
    snippet_html: str  # escaped text with <mark> around the matches


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_modules(session: Session, modules: Sequence[Mapping[str, Any]],
                  replacing: bool = True) -> None:
    """Put the modules' current text (their column values) into the search index.

    The caller commits. ``replacing`` False says the modules were never indexed, which saves
    the DELETE: it scans the whole index, as the FTS table has no index on the slug.
    """
    if not modules or not _is_sqlite(session):
        return  # PostgreSQL indexes the module table's own columns
    if replacing:
        unindex_modules(session, [module["slug"] for module in modules])
    session.execute(
        sa.text("INSERT INTO search_module (slug, title, summary, body) "
                "VALUES (:slug, :title, :summary, :body_text)"),
        [{key: module[key] for key in ("slug", "title", "summary", "body_text")}
         for module in modules],
    )


_UNINDEX = sa.text("DELETE FROM search_module WHERE slug IN :slugs").bindparams(
    sa.bindparam("slugs", expanding=True))


def unindex_modules(session: Session, slugs: Sequence[str]) -> None:
    """Take the modules out of the search index, in one scan of it."""
    if slugs and _is_sqlite(session):
        session.execute(_UNINDEX, {"slugs": list(slugs)})


def _snippet_html(raw: str) -> str:
    escaped = html.escape(raw)
    return escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def search_modules(session: Session, query: str) -> list[SearchHit]:
    """Modules matching every word of ``query``, best first, each with a highlighted snippet.

    The query is reduced to words, so search syntax typed by a user is never interpreted.
    """
    words = _WORD.findall(query)[:12]
    if not words:
        return []
    if _is_sqlite(session):
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words[:-1])
        match = f'{match} "{words[-1]}"*'.strip()
        rows = session.execute(_SQLITE_SEARCH, {"match": match, "open": _OPEN, "close": _CLOSE,
                                                "limit": MAX_RESULTS})
    else:
        rows = session.execute(_POSTGRES_SEARCH, {
            "tsquery": " & ".join(f"{word}:*" for word in words),
            "open": _OPEN, "close": _CLOSE, "limit": MAX_RESULTS,
        })
    return [SearchHit(slug, track, title, _snippet_html(snippet or ""))
            for slug, track, title, snippet in rows]
