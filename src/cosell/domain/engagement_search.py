"""SearchEngagements' criteria as pure functions: the 29 searchable fields of an engagement, the filter
tree, the keyword and the sort (model: SearchEngagementsRequest, EngagementSearchFilter; engagements.md
§1.4, §4). Engagement groups are searches too (a Filter and a Keyword), so a group's members are found
the same way.

The model's documentation is the source of each rule:
- a node sets exactly one member; combinators nest at most 3 deep; And/Or take 1–10 children;
- EqualsTo "matches when the field equals the supplied StringValue";
- ContainsAny: "any of the supplied values as a case-insensitive substring ... For a field that holds one
  value for each lead interaction, the condition matches when any of those values contains a supplied
  value. Supported on string fields only";
- ContainsAll: "the field holds every supplied value exactly ... For a single-valued field, a list of
  more than one value returns no results. Supported on string fields only";
- the range operators are "supported only on ordered fields, such as date and numeric fields", with a
  DateValue for dates and a LongValue for numbers;
- Keyword is "matched against the engagement title, description, customer company name, and member
  company names"; each of Keyword, Filter and GroupId narrows the result;
- "If you omit [Sort], results are sorted by creation time, newest first"; "Text and score fields sort
  in lexical (string) order".

Where the model is silent, cosell's choices: EqualsTo is exact (case-sensitive); on an ordered field it
also takes the field's own kind of value (a LongValue for MemberCount, a DateValue for a date); the
Lead fields read the engagement's Lead context and the Prospecting fields its newest ProspectingResult
context; PartnerId is the account id of each partner member; an engagement without a value for the
sort field sorts before every value (first ascending, last descending), as cosell's other lists do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cosell.domain.identifiers import AWS_ACCOUNT
from cosell.domain.violations import Violation
from cosell.timestamps import format_timestamp, parse_stored

STRING, NUMBER, DATE = "string", "number", "date"
COMBINATORS = ("AndAllFilters", "OrAllFilters", "NotFilter")
STRING_OPERATORS = ("ContainsAny", "ContainsAll")
RANGE_OPERATORS = ("GreaterThan", "GreaterThanOrEquals", "LessThan", "LessThanOrEquals")
LEAVES = ("EqualsTo", *STRING_OPERATORS, *RANGE_OPERATORS)
MAX_DEPTH = 3  # "Nesting is limited to a depth of 3": combinators within combinators, 3 levels at most


@dataclass(frozen=True)
class Searched:
    """An engagement as the search sees it: its record and its members."""

    engagement: Mapping[str, Any]
    members: Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Field:
    kind: str
    many: bool  # one value per lead interaction, member or context, rather than one value
    read: Callable[[Searched], list]


def _contexts(searched: Searched, kind: str) -> list[Mapping[str, Any]]:
    return [(context.get("Payload") or {}).get(kind) or {} for context in searched.engagement.get("Contexts") or []
            if context.get("Type") == kind]


def _lead(searched: Searched) -> Mapping[str, Any]:
    leads = _contexts(searched, "Lead")
    return leads[0] if leads else {}


def _prospecting(searched: Searched) -> Mapping[str, Any]:
    """The newest ProspectingResult context's AWS part."""
    results = _contexts(searched, "ProspectingResult")
    return (results[-1].get("Aws") or {}) if results else {}


def _path(source: Any, path: tuple[str, ...]) -> Any:
    for member in path:
        if not isinstance(source, Mapping):
            return None
        source = source.get(member)
    return source


def _one(value: Any) -> list:
    return [] if value is None or value == "" else [value]


def _lead_value(*path: str) -> Field:
    return Field(STRING, False, lambda searched: _one(_path(_lead(searched), path)))


def _interaction_values(*path: str) -> Field:
    def read(searched: Searched) -> list:
        return [value for interaction in _lead(searched).get("Interactions") or []
                if (value := _path(interaction, path)) not in (None, "")]
    return Field(STRING, True, read)


def _prospecting_value(*path: str) -> Field:
    return Field(STRING, False, lambda searched: _one(_path(_prospecting(searched), path)))


def _timestamp(member: str) -> Field:
    return Field(DATE, False, lambda searched: _one(searched.engagement.get(member) and
                                                    parse_stored(searched.engagement[member])))


