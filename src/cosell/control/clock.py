"""`cosell clock show|advance|set|freeze|reset` and /_cosell/clock: cosell's clock (cosell/clock.py), moved
by the tester. Everything cosell writes and schedules follows it; SigV4 and quota windows stay on wall time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.clock import Clock, parse_duration
from cosell.protocol.errors import ValidationError
from cosell.timestamps import format_timestamp, parse_timestamp

ACTIONS = ("show", "advance", "set", "freeze", "reset")


def shown(clock: Clock) -> dict:
    state = clock.state()
    return {"Now": format_timestamp(state["Now"]), "WallClock": format_timestamp(state["WallClock"]),
            "Frozen": state["Frozen"], "OffsetSeconds": state["OffsetSeconds"]}


def change_clock(clock: Clock, body: Mapping[str, Any]) -> dict:
    """{Action: show|advance|set|freeze|reset, By: "15d" (advance), To: ISO 8601 (set), Frozen: bool (set)}
    → the clock as it is afterwards."""
    action = body.get("Action") or "show"
    if action not in ACTIONS:
        raise ValidationError.of_field("Action", f"Action must be one of {', '.join(ACTIONS)}, not {action!r}.")
    if action == "advance":
        try:
            clock.advance(parse_duration(str(body.get("By") or "")))
        except ValueError as error:
            raise ValidationError.of_field("By", str(error)) from None
    elif action == "set":
        instant = parse_timestamp(body.get("To"))
        if instant is None:
            raise ValidationError.of_field("To", "To must be a timestamp, e.g. 2027-01-01T00:00:00Z.")
        clock.set(instant.astimezone(dt.UTC), frozen=bool(body.get("Frozen")))
    elif action == "freeze":
        clock.freeze()
    elif action == "reset":
        clock.reset()
    return shown(clock)
