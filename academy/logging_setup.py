"""Logging to stdout: one JSON object per line in production, readable lines in development.

Every request is logged once, after its response, under an id that is also sent back in the
``X-Request-ID`` header (and printed in gunicorn's access line), so a user's report leads to
the lines of their request. Only the method, path, status and time are logged, never form
fields, cookies or headers, so no password or session ever reaches a log. A path part that is
itself a credential (the private calendar feed's token) is printed as ``[redacted]``.

gunicorn.conf.py routes gunicorn's own lines through the same formatters (``gunicorn_logconfig``),
so a log collector reads one format from the whole process tree.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
REDACTED = "[redacted]"
# A request id set by a proxy in front (nginx's $request_id) is kept if it looks like one;
# anything else is replaced, so a client cannot write arbitrary text into the log.
_INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Route variables named like these are credentials (``<token>``, ``<feed_token>``; not
# ``<token_id>``, which only numbers one).
_SECRET_VARIABLE = re.compile(r"(?:^|_)(?:token|secret|password)$", re.IGNORECASE)
_ROUTE_VARIABLE = re.compile(r"(<[^>]+>)")
_PATH_VALUE = r"[^/?#\s\"]+"
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "remote_addr")

request_log = logging.getLogger("academy.request")


# The routes whose URLs carry a credential, as (pattern, indexes of the secret groups); learnt
# from every app built in this process, so gunicorn's access lines are redacted as well.
_secret_routes: dict[str, tuple[re.Pattern[str], frozenset[int]]] = {}


def _learn_secret_routes(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        pieces = _ROUTE_VARIABLE.split(rule.rule)
        secret = frozenset(index for index, piece in enumerate(pieces)
                           if piece.startswith("<")
                           and _SECRET_VARIABLE.search(piece[1:-1].split(":")[-1]))
        if secret:
            pattern = "".join(f"({_PATH_VALUE})" if piece.startswith("<")
                              else f"({re.escape(piece)})" for piece in pieces)
            _secret_routes[rule.rule] = (re.compile(pattern), secret)


def redact(text: str) -> str:
    """``text`` with the credential parts of known secret URLs replaced."""
    for pattern, secret in _secret_routes.values():
        text = pattern.sub(lambda match, secret=secret: "".join(  # type: ignore[misc]
            REDACTED if index in secret else part
            for index, part in enumerate(match.groups())), text)
    return text


def _utc_time(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _gunicorn_access_fields(atoms: Mapping[str, Any]) -> dict[str, Any]:
    """The request fields of a gunicorn access line, from the atoms it formats."""
    status = str(atoms["s"])
    fields: dict[str, Any] = {
        "remote_addr": atoms["h"], "method": atoms["m"], "path": atoms["U"],
        "status": int(status) if status.isdigit() else status,
        "duration_ms": round(int(atoms["D"]) / 1000, 1),
    }
    request_id = atoms["{x-request-id}o"]
    if request_id != "-":
        fields["request_id"] = request_id
    return fields


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
        fields = _gunicorn_access_fields(record.args)
    else:
        fields = {name: getattr(record, name) for name in REQUEST_FIELDS
                  if getattr(record, name, None) is not None}
    if "path" in fields:
        fields["path"] = redact(str(fields["path"]))
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            **_fields(record),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request id]`` for a person reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc_time(record)} {record.levelname:<7} {record.name}: " \
               f"{redact(record.getMessage())}"
        request_id = getattr(record, "request_id", None)
        if request_id:
            line += f" [{request_id}]"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


class _RequestIdFilter(logging.Filter):
    """Tag every line written while a request is handled with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None and has_request_context():
            record.request_id = g.get("request_id")
        return True


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stdout`` is now: pytest and gunicorn replace it after start-up."""

    def __init__(self, log_format: str = "text") -> None:
        super().__init__()
        self.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
        self.addFilter(_RequestIdFilter())

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        """The stream is always the current stdout; StreamHandler's assignment is ignored."""


def configure_root_logger(log_format: str, level: str) -> None:
    """Send every logger's lines to stdout in ``log_format``; safe to call again (tests do)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, StdoutHandler)]:
        root.removeHandler(handler)
    root.addHandler(StdoutHandler(log_format))
    root.setLevel(level)


def gunicorn_logconfig(log_format: str, level: str, *, access_log: bool = True
                       ) -> dict[str, Any]:
    """A ``logconfig_dict`` for gunicorn: its error and access lines in our format on stdout."""
    handler = {"()": StdoutHandler, "log_format": log_format}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": "INFO" if access_log else "WARNING",
                                "handlers": ["stdout"], "propagate": False},
        },
        "handlers": {"stdout": handler},
        "formatters": {},
    }


def _start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _log_request(response: Response) -> Response:
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    request_log.log(
        logging.WARNING if response.status_code >= 500 else logging.INFO,
        "%s %s %s %s ms", request.method, request.path, response.status_code, duration_ms,
        extra={"method": request.method, "path": request.path,
               "status": response.status_code, "duration_ms": duration_ms,
               "remote_addr": request.remote_addr},
    )
    return response


def init_logging(app: Flask) -> None:
    """Configure logging for ``app``; call after every blueprint is registered.

    The routes are read to learn which URL parts are credentials. The request timer runs
    before any other hook, so the logged duration covers the whole request.
    """
    configure_root_logger(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)
    _learn_secret_routes(app)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_log_request)
