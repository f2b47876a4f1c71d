"""Playing AWS: engagement groups, which AWS curates and partners only read (ListEngagementGroups, and
SearchEngagements' GroupId; engagements.md §0.11, §1.6). Used by `cosell aws group add|list|remove` and
/_cosell/aws/groups.

A group is a search: a SearchEngagements Filter (and optionally a Keyword) that selects its engagements;
each partner's Count is how many of its own engagements the search selects. Every catalog starts with
DEFAULT_GROUPS; a tester adds others, changes them, or removes them (a removed group is inactive: it is
no longer listed, and SearchEngagements refuses its id as AWS does an unavailable group).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.domain import engagement_search
from cosell.domain.identifiers import engagement_group_arn, engagement_group_id
from cosell.domain.violations import Violation
from cosell.protocol.errors import NotFoundError, ValidationError
from cosell.protocol.facts import CATALOGS
from cosell.protocol.validation import shape_validator
from cosell.timestamps import format_timestamp

READINESS_LEVELS = ("SalesReady", "MarketingReady", "LowPotential")  # the model's ReadinessLevel


def _equals(key: str, value: str) -> dict:
    return {"EqualsTo": {"Key": key, "Value": {"StringValue": value}}}


# What every catalog starts with. AWS publishes no group, so these are cosell's: one per readiness level,
# and one by geography, over the fields cosell's leads and prospecting results carry.
DEFAULT_GROUPS: tuple[dict[str, Any], ...] = (
    {"id": "eng-grp-salesreadylead", "name": "Sales-ready leads", "readiness_level": "SalesReady",
     "description": "Leads ready for a sales conversation: qualified, or with a high readiness score.",
     "definition": {"Filter": {"OrAllFilters": [_equals("LeadQualificationStatus", "Qualified"),
                                                _equals("LeadReadinessScore", "High")]}}},
    {"id": "eng-grp-marketplacehot", "name": "Marketplace-engaged prospects", "readiness_level": "MarketingReady",
     "description": "Prospects highly engaged with AWS Marketplace: a marketing motion fits them.",
     "definition": {"Filter": _equals("ProspectingInsightsMarketplaceEngagementScore", "High")}},
    {"id": "eng-grp-lowpotential01", "name": "Low-potential leads", "readiness_level": "LowPotential",
     "description": "Leads disqualified, or scored low by AWS.",
     "definition": {"Filter": {"OrAllFilters": [_equals("LeadQualificationStatus", "Disqualified"),
                                                _equals("LeadReadinessScore", "Low"),
                                                _equals("ProspectingInsightsMarketplaceEngagementScore", "Low")]}}},
    {"id": "eng-grp-northamerica01", "name": "Customers in North America", "readiness_level": None,
     "description": "Leads and prospects in the United States, Canada and Mexico.",
     "definition": {"Filter": {"OrAllFilters": [
         *(_equals("LeadCustomerCountryCode", country) for country in ("US", "CA", "MX")),
         *(_equals("ProspectingCustomerCountry", country) for country in ("US", "CA", "MX"))]}}},
)


def ensure_default_groups(tx, now: dt.datetime) -> None:
    """Each catalog's default groups, unless they are there already (active or removed)."""
    for catalog in CATALOGS:
        for group in DEFAULT_GROUPS:
            if tx.engagement_groups.get(catalog, group["id"]) is None:
                tx.engagement_groups.insert({**group, "catalog": catalog, "active": True}, now, if_absent=True)


def definition_of(group: Mapping[str, Any]) -> tuple[str | None, dict | None]:
    """(Keyword, Filter) of a stored group, its DateValues as datetimes again."""
    definition = group["definition"]
    node = definition.get("Filter")
    return definition.get("Keyword"), None if node is None else shape_validator("EngagementSearchFilter")(node)


