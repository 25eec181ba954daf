"""Gunicorn settings for Live Academy: ``gunicorn -c gunicorn.conf.py "academy:create_app()"``.

Each default can be changed by an environment variable, so one file serves every host:

| variable | default | meaning |
|---|---|---|
| ``ACADEMY_BIND`` | ``127.0.0.1:8000`` | where to listen; a reverse proxy in front terminates TLS |
| ``ACADEMY_WORKERS`` | 2 × CPU cores (at least 2) | worker processes |
| ``ACADEMY_THREADS`` | 4 | threads per worker (gthread) |
| ``ACADEMY_TIMEOUT`` | 30 | seconds a request may run before its worker is restarted |
| ``ACADEMY_GRACEFUL_TIMEOUT`` | 30 | seconds running requests get to finish on a restart |
| ``ACADEMY_KEEPALIVE`` | 5 | seconds an idle keep-alive connection stays open |
| ``ACADEMY_MAX_REQUESTS`` | 10000 | requests before a worker is replaced (± 10 % jitter) |
| ``ACADEMY_ACCESS_LOG`` | ``on`` | gunicorn's access line per request, on stdout |

gthread workers: a thread waiting for the database or a slow client does not block the
worker's other requests, and the threads share one connection pool. Workers share nothing in
memory that matters (sessions are cookies, throttles and locks live in the database), so any
number of them, on any number of hosts, serve the same site.

Logs go to stdout in the app's format (``ACADEMY_LOG_FORMAT``, JSON in production): gunicorn's
error and access lines use the same formatter as the app's own lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from academy.config import load_config
from academy.logging_setup import gunicorn_logconfig


def _number(name: str, default: int) -> int:
    raw = os.environ.get(f"ACADEMY_{name}", "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        raise SystemExit(f"ACADEMY_{name} must be a whole number, not {raw!r}") from None


# Only the logging settings are read here, by the same rules as the app's (JSON in production);
# the workers read everything else when they build the app. The key override keeps this read
# from generating or demanding a secret key.
_logging = load_config({key: value for key, value in os.environ.items()
                        if key in ("ACADEMY_ENV", "ACADEMY_LOG_FORMAT", "ACADEMY_LOG_LEVEL")},
                       Path(os.devnull), overrides={"SECRET_KEY": "unused"})

bind = os.environ.get("ACADEMY_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = _number("WORKERS", max(2, 2 * (os.cpu_count() or 1)))
threads = _number("THREADS", 4)
timeout = _number("TIMEOUT", 30)
graceful_timeout = _number("GRACEFUL_TIMEOUT", 30)
keepalive = _number("KEEPALIVE", 5)
# Restart a worker now and then (with jitter, so they do not all restart at once): a slow leak
# in any library never grows without bound.
max_requests = _number("MAX_REQUESTS", 10_000)
max_requests_jitter = max_requests // 10

_access_log = os.environ.get("ACADEMY_ACCESS_LOG", "on").lower() not in ("off", "0", "false", "no")
accesslog = "-" if _access_log else None
errorlog = "-"
# The request id matches the app's own line for the same request.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
logconfig_dict = gunicorn_logconfig(_logging["LOG_FORMAT"], _logging["LOG_LEVEL"],
                                    access_log=_access_log)
