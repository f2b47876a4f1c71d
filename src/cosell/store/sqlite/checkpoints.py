"""Checkpoints: copying the WAL back into the database file, and syncing that.

They are not left to the commit that crosses SQLite's threshold, which would hold the writer's lock
through them and stall every writer: the writer connection never checkpoints, and a checkpointer
thread runs PASSIVE checkpoints, which neither wait for nor block writers, on a connection of its own.
Such a checkpoint cannot catch up with a writer that never stops, and SQLite only starts the WAL file
over once it has: so when the WAL passes StoreTuning.restart_wal_frames, the writer finishes the
checkpoint itself right after a commit, still holding the writer's lock, and the next batch starts the
file over. Most frames are already copied by then, so the writers wait for little more than a sync.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from cosell.store.sqlite.connections import connect_sqlite


class Checkpointer:
    """Copies committed WAL frames into the database file, on its own thread and connection, at
    most every `interval_seconds` while there are commits (see the module doc)."""

    def __init__(self, database: Path, interval_seconds: float, restart_wal_frames: int):
        self._connection = connect_sqlite(database)
        self._interval = interval_seconds
        self._restart_wal_frames = restart_wal_frames
        self._due = threading.Event()
        self._closing = threading.Event()
        self._wal_is_long = False  # set here, acted on by the writer after a commit
        self._thread = threading.Thread(target=self._run, name="cosell-checkpoint", daemon=True)
        self._thread.start()

    def due(self) -> None:
        self._due.set()

    def finish_if_wal_is_long(self, writer: sqlite3.Connection) -> None:
        """On the writer, between two batches: completes the checkpoint so that the WAL starts over."""
        if self._wal_is_long:
            self._wal_is_long = False
            try:
                writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # the next long WAL tries again

    def _run(self) -> None:
        while True:
            self._due.wait()
            if self._closing.wait(self._interval):  # commits in the meantime share this checkpoint
                return
            self._due.clear()
            try:
                _busy, wal_frames, _copied = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                continue  # busy or failing: the WAL keeps the data, and the next checkpoint tries again
            if wal_frames >= self._restart_wal_frames:
                self._wal_is_long = True

    def close(self) -> None:
        self._closing.set()
        self._due.set()
        self._thread.join(timeout=10)
        self._connection.close()
