"""Snapshots of cosell's whole state (`cosell snapshot save|load`, GET/PUT /_cosell/state): a JSON document of
every table's rows, tagged with the schema revision it was taken at. Loading one replaces everything —
accounts and keys included — with what was saved; a snapshot of another schema revision is refused with
both revisions named. Taken on SQLite, a snapshot loads into PostgreSQL, and back (store/state.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.protocol.errors import ValidationError
from cosell.store.migrations import HEAD_REVISION
from cosell.timestamps import format_timestamp, utc_now

FORMAT = "cosell-snapshot"
VERSION = 1


def save(store) -> dict[str, Any]:
    with store.read() as tx:
        tables = tx.state.dump()
    return {"Format": FORMAT, "Version": VERSION, "SchemaRevision": HEAD_REVISION, "SavedAt": format_timestamp(utc_now()),
            "Tables": tables}


def load(store, document: Mapping[str, Any]) -> dict[str, Any]:
    """Replaces the store's whole state with the snapshot's; rows per table."""
    if document.get("Format") != FORMAT or document.get("Version") != VERSION:
        raise ValidationError.of_field("Format", f"This is not a cosell snapshot (Format {FORMAT}, Version {VERSION}).")
    if document.get("SchemaRevision") != HEAD_REVISION:
        raise ValidationError.of_field(
            "SchemaRevision", f"The snapshot was taken at schema revision {document.get('SchemaRevision')}; this "
                              f"cosell's is {HEAD_REVISION}: load it with the cosell that saved it.")
    tables = document.get("Tables")
    if not isinstance(tables, Mapping):
        raise ValidationError.of_field("Tables", "Tables must be an object of tables.")
    try:
        with store.write() as tx:
            counts = tx.state.restore(dict(tables))
    except (ValueError, TypeError, KeyError) as error:
        raise ValidationError.of_field("Tables", f"The snapshot cannot be loaded: {error}") from None
    store.forget_cached()
    return {"Loaded": document.get("SavedAt"), "Rows": sum(counts.values()), "Tables": counts}
