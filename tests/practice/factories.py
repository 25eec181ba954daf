"""Practice streams for tests, valid by default and shaped like a real B2B stream."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from academy.auth.models import User
from academy.practice.models import Platform, PracticeStream, StreamRole
from academy.practice.service import StreamInput

WORKED = {  # the worked example of tests/practice/test_kpi.py
    "viewers_uv": 420, "views_pv": 800, "peak_concurrent": 60, "avg_watch_sec": 95,
    "comments": 88, "engaged_viewers": 63, "new_followers": 21, "product_click_uv": 84,
    "product_clicks": 130, "orders": 9, "buyers": 6, "gmv": Decimal("3600.00"),
    "inquiries": 14, "rfqs": 3, "ad_spend": Decimal("210.00"), "violations": 0,
}


def stream_input(**changes: Any) -> StreamInput:
    values: dict[str, Any] = {
        "started_at": dt.datetime(2026, 11, 20, 20, 0), "duration_min": 60,
        "platform": "alibaba", "market": "US", "language": "en", "stream_role": "host",
        "currency": "USD", **WORKED, **changes,
    }
    return StreamInput(**values)


def add_stream(session: Session, student: User, started_at: dt.datetime, **changes: Any
               ) -> PracticeStream:
    """A stream row written directly (for building large data sets fast)."""
    values: dict[str, Any] = {
        "student_id": student.id, "started_at": started_at, "duration_min": 60,
        "platform": Platform.ALIBABA, "market": "US", "language": "en",
        "stream_role": StreamRole.HOST, "currency": "USD", **WORKED, **changes,
    }
    stream = PracticeStream(**values)
    session.add(stream)
    return stream
