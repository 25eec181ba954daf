"""Log three practice streams through the Live Academy API and print the KPIs it derives.

Uses only the standard library. Create a token with write access on the site's account page
(/account/tokens), then run:

    LIVE_ACADEMY_URL=http://127.0.0.1:5000 LIVE_ACADEMY_TOKEN=la_... python examples/api_streams.py

A logging app or a platform export would post its own numbers the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

# Three streams of one week: a first try, a better one, a rehearsal with no sales.
STREAMS = [
    {"duration_min": 60, "platform": "alibaba", "market": "US", "language": "en",
     "stream_role": "host", "viewers_uv": 420, "views_pv": 800, "peak_concurrent": 60,
     "avg_watch_sec": 95, "comments": 88, "engaged_viewers": 63, "new_followers": 21,
     "product_click_uv": 84, "product_clicks": 130, "orders": 9, "buyers": 6, "gmv": "3600.00",
     "currency": "USD", "inquiries": 14, "rfqs": 3, "ad_spend": "210.00"},
    {"duration_min": 90, "platform": "tiktok_shop", "market": "GB", "language": "en",
     "stream_role": "host", "viewers_uv": 1250, "views_pv": 2900, "peak_concurrent": 140,
     "avg_watch_sec": 130, "comments": 310, "engaged_viewers": 240, "new_followers": 75,
     "product_click_uv": 260, "product_clicks": 410, "orders": 31, "buyers": 27,
     "gmv": "1984.50", "currency": "EUR"},
    {"duration_min": 30, "platform": "alibaba", "market": "DE", "language": "en",
     "stream_role": "deputy_host", "is_rehearsal": True, "viewers_uv": 35, "views_pv": 40,
     "peak_concurrent": 9, "avg_watch_sec": 60, "engaged_viewers": 4},
]


def call(base_url: str, token: str, method: str, path: str,
         body: dict[str, Any] | None = None) -> Any:
    """Send one API request and return its JSON; raise SystemExit with the problem on error."""
    if not base_url.startswith(("http://", "https://")):
        raise SystemExit("LIVE_ACADEMY_URL must start with http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        base_url.rstrip("/") + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json",
                 **({"Content-Type": "application/json"} if body is not None else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        raise SystemExit(f"{method} {path}: {error.code} {problem.get('detail')} "
                         f"{problem.get('errors', '')}") from None


def show(value: float | None, kind: str, currency: str) -> str:
    """A KPI as the site shows it: a rate in percent, money in the stream's currency."""
    if value is None:
        return "—"
    if kind == "money":
        return f"{value:,.2f} {currency}"
    return f"{round(value * 100, 1)}%"


def main() -> int:
    base_url = os.environ.get("LIVE_ACADEMY_URL", "http://127.0.0.1:5000")
    token = os.environ.get("LIVE_ACADEMY_TOKEN", "")
    if not token:
        print("Set LIVE_ACADEMY_TOKEN to a token with write access.", file=sys.stderr)
        return 2
    # The API's own description says which KPIs are rates and which are money.
    described = call(base_url, token, "GET", "/api/v1/openapi.json")
    kinds = {key: schema["x-kpi-kind"] for key, schema
             in described["components"]["schemas"]["Kpis"]["properties"].items()}
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for days_ago, numbers in zip((5, 3, 1), STREAMS, strict=True):
        started = (now - dt.timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
        posted = call(base_url, token, "POST", "/api/v1/me/streams",
                      {"started_at": started, **numbers})
        stream = call(base_url, token, "GET", f"/api/v1/me/streams/{posted['id']}")
        print(f"Stream {stream['id']}: {stream['started_at']} {stream['platform']} "
              f"{stream['stream_role']}")
        for kpi, value in stream["kpis"].items():
            print(f"  {kpi:<22} {show(value, kinds[kpi], stream['currency'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
