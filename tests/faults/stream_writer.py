"""One of several processes logging practice streams through the site at the same time.

Run as ``python -m tests.faults.stream_writer DATABASE_URL EMAIL COUNT BUSY_TIMEOUT``; signs
in, prints "ready", waits for a line on stdin, logs COUNT streams, and prints a JSON list:
each response's status, its Retry-After header and whether the page leaked the driver's
"database is locked" message.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile

from academy import create_app
from tests.helpers import TEST_PASSWORD, csrf_token, submit
from tests.practice.factories import WORKED

LEAKS = ("database is locked", "OperationalError", "Traceback")


def main(database_url: str, email: str, count: int, busy_timeout: float) -> None:
    app = create_app({"TESTING": True, "PROPAGATE_TEST_ERRORS": False,
                      "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
                      "COURSES_DIR": tempfile.mkdtemp(), "DATABASE_BUSY_TIMEOUT": busy_timeout})
    logging.disable(logging.CRITICAL)  # stdout carries this script's answer only
    client = app.test_client()
    assert submit(client, "/login", {"email": email, "password": TEST_PASSWORD}).status_code == 302
    token = csrf_token(client, "/practice/new")
    print("ready", flush=True)
    sys.stdin.readline()  # the test says go once it holds the lock
    results = []
    for number in range(count):
        form = {"csrf_token": token, "started_at": f"2026-11-{1 + number % 20:02d}T20:00",
                "duration_min": "60", "platform": "alibaba", "market": "US", "language": "en",
                "stream_role": "host", "currency": "USD",
                **{name: str(value) for name, value in WORKED.items()},
                "notes_md": f"{email} stream {number}"}
        response = client.post("/practice/new", data=form)
        body = response.get_data(as_text=True)
        results.append({"status": response.status_code,
                        "retry_after": response.headers.get("Retry-After"),
                        "leaked": any(leak in body for leak in LEAKS),
                        "notes": form["notes_md"]})
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
