"""cosell's clock: the one source of time for everything cosell writes and schedules.

It is the wall clock, moved by an offset (`advance`, `set`) or frozen at an instant (`freeze`), so a test
can step 15 days ahead and see what AWS would have done by then. Its setting is kept in the database
(store/clock.py), so every server process on it shares one clock: the process that changes it applies
the change at once, the others within `reread_seconds`. What must stay on wall time (SigV4's 15-minute
window, quota windows, time-outs) reads `utc_now` instead.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable

from cosell.timestamps import from_ms, to_ms, utc_now

REREAD_SECONDS = 0.5


class Clock:
    def __init__(self, store, wall: Callable[[], dt.datetime] = utc_now, reread_seconds: float = REREAD_SECONDS):
        self._store = store
        self._wall = wall
        self._reread_seconds = reread_seconds
        self._lock = threading.Lock()
        # (offset, frozen instant or None), replaced whole so that a reader never sees half a change.
        self._setting: tuple[dt.timedelta, dt.datetime | None] = (dt.timedelta(0), None)
        self._read_at = float("-inf")
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> dt.datetime:
        """cosell's time now, to the millisecond."""
        return self.at(self._wall())

    def at(self, wall: dt.datetime) -> dt.datetime:
        """cosell's time when the wall clock reads `wall` (so one request reads the wall clock once)."""
        if time.monotonic() - self._read_at >= self._reread_seconds:
            self._reread()
        offset, frozen = self._setting
        if frozen is not None:
            return frozen
        return wall + offset if offset else wall

    def state(self) -> dict:
        """What `cosell clock show` prints: cosell's time, the wall clock's, and how they relate."""
        wall = self._wall()
        now = self.at(wall)
        return {"Now": now, "WallClock": wall, "Frozen": self._setting[1] is not None,
                "OffsetSeconds": round((now - wall).total_seconds(), 3)}

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Moves the clock ahead (or back) by `delta`; it keeps running, or stays frozen, as it was."""
        def change(offset_ms: int, frozen_ms: int | None) -> tuple[int, int | None]:
            step = delta // dt.timedelta(milliseconds=1)
            return (offset_ms, frozen_ms + step) if frozen_ms is not None else (offset_ms + step, None)
        return self._change(change)

    def set(self, instant: dt.datetime, *, frozen: bool = False) -> dt.datetime:
        """The clock reads `instant` now, and runs on from there (or stays there: `frozen`)."""
        def change(_offset_ms: int, _frozen_ms: int | None) -> tuple[int, int | None]:
            if frozen:
                return 0, to_ms(instant)
            return to_ms(instant) - to_ms(self._wall()), None
        return self._change(change)

    def freeze(self) -> dt.datetime:
        """Stops the clock where it is: it moves only when advanced or set (deterministic tests)."""
        return self._change(lambda offset_ms, frozen_ms: (0, frozen_ms if frozen_ms is not None
                                                          else to_ms(self._wall()) + offset_ms))

    def reset(self) -> dt.datetime:
        """Back to the wall clock."""
        return self._change(lambda _offset_ms, _frozen_ms: (0, None))

    def forget_cached(self) -> None:
        """The next reading rereads the setting from the database (a snapshot replaced it)."""
        self._read_at = float("-inf")

    def on_change(self, listener: Callable[[], None]) -> None:
        """`listener()` after this process changes the clock (the job runner looks for newly due work)."""
        self._listeners.append(listener)

    def _change(self, change: Callable[[int, int | None], tuple[int, int | None]]) -> dt.datetime:
        with self._store.write() as tx:
            offset_ms, frozen_ms = change(*tx.clock.get())
            tx.clock.put(offset_ms, frozen_ms)
        self._apply(offset_ms, frozen_ms)
        for listener in self._listeners:
            listener()
        return self.now()

    def _reread(self) -> None:
        with self._lock:
            if time.monotonic() - self._read_at < self._reread_seconds:
                return  # another thread just did
            with self._store.read() as tx:
                offset_ms, frozen_ms = tx.clock.get()
            self._apply(offset_ms, frozen_ms)

    def _apply(self, offset_ms: int, frozen_ms: int | None) -> None:
        self._setting = (dt.timedelta(milliseconds=offset_ms), None if frozen_ms is None else from_ms(frozen_ms))
        self._read_at = time.monotonic()


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(w|d|h|ms|m|s)")
_UNITS = {"w": dt.timedelta(weeks=1), "d": dt.timedelta(days=1), "h": dt.timedelta(hours=1),
          "m": dt.timedelta(minutes=1), "s": dt.timedelta(seconds=1), "ms": dt.timedelta(milliseconds=1)}


def parse_duration(text: str) -> dt.timedelta:
    """`15d`, `1d12h`, `90m`, `-2h`, `30s`, `250ms` (weeks, days, hours, minutes, seconds, milliseconds);
    ValueError otherwise."""
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    body = body.lstrip("+-")
    parts = _DURATION_PART.findall(body)
    if not body or "".join(number + unit for number, unit in parts) != body:
        raise ValueError(f"not a duration: {text!r} (examples: 15d, 1d12h, 90m, 30s)")
    return sign * sum((float(number) * _UNITS[unit] for number, unit in parts), dt.timedelta(0))