FIELDS: dict[str, Field] = {
    "EngagementId": Field(STRING, False, lambda searched: _one(searched.engagement.get("Id"))),
    "Title": Field(STRING, False, lambda searched: _one(searched.engagement.get("Title"))),
    "PartnerId": Field(STRING, True, lambda searched: [member["AccountId"] for member in searched.members
                                                       if member["AccountId"] != AWS_ACCOUNT]),
    "CreatedAt": _timestamp("CreatedAt"),
    "LastModifiedAt": _timestamp("ModifiedAt"),
    "MemberCount": Field(NUMBER, False, lambda searched: [len(searched.members)]),
    "ProspectingCustomerGeo": _prospecting_value("Customer", "Geo"),
    "ProspectingCustomerRegion": _prospecting_value("Customer", "Region"),
    "ProspectingCustomerIndustry": _prospecting_value("Customer", "Industry"),
    "ProspectingCustomerSegment": _prospecting_value("Customer", "Segment"),
    "ProspectingCustomerCountry": _prospecting_value("Customer", "Country"),
    "ProspectingCustomerCompanySize": _prospecting_value("Customer", "CompanySize"),
    "ProspectingInsightsMarketplaceEngagementScore": _prospecting_value("Insights", "MarketplaceEngagementScore"),
    "ProspectingInsightsSolutionCategory": _prospecting_value("Insights", "SolutionCategory"),
    "ProspectingInsightsSolutionSubCategory": _prospecting_value("Insights", "SolutionSubCategory"),
    "LeadQualificationStatus": _lead_value("QualificationStatus"),
    "LeadReadinessScore": _lead_value("Insights", "LeadReadinessScore"),
    "LeadCustomerIndustry": _lead_value("Customer", "Industry"),
    "LeadCustomerCountryCode": _lead_value("Customer", "Address", "CountryCode"),
    "LeadCustomerAwsMaturity": _lead_value("Customer", "AwsMaturity"),
    "LeadCustomerMarketSegment": _lead_value("Customer", "MarketSegment"),
    "LeadCustomerCompanyName": _lead_value("Customer", "CompanyName"),
    "LeadInteractionsSourceType": _interaction_values("SourceType"),
    "LeadInteractionsSourceName": _interaction_values("SourceName"),
    "LeadInteractionsUsecase": _interaction_values("Usecase"),
    "LeadInteractionsContactFirstName": _interaction_values("Contact", "FirstName"),
    "LeadInteractionsContactLastName": _interaction_values("Contact", "LastName"),
    "LeadInteractionsContactBusinessTitle": _interaction_values("Contact", "BusinessTitle"),
    "ContextType": Field(STRING, True, lambda searched: [context["Type"] for context in
                                                         searched.engagement.get("Contexts") or []]),
}


# --- checking a filter ----------------------------------------------------------------------------------------

def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def filter_violations(node: Mapping[str, Any], path: str = "filter", depth: int = 0) -> list[Violation]:
    """What is wrong with a filter tree the model's shape admits (the shape checks Keys, lengths and the
    value union): how many members a node sets, nesting, and operators on fields they do not apply to."""
    members = [member for member in (*COMBINATORS, *LEAVES) if node.get(member) is not None]
    if len(members) != 1:
        return [Violation(path, "INVALID_VALUE", f"A filter sets exactly one of {', '.join((*COMBINATORS, *LEAVES))}; "
                                                 f"this one sets {len(members)}.")]
    member = members[0]
    here = f"{path}.{_lower_first(member)}"
    if member in COMBINATORS:
        if depth >= MAX_DEPTH:
            return [Violation(here, "INVALID_VALUE", f"Filters nest at most {MAX_DEPTH} combinators deep.")]
        children = [node[member]] if member == "NotFilter" else list(node[member])
        violations = []
        for index, child in enumerate(children):
            child_path = here if member == "NotFilter" else f"{here}[{index}]"
            violations.extend(filter_violations(child, child_path, depth + 1))
        return violations
    return _predicate_violations(member, node[member], here)


def _predicate_violations(operator: str, predicate: Mapping[str, Any], path: str) -> list[Violation]:
    key, value = predicate["Key"], predicate["Value"]
    field = FIELDS[key]
    given = next(iter(value))  # the union's one member (the shape makes sure of it)
    allowed: tuple[str, ...]
    if operator in STRING_OPERATORS:
        if field.kind != STRING:
            return [Violation(f"{path}.key", "INVALID_VALUE", f"{operator} is supported on string fields only; "
                                                              f"{key} is a {field.kind} field.")]
        allowed = ("StringValue", "StringListValue")
    elif operator in RANGE_OPERATORS:
        if field.kind == STRING:
            return [Violation(f"{path}.key", "INVALID_VALUE", f"{operator} is supported on ordered fields only "
                                                              f"(dates and numbers); {key} is a string field.")]
        allowed = ("DateValue",) if field.kind == DATE else ("LongValue",)
    else:
        allowed = ("StringValue", {DATE: "DateValue", NUMBER: "LongValue"}[field.kind]) if field.kind != STRING \
            else ("StringValue",)
    if given not in allowed:
        return [Violation(f"{path}.value", "INVALID_VALUE", f"{operator} on {key} takes {' or '.join(allowed)}, "
                                                            f"not {given}.")]
    return []


