"""Request hygiene every route relies on: ids the database can hold, text it can store."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

from academy.db import MAX_ID  # a larger number names nothing


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, refusing numbers no row can have (a 404, not a database error)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def database_id(text: str) -> int:
    """A query-string number that names a row or a page: 1 to MAX_ID, else ValueError.

    For ``request.args.get(name, default, type=database_id)``: a number too large for the
    database (or for an OFFSET computed from it) falls back to the default, not a 500.
    """
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"{value} is not between 1 and {MAX_ID}")
    return value


def _refuse_nul_characters() -> None:
    """PostgreSQL cannot store U+0000 in text; no person types it, so refuse the request."""
    for values in (request.args, request.form):
        if any("\x00" in value for value in values.values()):
            abort(400)


def init_request_guards(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul_characters)
