"""Request hygiene every route relies on: ids the database can hold, text it can store."""

from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# The id columns are 32-bit on every database; a larger number names nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:…>`` in URLs, refusing numbers no row can have (a 404, not a database error)."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def _refuse_nul_characters() -> None:
    """PostgreSQL cannot store U+0000 in text; no person types it, so refuse the request."""
    for values in (request.args, request.form):
        if any("\x00" in value for value in values.values()):
            abort(400)


def init_request_guards(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_nul_characters)
