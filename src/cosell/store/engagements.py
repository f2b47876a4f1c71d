"""Engagements, their members and the resources associated with them: `tx.engagements`, and the
declarations of ListEngagements and ListEngagementResourceAssociations.

An engagement is seen by its members only (operations/engagements.py): lookups and lists join the
members table on the caller's account. AWS is a member as the pseudo-account `aws`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, and_, bindparam, false, func, insert, or_, select, update

from cosell import json_text
from cosell.domain.identifiers import identified
from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import Conditions, Custom, Equal, ListDeclaration, OneOf, QueryContext
from cosell.store.transaction import repository
from cosell.timestamps import parse_stored, to_ms

engagements = Table(
    "engagements",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", sortable(32), primary_key=True),
    Column("created_by", String(12), nullable=False),  # an account, or "aws"
    Column("created_ms", BigInteger, nullable=False),
    Column("modified_ms", BigInteger, nullable=False),
    Column("context_types", String(128), nullable=False),  # ",Lead,CustomerProject," for the list filters
    Column("document", Text, nullable=False),  # Id, Arn, Title, Description, CreatedAt/By, ModifiedAt/By, Contexts
)

engagement_members = Table(
    "engagement_members",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("engagement_id", sortable(32), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("company_name", String(120), nullable=False),
    Column("website_url", String(255)),
    Column("joined_ms", BigInteger, nullable=False),
    # the engagement's CreatedAt, so that a member's list of engagements is one index range in order
    Column("engagement_created_ms", BigInteger, nullable=False),
)
Index("engagement_members_by_account", engagement_members.c.account_id, engagement_members.c.catalog,
      engagement_members.c.engagement_created_ms, engagement_members.c.engagement_id)

# Which resource (an opportunity) belongs to which engagement, and whose it is.
engagement_resources = Table(
    "engagement_resources",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("engagement_id", String(32), primary_key=True),
    Column("resource_type", String(32), primary_key=True),
    Column("resource_id", String(24), primary_key=True),
    # "<engagement id>/<resource type>/<resource id>": the order ListEngagementResourceAssociations pages in
    Column("association", sortable(96), nullable=False),
    Column("owner_account", String(12), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
Index("engagement_resources_by_resource", engagement_resources.c.catalog, engagement_resources.c.resource_type,
      engagement_resources.c.resource_id)

_e, _m, _r = engagements.c, engagement_members.c, engagement_resources.c
_INSERT = Query(insert(engagements))
_INSERT_MEMBER = Query(insert(engagement_members))
_INSERT_RESOURCE = Query(insert(engagement_resources))
_KEY = (_e.catalog == bindparam("catalog"), _e.id == bindparam("id"))
_GET = Query(select(_e.document).where(*_KEY))
_GET_FOR_MEMBER = Query(select(_e.document).select_from(engagements.join(
    engagement_members, and_(_m.catalog == _e.catalog, _m.engagement_id == _e.id)))
    .where(*_KEY, _m.account_id == bindparam("account_id")))
_LOCK = Query(select(_e.id).where(*_KEY).with_for_update())
_REPLACE = Query(update(engagements).where(*_KEY, _e.modified_ms == bindparam("expected_ms"))
                 .values(modified_ms=bindparam("modified_ms"), context_types=bindparam("context_types"),
                         document=bindparam("document")))
_OF_ENGAGEMENT = (_m.catalog == bindparam("catalog"), _m.engagement_id == bindparam("id"))
_MEMBERS = Query(select(_m.account_id, _m.company_name, _m.website_url).where(*_OF_ENGAGEMENT)
                 .order_by(_m.joined_ms, _m.account_id))
_MEMBER_COUNT = Query(select(func.count()).select_from(engagement_members).where(*_OF_ENGAGEMENT))
_IS_MEMBER = Query(select(_m.account_id).where(*_OF_ENGAGEMENT, _m.account_id == bindparam("account_id")))
_RESOURCES_OF = Query(select(_r.engagement_id, _r.resource_id, _r.owner_account)
                      .where(_r.catalog == bindparam("catalog"), _r.resource_type == bindparam("resource_type"),
                             _r.resource_id == bindparam("resource_id")))
_RESOURCES_IN = Query(select(_r.resource_type, _r.resource_id, _r.owner_account)
                      .where(_r.catalog == bindparam("catalog"), _r.engagement_id == bindparam("id"))
                      .order_by(_r.created_ms, _r.association))
_mine = engagement_members.alias("mine")
_OF_MEMBER = (_mine.c.catalog == bindparam("catalog"), _mine.c.account_id == bindparam("account_id"))
_DOCUMENTS_OF_MEMBER = Query(select(_e.document).select_from(engagements.join(
    _mine, and_(_mine.c.catalog == _e.catalog, _mine.c.engagement_id == _e.id))).where(*_OF_MEMBER))
_MEMBERS_OF_MEMBER = Query(select(_m.engagement_id, _m.account_id, _m.company_name, _m.website_url)
                           .select_from(engagement_members.join(
                               _mine, and_(_mine.c.catalog == _m.catalog, _mine.c.engagement_id == _m.engagement_id)))
                           .where(*_OF_MEMBER).order_by(_m.engagement_id, _m.joined_ms, _m.account_id))
_SET_OWNER = Query(update(engagement_resources)
                   .where(_r.catalog == bindparam("catalog"), _r.resource_type == bindparam("resource_type"),
                          _r.resource_id == bindparam("resource_id"))
                   .values(owner_account=bindparam("owner_account")))


def _context_types(document: dict) -> str:
    return "," + ",".join(context["Type"] for context in document.get("Contexts") or []) + ","


@repository("engagements")
class EngagementRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, catalog: str, document: dict, created: dt.datetime) -> None:
        self._db.execute(_INSERT, {"catalog": catalog, "id": document["Id"], "created_by": document["CreatedBy"],
                                   "created_ms": to_ms(created), "modified_ms": to_ms(created),
                                   "context_types": _context_types(document), "document": json_text.compact(document)})

    def get(self, catalog: str, engagement_id: str, member: str | None = None) -> dict | None:
        """The engagement; with `member`, only if that account is one of its members."""
        if member is None:
            document = self._db.value(_GET, {"catalog": catalog, "id": engagement_id})
        else:
            document = self._db.value(_GET_FOR_MEMBER, {"catalog": catalog, "id": engagement_id, "account_id": member})
        return None if document is None else json_text.loads(document)

    def lock(self, catalog: str, engagement_id: str) -> None:
        """Requests changing this engagement take turns (PostgreSQL; SQLite's writers always do)."""
        self._db.value(_LOCK, {"catalog": catalog, "id": engagement_id})

    def replace(self, catalog: str, document: dict, expected_modified: dt.datetime, modified: dt.datetime) -> bool:
        """Stores the new version if the stored one was last modified at `expected_modified`."""
        return self._db.execute(_REPLACE, {"catalog": catalog, "id": document["Id"], "expected_ms": to_ms(expected_modified),
                                           "modified_ms": to_ms(modified), "context_types": _context_types(document),
                                           "document": json_text.compact(document)}).rowcount == 1

    def add_member(self, catalog: str, engagement: dict, account_id: str, company_name: str, website_url: str | None,
                   joined: dt.datetime) -> None:
        self._db.execute(_INSERT_MEMBER, {"catalog": catalog, "engagement_id": engagement["Id"], "account_id": account_id,
                                          "company_name": company_name, "website_url": website_url,
                                          "joined_ms": to_ms(joined),
                                          "engagement_created_ms": to_ms(parse_stored(engagement["CreatedAt"]))})

    def members(self, catalog: str, engagement_id: str) -> list[dict]:
        """{AccountId, CompanyName, WebsiteUrl}, in the order they joined."""
        return [{"AccountId": account_id, "CompanyName": company_name, "WebsiteUrl": website_url}
                for account_id, company_name, website_url in
                self._db.tuples(_MEMBERS, {"catalog": catalog, "id": engagement_id})]

    def of_member(self, account_id: str, catalog: str) -> list[tuple[dict, list[dict]]]:
        """(engagement, its members) of every engagement the account is a member of in the catalog: what
        SearchEngagements and engagement groups look through."""
        params = {"catalog": catalog, "account_id": account_id}
        members: dict[str, list[dict]] = {}
        for engagement_id_, account, company_name, website_url in self._db.tuples(_MEMBERS_OF_MEMBER, params):
            members.setdefault(engagement_id_, []).append(
                {"AccountId": account, "CompanyName": company_name, "WebsiteUrl": website_url})
        found = []
        for (document,) in self._db.tuples(_DOCUMENTS_OF_MEMBER, params):
            engagement = json_text.loads(document)
            found.append((engagement, members.get(engagement["Id"], [])))
        return found

    def member_count(self, catalog: str, engagement_id: str) -> int:
        return self._db.value(_MEMBER_COUNT, {"catalog": catalog, "id": engagement_id})

    def is_member(self, catalog: str, engagement_id: str, account_id: str) -> bool:
        return self._db.value(_IS_MEMBER, {"catalog": catalog, "id": engagement_id, "account_id": account_id}) is not None

    def associate(self, catalog: str, engagement_id: str, resource_type: str, resource_id: str, owner: str,
                  now: dt.datetime) -> None:
        """The resource belongs to the engagement (associating it again changes nothing)."""
        self._db.insert_if_absent(_INSERT_RESOURCE, {
            "catalog": catalog, "engagement_id": engagement_id, "resource_type": resource_type,
            "resource_id": resource_id, "association": f"{engagement_id}/{resource_type}/{resource_id}",
            "owner_account": owner, "created_ms": to_ms(now)})

    def engagements_of(self, catalog: str, resource_type: str, resource_id: str) -> list[tuple[str, str]]:
        """(engagement id, owner) of every engagement the resource belongs to."""
        return [(engagement_id, owner) for engagement_id, _resource, owner in
                self._db.tuples(_RESOURCES_OF, {"catalog": catalog, "resource_type": resource_type,
                                                "resource_id": resource_id})]

    def resources(self, catalog: str, engagement_id: str) -> list[tuple[str, str, str]]:
        """(resource type, resource id, owner) of the engagement's resources, oldest first."""
        return self._db.tuples(_RESOURCES_IN, {"catalog": catalog, "id": engagement_id})

    def set_resource_owner(self, catalog: str, resource_type: str, resource_id: str, owner: str) -> None:
        self._db.execute(_SET_OWNER, {"catalog": catalog, "resource_type": resource_type, "resource_id": resource_id,
                                      "owner_account": owner})


# --- ListEngagements: the caller's engagements, newest first ----------------------------------------

def _listed_item(row: tuple) -> dict:
    document, member_count = json_text.loads(row[0]), row[1]
    summary = {key: document.get(key) for key in ("Arn", "Id", "Title", "CreatedAt", "CreatedBy", "ModifiedAt",
                                                   "ModifiedBy")}
    return summary | {"MemberCount": member_count,
                      "ContextTypes": [context["Type"] for context in document.get("Contexts") or []]}


def _sorted_values(member: str):
    def read(request) -> tuple | None:
        values = request.get(member)
        return tuple(sorted(set(values))) if values else None
    return read


def _with_context(conditions: Conditions, value: tuple, _query: QueryContext) -> None:
    """ContextTypes: engagements with any of the types."""
    conditions.add(f"any of {len(value)} context types", [f"%,{kind},%" for kind in value],
                   lambda binds: or_(*(_e.context_types.like(bind) for bind in binds)))


def _without_context(conditions: Conditions, value: tuple, _query: QueryContext) -> None:
    """ExcludeContextTypes: engagements with none of the types."""
    conditions.add(f"none of {len(value)} context types", [f"%,{kind},%" for kind in value],
                   lambda binds: and_(*(~_e.context_types.like(bind) for bind in binds)))


def _not_created_by(conditions: Conditions, value: tuple, _query: QueryContext) -> None:
    conditions.add("created_by not in", list(value), _e.created_by.not_in)


def engagement_ids(member: str):
    """An EngagementIdentifier filter's ids (an ARN names its last part); () when none of them names an
    engagement of the request's catalog (then nothing matches)."""
    def read(request) -> tuple | None:
        named = request.get(member)
        if not named:
            return None
        return tuple(sorted({identified(identifier, request["Catalog"], "engagement") for identifier in named} - {None}))
    return read


def ids_in(column: Column):
    def build(conditions: Conditions, value: tuple, _query: QueryContext) -> None:
        if value:
            conditions.add(f"{column.name} in", list(value), column.in_)
        else:
            conditions.add(f"no {column.name}", [], lambda _binds: false())
    return build


_counted = engagement_members.alias("counted")
_member_count = (select(func.count()).where(_counted.c.catalog == _e.catalog, _counted.c.engagement_id == _e.id)
                 .scalar_subquery().label("member_count"))

ENGAGEMENT_LIST = ListDeclaration(
    operation="ListEngagements",
    table=engagement_members.join(engagements, and_(_e.catalog == _m.catalog, _e.id == _m.engagement_id)),
    owner=_m.account_id,
    catalog=_m.catalog,
    tie_breaker=_m.engagement_id,
    sorts={"CreatedDate": _m.engagement_created_ms},
    default_sort="CreatedDate",
    columns=(_e.document, _member_count),
    item=_listed_item,
    filters=(
        Custom("EngagementIdentifier", engagement_ids("EngagementIdentifier"), ids_in(_m.engagement_id)),
        OneOf("CreatedBy", _e.created_by),
        Custom("ExcludeCreatedBy", _sorted_values("ExcludeCreatedBy"), _not_created_by),
        Custom("ContextTypes", _sorted_values("ContextTypes"), _with_context),
        Custom("ExcludeContextTypes", _sorted_values("ExcludeContextTypes"), _without_context),
    ),
)


# --- ListEngagementResourceAssociations: resources of the engagements the caller is a member of -------

def _association_item(row: tuple) -> dict:
    catalog, engagement_id, resource_type, resource_id, owner = row[:5]
    return {"Catalog": catalog, "EngagementId": engagement_id, "ResourceType": resource_type, "ResourceId": resource_id,
            "CreatedBy": owner}


RESOURCE_ASSOCIATION_LIST = ListDeclaration(
    operation="ListEngagementResourceAssociations",
    table=engagement_members.join(engagement_resources,
                                  and_(_r.catalog == _m.catalog, _r.engagement_id == _m.engagement_id)),
    owner=_m.account_id,
    catalog=_m.catalog,
    tie_breaker=_r.association,
    # The model gives this list no Sort: pages follow the association (engagement id, resource) order.
    sorts={"Association": _r.association},
    default_sort="Association",
    columns=(_r.catalog, _r.engagement_id, _r.resource_type, _r.resource_id, _r.owner_account),
    item=_association_item,
    filters=(
        Equal("EngagementIdentifier", _r.engagement_id),  # an engagement id only (model: no ARN)
        Equal("ResourceType", _r.resource_type),
        Equal("ResourceIdentifier", _r.resource_id),
        Equal("CreatedBy", _r.owner_account),
    ),
)
