"""`cosell events tail [--follow]`: the last events of a running server, one EventBridge envelope (JSON) a
line, then, with --follow, each new one as the server's event stream (/_cosell/events/stream) sends it;
a dropped stream is resumed from the last event printed."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

RECONNECT_SECONDS = 1.0


def _query(lines: int | None, after: str | None, detail_types: list[str] | None, account_id: str | None,
           catalog: str | None) -> str:
    parameters: list[tuple[str, str]] = [("detail-type", name) for name in detail_types or []]
    if account_id:
        parameters.append(("account", account_id))
    if catalog:
        parameters.append(("catalog", catalog))
    if lines:
        parameters.append(("tail", str(lines)))
    if after is not None:
        parameters.append(("after", after))
    return urllib.parse.urlencode(parameters)


def tail(endpoint: str, lines: int, follow: bool, detail_types: list[str] | None, account_id: str | None,
         catalog: str | None, headers: dict[str, str]) -> int:
    base = endpoint.rstrip("/")
    after = "latest"
    try:
        if lines > 0:
            request = urllib.request.Request(f"{base}/_cosell/events?{_query(lines, None, detail_types, account_id, catalog)}",
                                             headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                page = json.loads(response.read())
            for event in page["Events"]:
                print(json.dumps(event, separators=(",", ":")), flush=True)
            after = page["Cursor"] if page["Events"] else "latest"
        if follow:
            _follow(base, after, detail_types, account_id, catalog, headers)
    except urllib.error.HTTPError as error:
        answer = json.loads(error.read() or b"{}")
        print(f"{answer.get('__type', error.code)}: {answer.get('Message', '')}", file=sys.stderr)
        return 1
    except urllib.error.URLError as error:
        print(f"cannot reach cosell at {endpoint}: {error.reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


def _follow(base: str, after: str, detail_types, account_id, catalog, headers: dict[str, str]) -> None:
    """Prints the stream's events until interrupted, reconnecting (from the last one printed) when it drops."""
    while True:
        url = f"{base}/_cosell/events/stream?{_query(None, after, detail_types, account_id, catalog)}"
        request = urllib.request.Request(url, headers={**headers, "Accept": "text/event-stream"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                for raw in response:
                    line = raw.decode().rstrip("\n")
                    if line.startswith("id: "):
                        after = line[4:]
                    elif line.startswith("data: "):
                        print(line[6:], flush=True)
        except (TimeoutError, ConnectionError, urllib.error.URLError) as error:
            if isinstance(error, urllib.error.HTTPError):
                raise
            if isinstance(error, urllib.error.URLError) and after == "latest":
                raise
        time.sleep(RECONNECT_SECONDS)
