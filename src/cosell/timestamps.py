"""Times as the service writes and reads them: the wall clock at millisecond precision, ISO 8601 on
the wire, integer milliseconds in the database. A leaf module: it imports nothing of cosell's."""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)


def utc_now() -> dt.datetime:
    """The wall clock now, at the millisecond precision the service reports. (A whole number of
    milliseconds over 1000 is exact to the microsecond as a float at today's epoch seconds.)"""
    return dt.datetime.fromtimestamp(time.time_ns() // 1_000_000 / 1000, UTC)


def format_timestamp(value: dt.datetime) -> str:
    """ISO 8601 in UTC, to the millisecond: 2025-07-01T12:00:00.000Z (isoformat: strftime costs more)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"  # its "+00:00" written as Z


def parse_timestamp(value: object) -> dt.datetime | None:
    """ISO 8601 (what the model's iso8601 format sends) or epoch seconds, as an aware UTC datetime;
    None when unreadable."""
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


@lru_cache(maxsize=256)
def parse_stored(text: str) -> dt.datetime:
    """A timestamp cosell wrote itself (format_timestamp); cached, as an update reads its stored
    LastModifiedDate several times."""
    parsed = parse_timestamp(text)
    if parsed is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return parsed


def to_ms(value: dt.datetime) -> int:
    """Milliseconds since the epoch: how the database keeps times (sortable, exact)."""
    return (value - EPOCH) // _MILLISECOND


def from_ms(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=value)


def ms_at_or_after(moment: dt.datetime) -> int:
    """The first whole millisecond not before `moment` (stored times are whole milliseconds)."""
    return -((EPOCH - moment) // _MILLISECOND)
