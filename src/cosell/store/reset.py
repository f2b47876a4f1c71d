"""Starting over (`tx.reset`): deleting every row cosell keeps, or one account's, in one transaction.

Kept always: the key NextTokens are signed with (a token of before the reset then finds nothing, rather
than failing to verify). Kept unless asked: accounts, their access keys and their partner connections,
so a test suite's accounts outlive a reset between tests. Each table is found in the one MetaData, so a
new table is reset with the others without a line here; a table that names its account in an
`account_id` column is also reset per account.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import BindParameter, Table, and_, bindparam, delete, exists, not_, select

from cosell.domain.identifiers import AWS_ACCOUNT
from cosell.store.engagements import engagement_members, engagement_resources, engagements
from cosell.store.events import deliveries, events
from cosell.store.execution import Query
from cosell.store.invitations import engagement_invitations
from cosell.store.metadata import metadata
from cosell.store.snapshots import resource_snapshots
from cosell.store.tags import tags
from cosell.store.transaction import repository

ALWAYS_KEPT = frozenset({"pagination_keys"})
ACCOUNT_TABLES = frozenset({"accounts", "access_keys", "partner_connections"})


@cache
def _delete_all() -> dict[str, Query]:
    return {table.name: Query(delete(table)) for table in reversed(metadata.sorted_tables)}


def _of_engagement(table: Table) -> Query:
    """Rows of an engagement that no longer exists."""
    e = engagements.c
    return Query(delete(table).where(not_(exists().where(e.catalog == table.c.catalog, e.id == table.c.engagement_id))))


@cache
def _delete_of_account() -> list[Query]:
    """Every statement of a one-account reset, in order."""
    account: BindParameter[str] = bindparam("account_id")
    statements = [Query(delete(table).where(table.c.account_id == account))
                  for table in reversed(metadata.sorted_tables)
                  if "account_id" in table.c and table.name not in ACCOUNT_TABLES | {"engagement_members"}]
    invitations, resources, snapshots = engagement_invitations.c, engagement_resources.c, resource_snapshots.c
    partner = engagement_members.alias("partner")
    statements += [
        # Tags of its resources: their ARNs carry its account (opportunities, snapshot jobs).
        Query(delete(tags).where(tags.c.resource_arn.like(bindparam("arn_pattern")))),
        Query(delete(engagement_invitations).where((invitations.sender_account == account)
                                                   | (invitations.receiver_account == account))),
        Query(delete(engagement_resources).where(resources.owner_account == account)),
        Query(delete(resource_snapshots).where(snapshots.created_by == account)),
        Query(delete(engagement_members).where(engagement_members.c.account_id == account)),
        # Engagements no partner is left in go, with everything of theirs.
        Query(delete(engagements).where(not_(exists(select(partner.c.account_id).where(and_(
            partner.c.catalog == engagements.c.catalog, partner.c.engagement_id == engagements.c.id,
            partner.c.account_id != AWS_ACCOUNT)))))),
        *(_of_engagement(table) for table in (engagement_members, engagement_resources, resource_snapshots,
                                              engagement_invitations)),
        Query(delete(deliveries).where(not_(exists().where(events.c.seq == deliveries.c.event_seq)))),
    ]
    return statements


@repository("reset")
class ResetRepository:
    def __init__(self, tx):
        self._db = tx.db

    def everything(self, *, accounts: bool) -> int:
        """Deletes every table's rows but the kept ones; how many tables it emptied."""
        emptied = 0
        for name, statement in _delete_all().items():
            if name in ALWAYS_KEPT or (name in ACCOUNT_TABLES and not accounts):
                continue
            self._db.execute(statement)
            emptied += 1
        return emptied

    def account(self, account_id: str) -> None:
        """Deletes what belongs to the account: its opportunities, tasks, settings, jobs, rules, webhooks and
        events; its invitations, snapshots and memberships, and the engagements only it took part in."""
        params = {"account_id": account_id, "arn_pattern": f"%:{account_id}:%"}
        for statement in _delete_of_account():
            self._db.execute(statement, params)
