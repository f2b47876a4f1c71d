"""SearchEngagements and ListEngagementGroups (engagements.md §1.4, §1.6): a partner's engagements through a
keyword, the filter tree and AWS's curated groups, which `cosell aws group …` defines."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest

from partners import SANDBOX, aws_leads, cosell, cosell_json, start_partners
from test_leads import LEAD as BASE_LEAD

# The search reads engagements joined to their members: SQLite and PostgreSQL each answer it.
pytestmark = pytest.mark.backend


def _lead(company: str, country: str, qualification: str, score: str, titles: list[str]) -> dict:
    lead = copy.deepcopy(BASE_LEAD)
    lead["Customer"].update(CompanyName=company)
    lead["Customer"]["Address"] = {"City": "Somewhere", "CountryCode": country}
    lead.update(QualificationStatus=qualification, Insights={"LeadReadinessScore": score})
    interaction = lead["Interactions"][0]
    lead["Interactions"] = [{**interaction, "Contact": {**interaction["Contact"], "BusinessTitle": title}}
                            for title in titles]
    return lead


LEADS = {  # the leads AWS shares with alpha, who accepts them
    "lakeside": _lead("Lakeside Bikes", "US", "Qualified", "High", ["CTO", "Head of Data"]),
    "fjord": _lead("Fjord Fisheries", "NO", "Unqualified", "Low", ["Chief Executive"]),
    "maple": _lead("Maple Analytics", "CA", "Disqualified", "Medium", ["VP Engineering"]),
}


@pytest.fixture(scope="module")
def engagements(tmp_path_factory):
    """Alpha accepted three AWS leads and created an engagement of its own; beta has a lead of its own."""
    data = tmp_path_factory.mktemp("search") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    ids = {}
    for name, lead in LEADS.items():
        path = data.parent / f"{name}.json"
        path.write_text(json.dumps(lead))
        sent = aws_leads(live, alpha, "--from-file", str(path))
        alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=sent["InvitationId"])
        ids[name] = sent["EngagementId"]
    ids["own"] = alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), Title="Own pipeline review",
                                                Description="Alpha's engagement for the Lakeside rollout")["Id"]
    path = data.parent / "beta.json"
    path.write_text(json.dumps(_lead("Beta Only Corp", "US", "Qualified", "High", ["CTO"])))
    sent = aws_leads(live, beta, "--from-file", str(path))
    beta.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=sent["InvitationId"])
    ids["beta"] = sent["EngagementId"]
    yield live, partners, ids
    live.stop()


def _search(partner, **request) -> list[str]:
    return [summary["Id"] for summary in
            partner.client.search_engagements(Catalog=SANDBOX, **request)["EngagementSearchSummaries"]]


def _equals(key: str, value: str) -> dict:
    return {"EqualsTo": {"Key": key, "Value": {"StringValue": value}}}


def test_search_finds_the_callers_engagements_newest_first(engagements):
    _live, partners, ids = engagements
    alpha = partners["alpha"]
    answer = alpha.client.search_engagements(Catalog=SANDBOX)
    summaries = answer["EngagementSearchSummaries"]
    assert [summary["Id"] for summary in summaries] == [ids["own"], ids["maple"], ids["fjord"], ids["lakeside"]]
    assert "NextToken" not in answer or answer["NextToken"] is None
    lakeside = summaries[-1]
    assert lakeside["CreatedBy"] == "aws" and lakeside["MemberCount"] == 2
    assert lakeside["Contexts"][0]["Type"] == "Lead"
    assert lakeside["Contexts"][0]["Payload"]["Lead"]["Customer"]["CompanyName"] == "Lakeside Bikes"
    # Beta sees only its own.
    assert _search(partners["beta"]) == [ids["beta"]]


def test_keyword_and_filters_narrow(engagements):
    _live, partners, ids = engagements
    alpha = partners["alpha"]
    # Keyword: title, description, customer and member company names, any case.
    assert set(_search(alpha, Keyword="lakeside")) == {ids["lakeside"], ids["own"]}
    assert set(_search(alpha, Keyword="ALPHA PARTNER")) == {ids[name] for name in ("lakeside", "fjord", "maple", "own")}
    assert _search(alpha, Keyword="fisheries") == [ids["fjord"]]
    # EqualsTo is exact; Not negates; Or and And combine.
    assert _search(alpha, Filter=_equals("LeadCustomerCountryCode", "NO")) == [ids["fjord"]]
    assert _search(alpha, Filter=_equals("LeadCustomerCountryCode", "no")) == []
    assert set(_search(alpha, Filter={"NotFilter": _equals("ContextType", "Lead")})) == {ids["own"]}
    assert set(_search(alpha, Filter={"OrAllFilters": [_equals("LeadQualificationStatus", "Qualified"),
                                                       _equals("LeadReadinessScore", "Low")]})) == {ids["lakeside"], ids["fjord"]}
    assert _search(alpha, Filter={"AndAllFilters": [_equals("LeadCustomerCountryCode", "US"),
                                                    _equals("LeadReadinessScore", "Low")]}) == []
    # ContainsAny: a case-insensitive substring of any interaction's value.
    contains_any = {"ContainsAny": {"Key": "LeadInteractionsContactBusinessTitle", "Value": {"StringListValue": ["data", "vp "]}}}
    assert set(_search(alpha, Filter=contains_any)) == {ids["lakeside"], ids["maple"]}
    # ContainsAll: every value held exactly, each by some interaction; a single-valued field takes one.
    contains_all = {"ContainsAll": {"Key": "LeadInteractionsContactBusinessTitle",
                                    "Value": {"StringListValue": ["CTO", "Head of Data"]}}}
    assert _search(alpha, Filter=contains_all) == [ids["lakeside"]]
    two_countries = {"ContainsAll": {"Key": "LeadCustomerCountryCode", "Value": {"StringListValue": ["US", "CA"]}}}
    assert _search(alpha, Filter=two_countries) == []
    # Ranges, on ordered fields: dates and numbers.
    later = {"GreaterThan": {"Key": "CreatedAt", "Value": {"DateValue": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}}}
    assert len(_search(alpha, Filter=later)) == 4
    assert _search(alpha, Filter={"LessThan": {"Key": "MemberCount", "Value": {"LongValue": 2}}}) == [ids["own"]]
    # Every criterion narrows.
    assert _search(alpha, Keyword="Lakeside", Filter=_equals("ContextType", "Lead")) == [ids["lakeside"]]


def test_sort_and_pages(engagements):
    _live, partners, ids = engagements
    alpha = partners["alpha"]
    by_company = {"SortBy": "LeadCustomerCompanyName", "SortOrder": "ASCENDING"}
    # No company (alpha's own engagement) sorts first ascending, then names lexically.
    expected = [ids["own"], ids["fjord"], ids["lakeside"], ids["maple"]]
    assert _search(alpha, Sort=by_company) == expected
    assert _search(alpha, Sort={**by_company, "SortOrder": "DESCENDING"}) == expected[::-1]
    paginator = alpha.client.get_paginator("search_engagements")
    pages = list(paginator.paginate(Catalog=SANDBOX, Sort=by_company, PaginationConfig={"PageSize": 3}))
    assert [len(page["EngagementSearchSummaries"]) for page in pages] == [3, 1]
    assert [summary["Id"] for page in pages for summary in page["EngagementSearchSummaries"]] == expected
    # A token is bound to its search.
    token = pages[0]["NextToken"]
    with pytest.raises(alpha.client.exceptions.ValidationException):
        alpha.client.search_engagements(Catalog=SANDBOX, Sort={**by_company, "SortOrder": "DESCENDING"}, NextToken=token)


@pytest.mark.parametrize(("node", "field"), [
    ({"GreaterThan": {"Key": "Title", "Value": {"StringValue": "a"}}}, "filter.greaterThan.key"),
    ({"ContainsAny": {"Key": "MemberCount", "Value": {"StringValue": "2"}}}, "filter.containsAny.key"),
    ({"EqualsTo": {"Key": "Title", "Value": {"StringListValue": ["a", "b"]}}}, "filter.equalsTo.value"),
    ({"LessThan": {"Key": "CreatedAt", "Value": {"LongValue": 5}}}, "filter.lessThan.value"),
    ({"NotFilter": {"NotFilter": {"NotFilter": {"NotFilter": _equals("Title", "x")}}}},
     "filter.notFilter.notFilter.notFilter.notFilter"),
    ({}, "filter"),
])
def test_filters_that_cannot_apply_are_refused(engagements, node, field):
    _live, partners, _ids = engagements
    alpha = partners["alpha"]
    with pytest.raises(alpha.client.exceptions.ValidationException) as refused:
        alpha.client.search_engagements(Catalog=SANDBOX, Filter=node)
    assert field in [entry["FieldName"] for entry in refused.value.response["ErrorList"]]


def _groups(partner, **request) -> dict[str, int]:
    return {group["Id"]: group["Count"] for group in
            partner.client.list_engagement_groups(Catalog=SANDBOX, **request)["EngagementGroupSummaries"]}


def test_seeded_groups_count_each_partners_engagements(engagements):
    _live, partners, ids = engagements
    alpha, beta = partners["alpha"], partners["beta"]
    listed = alpha.client.list_engagement_groups(Catalog=SANDBOX)["EngagementGroupSummaries"]
    # Recommended order: SalesReady, MarketingReady, LowPotential, then groups without a readiness level.
    assert [group["ReadinessLevel"] for group in listed[:3]] == ["SalesReady", "MarketingReady", "LowPotential"]
    sales_ready = listed[0]
    assert sales_ready["Arn"] == f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-group/{sales_ready['Id']}"
    assert sales_ready["Name"] == "Sales-ready leads" and sales_ready["Catalog"] == SANDBOX
    counts = _groups(alpha)
    assert counts["eng-grp-salesreadylead"] == 1  # Lakeside: Qualified, High
    assert counts["eng-grp-lowpotential01"] == 2  # Fjord (Low), Maple (Disqualified)
    assert counts["eng-grp-northamerica01"] == 2  # Lakeside (US), Maple (CA)
    assert _groups(beta)["eng-grp-salesreadylead"] == 1
    assert _search(alpha, GroupId="eng-grp-lowpotential01") == [ids["maple"], ids["fjord"]]
    assert _search(alpha, GroupId="eng-grp-lowpotential01", Keyword="fjord") == [ids["fjord"]]
    # Filters: the readiness level; identifiers (ids or ARNs; unknown ones ignored).
    assert set(_groups(alpha, ReadinessLevel="LowPotential")) == {"eng-grp-lowpotential01"}
    named = _groups(alpha, EngagementGroupIdentifiers=[
        "eng-grp-salesreadylead", sales_ready["Arn"].replace("salesreadylead", "northamerica01"), "eng-grp-nosuchgroup000"])
    assert set(named) == {"eng-grp-salesreadylead", "eng-grp-northamerica01"}
    by_count = alpha.client.list_engagement_groups(Catalog=SANDBOX, Sort={"SortBy": "Count", "SortOrder": "ASCENDING"})
    counted = [group["Count"] for group in by_count["EngagementGroupSummaries"]]
    assert counted == sorted(counted)
    first = alpha.client.list_engagement_groups(Catalog=SANDBOX, MaxResults=1)
    second = alpha.client.list_engagement_groups(Catalog=SANDBOX, MaxResults=1, NextToken=first["NextToken"])
    assert [g["Id"] for g in first["EngagementGroupSummaries"] + second["EngagementGroupSummaries"]] == \
        [g["Id"] for g in listed[:2]]


def test_groups_defined_changed_and_removed_by_aws(engagements):
    live, partners, ids = engagements
    alpha = partners["alpha"]
    at = ("--endpoint-url", live.url)
    fisheries = json.dumps({"OrAllFilters": [_equals("LeadCustomerCountryCode", "NO"),
                                             _equals("LeadCustomerCountryCode", "DK")]})
    group = cosell_json("aws", "group", "add", "--name", "Nordic leads", "--readiness-level", "MarketingReady",
                        "--filter", fisheries, *at)
    assert group["Id"].startswith("eng-grp-") and len(group["Id"]) == len("eng-grp-") + 14
    assert _groups(alpha)[group["Id"]] == 1
    assert _search(alpha, GroupId=group["Id"]) == [ids["fjord"]]
    # A change of definition changes the group's engagements.
    changed = cosell_json("aws", "group", "update", group["Id"], "--filter",
                          json.dumps(_equals("LeadCustomerCountryCode", "CA")), *at)
    assert changed["Name"] == "Nordic leads" and changed["ReadinessLevel"] == "MarketingReady"
    assert _search(alpha, GroupId=group["Id"]) == [ids["maple"]]
    # A filter that cannot apply is refused, naming the field.
    bad = cosell("aws", "group", "add", "--name", "Bad", "--filter",
                 json.dumps({"GreaterThan": {"Key": "Title", "Value": {"StringValue": "a"}}}), *at)
    assert bad.returncode != 0 and "filter.greaterThan.key" in bad.stderr
    # Removed: no longer listed, and searching by it is refused as AWS refuses an unavailable group.
    cosell_json("aws", "group", "remove", group["Id"], *at)
    assert group["Id"] not in _groups(alpha)
    with pytest.raises(alpha.client.exceptions.ValidationException) as refused:
        alpha.client.search_engagements(Catalog=SANDBOX, GroupId=group["Id"])
    assert "groupId" in [entry["FieldName"] for entry in refused.value.response["ErrorList"]]
    listed = cosell_json("aws", "group", "list", "--catalog", SANDBOX, *at)["Groups"]
    assert {entry["Id"]: entry["Active"] for entry in listed}[group["Id"]] is False
