"""Writing a new version of an opportunity: the one place for every operation that changes one
(updates, associations, submissions, AWS's review, the engagement operations), so each change is an
"Opportunity Updated" event for its owner, and each of its Running snapshot jobs runs.

The write is optimistic: it only lands if the stored version is still the one read (its
LastModifiedDate); otherwise ConflictException, as UpdateOpportunity answers a stale LastModifiedDate.
"""

from __future__ import annotations

import datetime as dt

from cosell.domain.opportunity import last_modified
from cosell.operations import event_outbox, snapshot_records
from cosell.protocol.errors import ConflictError
from cosell.timestamps import format_timestamp


def save(tx, owner: str, stored: dict, changed: dict, when: dt.datetime) -> dict:
    """Stores `changed` as the new version of `stored`, modified `when`; the saved document."""
    changed = {**changed, "LastModifiedDate": format_timestamp(when)}
    if not tx.opportunities.replace(owner, changed, last_modified(stored), when):
        raise ConflictError(f"Opportunity {stored['Id']} was modified by another request; "
                            "fetch it with GetOpportunity and retry with its LastModifiedDate.")
    event_outbox.opportunity_updated(tx, owner, changed["Catalog"], changed["Id"], when)
    snapshot_records.run_jobs_of(tx, owner, changed, when)
    return changed