# --- matching -----------------------------------------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    return str(value)


def _supplied(value: Mapping[str, Any]) -> list:
    if "StringListValue" in value:
        return list(value["StringListValue"])
    return [next(iter(value.values()))]


def matches(node: Mapping[str, Any], searched: Searched) -> bool:
    """Whether the engagement passes a filter tree that filter_violations found nothing wrong with."""
    if node.get("AndAllFilters") is not None:
        return all(matches(child, searched) for child in node["AndAllFilters"])
    if node.get("OrAllFilters") is not None:
        return any(matches(child, searched) for child in node["OrAllFilters"])
    if node.get("NotFilter") is not None:
        return not matches(node["NotFilter"], searched)
    operator = next(member for member in LEAVES if node.get(member) is not None)
    predicate = node[operator]
    field = FIELDS[predicate["Key"]]
    values = field.read(searched)
    supplied = _supplied(predicate["Value"])
    if operator == "EqualsTo":
        if "StringValue" in predicate["Value"]:
            return any(_text(value) == supplied[0] for value in values)
        return any(value == supplied[0] for value in values)
    if operator == "ContainsAny":
        texts = [_text(value).lower() for value in values]
        return any(wanted.lower() in text for wanted in supplied for text in texts)
    if operator == "ContainsAll":
        if not field.many and len(set(supplied)) > 1:
            return False
        held = {_text(value) for value in values}
        return all(wanted in held for wanted in supplied)
    bound = supplied[0]
    compare = {"GreaterThan": lambda value: value > bound, "GreaterThanOrEquals": lambda value: value >= bound,
               "LessThan": lambda value: value < bound, "LessThanOrEquals": lambda value: value <= bound}[operator]
    return any(compare(value) for value in values)


def company_names(searched: Searched) -> list[str]:
    """The customer's names in the engagement's contexts, and its members' company names."""
    names = [member.get("CompanyName") for member in searched.members]
    for context in searched.engagement.get("Contexts") or []:
        payload = context.get("Payload") or {}
        names.append(_path(payload, ("CustomerProject", "Customer", "CompanyName")))
        names.append(_path(payload, ("Lead", "Customer", "CompanyName")))
        names.append(_path(payload, ("ProspectingResult", "Aws", "Customer", "AccountName")))
    return [name for name in names if name]


def keyword_matches(keyword: str, searched: Searched) -> bool:
    """Case-insensitive: the keyword is in the title, the description or a company name."""
    wanted = keyword.lower()
    texts = [searched.engagement.get("Title"), searched.engagement.get("Description"), *company_names(searched)]
    return any(wanted in text.lower() for text in texts if text)


def selects(searched: Searched, *, keyword: str | None = None, node: Mapping[str, Any] | None = None) -> bool:
    """Every criterion given narrows: the keyword and the filter tree."""
    return ((keyword is None or keyword_matches(keyword, searched))
            and (node is None or matches(node, searched)))


# --- sorting --------------------------------------------------------------------------------------------------

DEFAULT_SORT = {"SortBy": "CreatedAt", "SortOrder": "DESCENDING"}


def sort_value(sort_by: str, searched: Searched) -> tuple:
    """A sortable key: engagements without a value come first, then values in order (text lexically)."""
    values = FIELDS[sort_by].read(searched)
    if not values:
        return (0, "")
    value = values[0]
    if isinstance(value, dt.datetime):
        return (1, format_timestamp(value))
    return (1, value) if isinstance(value, int) else (1, str(value))


def ordered(found: list[Searched], sort: Mapping[str, Any] | None) -> list[Searched]:
    """By the sort field, then by engagement id, in the sort's direction."""
    sort = sort or DEFAULT_SORT
    return sorted(found, key=lambda searched: (sort_value(sort["SortBy"], searched), searched.engagement["Id"]),
                  reverse=sort["SortOrder"] == "DESCENDING")
