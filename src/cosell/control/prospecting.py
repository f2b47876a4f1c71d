"""Playing AWS: which engagements AWS fails to prospect (`cosell aws prospecting fail|succeed|marks`,
/_cosell/aws/prospecting-failures). A marked engagement ends FAILED, with the mark's ReasonCode and
Message, in every prospecting task that reaches it afterwards; the others complete with a
ProspectingResult (operations/prospecting.py)."""

from __future__ import annotations

from cosell.domain import prospecting
from cosell.domain.violations import Violation
from cosell.protocol.errors import NotFoundError, ValidationError


def mark_failure(store, catalog: str, engagement_id: str, reason_code: str | None, message: str | None) -> dict:
    if not engagement_id.startswith("eng-"):
        raise ValidationError.from_violations([Violation("engagementId", "INVALID_VALUE",
                                                         f"{engagement_id} is not an engagement id (eng-...).")])
    reason_code = reason_code or prospecting.MARKED_REASON
    message = message or prospecting.MARKED_MESSAGE
    with store.write() as tx:
        tx.prospecting_marks.mark(catalog, engagement_id, reason_code, message)
    return {"Catalog": catalog, "EngagementId": engagement_id, "ReasonCode": reason_code, "Message": message}


def clear_failure(store, catalog: str, engagement_id: str) -> dict:
    with store.write() as tx:
        if not tx.prospecting_marks.unmark(catalog, engagement_id):
            raise NotFoundError(f"Engagement {engagement_id} is not marked to fail prospecting in catalog {catalog}.")
    return {"Catalog": catalog, "EngagementId": engagement_id}


def failures(store) -> list[dict]:
    with store.read() as tx:
        return tx.prospecting_marks.all()
