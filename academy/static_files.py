"""Static files with fingerprinted URLs and a year-long cache, WhiteNoise-style, in Flask itself.

``url_for('static', filename='css/app.css')`` yields ``/static/css/app.css?v=<8 hex>``, the
start of the SHA-256 of the file's bytes. A request carrying the file's current fingerprint may
be cached for a year (``immutable``): new bytes get a new URL, so no browser or proxy ever shows
a stale stylesheet after a deploy. A request without it, or with an old one (a page cached
before the deploy), is cached for five minutes only.

Fingerprints are computed once per process: the files do not change under a running
production server. In development they are checked against the file's modification time, so
an edited stylesheet gets a new URL at once.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from flask import Flask, current_app, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

VERSION_ARG = "v"
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"
_CHUNK = 1 << 16


class StaticFingerprints:
    """The fingerprint of each file under a static folder, cached per file."""

    def __init__(self, folder: str, *, watch: bool) -> None:
        self.folder = folder
        self.watch = watch
        self._known: dict[str, tuple[tuple[int, int] | None, str]] = {}

    def _stamp(self, path: str) -> tuple[int, int]:
        status = os.stat(path)
        return status.st_mtime_ns, status.st_size

    def fingerprint(self, filename: str) -> str | None:
        """The file's fingerprint, or None when there is no such file under the folder."""
        known = self._known.get(filename)
        if known is not None and not self.watch:
            return known[1]
        path = safe_join(self.folder, filename)
        if path is None or not os.path.isfile(path):
            return None
        stamp = self._stamp(path) if self.watch else None
        if known is not None and known[0] == stamp:
            return known[1]
        digest = hashlib.sha256()
        with Path(path).open("rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
        fingerprint = digest.hexdigest()[:8]
        self._known[filename] = (stamp, fingerprint)
        return fingerprint


def _fingerprints() -> StaticFingerprints:
    return current_app.extensions["academy_static_fingerprints"]  # type: ignore[no-any-return]


def _add_fingerprint(endpoint: str, values: dict[str, Any]) -> None:
    """A ``url_defaults`` hook: give static URLs their file's fingerprint."""
    if endpoint == "static" and "filename" in values and VERSION_ARG not in values:
        fingerprint = _fingerprints().fingerprint(values["filename"])
        if fingerprint is not None:
            values[VERSION_ARG] = fingerprint


def _set_cache_control(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    asked = request.args.get(VERSION_ARG)
    filename = (request.view_args or {}).get("filename", "")
    current = asked is not None and asked == _fingerprints().fingerprint(filename)
    response.headers["Cache-Control"] = LONG_CACHE if current else SHORT_CACHE
    return response


def init_static_files(app: Flask) -> None:
    """Fingerprint the URLs of ``app``'s static folder and set their cache headers."""
    assert app.static_folder is not None
    app.extensions["academy_static_fingerprints"] = StaticFingerprints(
        app.static_folder, watch=app.config["ENV_NAME"] != "production")
    app.url_defaults(_add_fingerprint)
    app.after_request(_set_cache_control)
