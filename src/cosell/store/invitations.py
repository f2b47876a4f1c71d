"""Engagement invitations: `tx.invitations`, and ListEngagementInvitations' declarations (one for the
invitations the caller received, one for those it sent).

A PENDING invitation whose expiration has passed is EXPIRED whether or not the sweeper has recorded it
(domain/engagement.py effective_status): the Status filter asks the clock too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, ColumnElement, Index, String, Table, Text, and_, bindparam, insert, or_, select, update

from cosell import json_text
from cosell.domain.engagement import ACCEPTED, EXPIRED, PENDING, REJECTED
from cosell.store.engagements import engagement_ids, ids_in
from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import Conditions, Custom, ListDeclaration, OneOf, QueryContext
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

engagement_invitations = Table(
    "engagement_invitations",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", sortable(32), primary_key=True),
    Column("engagement_id", String(32), nullable=False),
    Column("sender_account", String(12), nullable=False),  # an account, or "aws"
    Column("receiver_account", String(12), nullable=False),
    Column("payload_type", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # as recorded; see the module doc
    Column("invited_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger),
    Column("document", Text, nullable=False),  # the invitation as GetEngagementInvitation shows it, JSON
)
Index("engagement_invitations_received", engagement_invitations.c.receiver_account, engagement_invitations.c.catalog,
      engagement_invitations.c.invited_ms, engagement_invitations.c.id)
Index("engagement_invitations_sent", engagement_invitations.c.sender_account, engagement_invitations.c.catalog,
      engagement_invitations.c.invited_ms, engagement_invitations.c.id)
Index("engagement_invitations_by_engagement", engagement_invitations.c.catalog, engagement_invitations.c.engagement_id)

_c = engagement_invitations.c
_KEY = (_c.catalog == bindparam("catalog"), _c.id == bindparam("id"))
_INSERT = Query(insert(engagement_invitations))
_GET = Query(select(_c.document, _c.status, _c.sender_account, _c.receiver_account).where(*_KEY))
_SET_STATUS = Query(update(engagement_invitations).where(*_KEY, _c.status == bindparam("expected"))
                    .values(status=bindparam("status"), document=bindparam("document")))
_OF_ENGAGEMENT = Query(select(_c.id, _c.receiver_account, _c.status, _c.expires_ms, _c.payload_type)
                       .where(_c.catalog == bindparam("catalog"), _c.engagement_id == bindparam("engagement_id"))
                       .order_by(_c.invited_ms, _c.id))


@repository("invitations")
class InvitationRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, catalog: str, document: dict, sender: str, receiver: str, invited: dt.datetime,
               expires: dt.datetime | None) -> None:
        self._db.execute(_INSERT, {
            "catalog": catalog, "id": document["Id"], "engagement_id": document["EngagementId"],
            "sender_account": sender, "receiver_account": receiver, "payload_type": document["PayloadType"],
            "status": document["Status"], "invited_ms": to_ms(invited),
            "expires_ms": None if expires is None else to_ms(expires), "document": json_text.compact(document)})

    def get(self, catalog: str, invitation_id: str) -> dict | None:
        """The stored invitation document, with its sender and receiver (`SenderAccount`, `ReceiverAccount`)."""
        row = self._db.first(_GET, {"catalog": catalog, "id": invitation_id})
        if row is None:
            return None
        return {**json_text.loads(row.document), "Status": row.status, "SenderAccount": row.sender_account,
                "ReceiverAccount": row.receiver_account}

    def set_status(self, catalog: str, document: dict, expected: str) -> bool:
        """Records the invitation's new status (and document) if it still has `expected`; False if not."""
        stored = {key: value for key, value in document.items() if key not in ("SenderAccount", "ReceiverAccount")}
        return self._db.execute(_SET_STATUS, {"catalog": catalog, "id": document["Id"], "expected": expected,
                                              "status": document["Status"],
                                              "document": json_text.compact(stored)}).rowcount == 1

    def of_engagement(self, catalog: str, engagement_id: str) -> list[dict]:
        """{Id, Receiver, Status, ExpirationDate, PayloadType} of every invitation of an engagement."""
        return [{"Id": invitation_id, "Receiver": receiver, "Status": status, "PayloadType": kind,
                 "ExpirationDate": None if expires_ms is None else from_ms(expires_ms)}
                for invitation_id, receiver, status, expires_ms, kind in
                self._db.tuples(_OF_ENGAGEMENT, {"catalog": catalog, "engagement_id": engagement_id})]


# --- ListEngagementInvitations ------------------------------------------------------------------------

def _statuses(request) -> tuple | None:
    values = request.get("Status")
    return tuple(sorted(set(values))) if values else None


def _of_status(conditions: Conditions, value: tuple, query: QueryContext) -> None:
    """Status as it is now: a PENDING invitation is EXPIRED from its expiration on."""
    assert query.now is not None, "the invitation lists page with cosell's time"

    def status_is(status: str, now_ms) -> ColumnElement:
        if status == PENDING:
            return and_(_c.status == PENDING, or_(_c.expires_ms.is_(None), _c.expires_ms > now_ms))
        if status == EXPIRED:
            return or_(_c.status == EXPIRED, and_(_c.status == PENDING, _c.expires_ms <= now_ms))
        return _c.status == status

    statuses = [status for status in value if status in (PENDING, ACCEPTED, REJECTED, EXPIRED)]
    conditions.add(f"status in {','.join(statuses)}", [to_ms(query.now)],
                   lambda binds: or_(*(status_is(status, binds[0]) for status in statuses)))


def _declaration(operation: str, owner: Column) -> ListDeclaration:
    return ListDeclaration(
        operation=operation,
        table=engagement_invitations,
        owner=owner,
        catalog=_c.catalog,
        tie_breaker=_c.id,
        sorts={"InvitationDate": _c.invited_ms},
        default_sort="InvitationDate",  # observed newest first (§1.10)
        columns=(_c.document, _c.status),
        item=lambda row: {**json_text.loads(row[0]), "Status": row[1]},
        filters=(
            OneOf("PayloadType", _c.payload_type),
            Custom("Status", _statuses, _of_status),
            Custom("EngagementIdentifier", engagement_ids("EngagementIdentifier"), ids_in(_c.engagement_id)),
            OneOf("SenderAwsAccountId", _c.sender_account),
        ),
    )


# One declaration per ParticipantType, each its own NextToken scope.
RECEIVED_INVITATION_LIST = _declaration("ListEngagementInvitations/RECEIVER", _c.receiver_account)
SENT_INVITATION_LIST = _declaration("ListEngagementInvitations/SENDER", _c.sender_account)
