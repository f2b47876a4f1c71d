"""Reading a live server's event log (/_cosell/events) in tests: the cursor now, and what came after it."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from conftest import LiveServer


def log_page(live: LiveServer, **parameters) -> dict:
    query = urllib.parse.urlencode([(name.replace("_", "-"), value) for name, values in parameters.items()
                                    for value in (values if isinstance(values, list) else [values])])
    with urllib.request.urlopen(f"{live.url}/_cosell/events?{query}", timeout=10) as response:
        return json.loads(response.read())


def cursor(live: LiveServer) -> str:
    """The cursor after the newest event."""
    return log_page(live, tail=1)["Cursor"]


def events_after(live: LiveServer, after: str, account: str | None = None, settle: float = 0.3,
                 expect: int | None = None, timeout: float = 10) -> list[dict]:
    """Every event after the cursor (of `account`), once `expect` of them have come (or, without
    `expect`, once none came for `settle` seconds)."""
    deadline = time.monotonic() + timeout
    seen: list[dict] = []
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        filters = {"account": account} if account else {}
        now = log_page(live, after=after, limit=1000, **filters)["Events"]
        if len(now) != len(seen):
            seen, quiet_since = now, time.monotonic()
        if expect is not None and len(seen) >= expect:
            return seen
        if expect is None and time.monotonic() - quiet_since >= settle:
            return seen
        time.sleep(0.05)
    return seen


def kinds(events: list[dict]) -> list[tuple[str, str]]:
    """(account, detail-type) of each event, sorted: AWS promises no order."""
    return sorted((event["account"], event["detail-type"]) for event in events)