def _checked_definition(keyword: str | None, node: Mapping[str, Any] | None) -> dict:
    """A group's search, checked as SearchEngagements checks its Keyword and Filter; stored as JSON."""
    if keyword is None and node is None:
        raise ValidationError.from_violations([Violation("filter", "REQUIRED_FIELD_MISSING",
                                                         "A group is defined by a Filter, a Keyword or both.")])
    definition: dict[str, Any] = {}
    if keyword is not None:
        if not 1 <= len(keyword) <= 500:
            raise ValidationError.from_violations([Violation("keyword", "INVALID_STRING_FORMAT",
                                                             "Keyword must be 1 to 500 characters.")])
        definition["Keyword"] = keyword
    if node is not None:
        checked = shape_validator("EngagementSearchFilter")(dict(node))
        violations = engagement_search.filter_violations(checked)
        if violations:
            raise ValidationError.from_violations(violations)
        definition["Filter"] = _jsonable(checked)
    return definition


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


def _checked_fields(name: str | None, description: str | None, readiness_level: str | None) -> None:
    violations = []
    if name is not None and not 1 <= len(name) <= 255:
        violations.append(Violation("name", "INVALID_STRING_FORMAT", "Name must be 1 to 255 characters."))
    if description is not None and not 1 <= len(description) <= 2048:
        violations.append(Violation("description", "INVALID_STRING_FORMAT", "Description must be 1 to 2048 characters."))
    if readiness_level is not None and readiness_level not in READINESS_LEVELS:
        violations.append(Violation("readinessLevel", "INVALID_ENUM_VALUE",
                                    f"ReadinessLevel must be one of {', '.join(READINESS_LEVELS)}."))
    if violations:
        raise ValidationError.from_violations(violations)


def shown(group: Mapping[str, Any]) -> dict:
    """A group as `cosell aws group list` shows it."""
    keyword, node = group["definition"].get("Keyword"), group["definition"].get("Filter")
    return {"Id": group["id"], "Arn": engagement_group_arn(group["catalog"], group["id"]), "Catalog": group["catalog"],
            "Name": group["name"], "Description": group["description"], "ReadinessLevel": group["readiness_level"],
            "Active": group["active"], "UpdatedAt": format_timestamp(group["updated_at"]),
            **({"Keyword": keyword} if keyword is not None else {}), **({"Filter": node} if node is not None else {})}


def define_group(store, catalog: str, *, name: str | None, description: str | None, readiness_level: str | None,
                 keyword: str | None, node: Mapping[str, Any] | None, group_id: str | None, now: dt.datetime) -> dict:
    """Adds a group (a new id), or, with `group_id`, changes that group (and makes it active again): what
    is not given stays as it was."""
    _checked_fields(name, description, readiness_level)
    with store.write() as tx:
        if group_id is None:
            if name is None:
                raise ValidationError.from_violations([Violation("name", "REQUIRED_FIELD_MISSING",
                                                                 "A new group needs a Name.")])
            group = {"catalog": catalog, "id": engagement_group_id(), "name": name, "description": description,
                     "readiness_level": readiness_level, "definition": _checked_definition(keyword, node),
                     "active": True}
            tx.engagement_groups.insert(group, now)
        else:
            stored = tx.engagement_groups.get(catalog, group_id)
            if stored is None:
                raise NotFoundError(f"Engagement group {group_id} does not exist in catalog {catalog}.")
            definition = stored["definition"]
            if keyword is not None or node is not None:
                definition = _checked_definition(keyword if keyword is not None else definition.get("Keyword"),
                                                 node if node is not None else definition.get("Filter"))
            group = {**stored, "definition": definition, "active": True,
                     **{key: value for key, value in (("name", name), ("description", description),
                                                      ("readiness_level", readiness_level)) if value is not None}}
            tx.engagement_groups.replace(group, now)
        return shown(tx.engagement_groups.get(catalog, group["id"]))


def remove_group(store, catalog: str, group_id: str, now: dt.datetime) -> dict:
    """The group is no longer available: not listed, refused by SearchEngagements."""
    with store.write() as tx:
        stored = tx.engagement_groups.get(catalog, group_id)
        if stored is None:
            raise NotFoundError(f"Engagement group {group_id} does not exist in catalog {catalog}.")
        tx.engagement_groups.replace({**stored, "active": False}, now)
        return shown(tx.engagement_groups.get(catalog, group_id))


def list_groups(store, catalog: str | None) -> list[dict]:
    with store.read() as tx:
        return [shown(group) for group in tx.engagement_groups.of_catalog(catalog)]
