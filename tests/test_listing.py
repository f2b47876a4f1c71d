"""ListOpportunities, ListSolutions and ListEngagementFromOpportunityTasks through boto3: filters, sorts,
page sizes, keyset pagination under concurrent writes, NextToken verification, and the query plans.

The live `server` is shared by the whole session, so every live test scopes its lists with a company
name of its own (CustomerCompanyName matches exactly). Tests that need control over stored times,
stages or other accounts insert rows through the in-process gateway's store.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import sqlite_only
from cosell.gateway import RawRequest
from cosell.timestamps import format_timestamp
from opportunity_requests import full, future_date, minimal

ACCOUNT = "123456789012"  # Settings' default account: the caller of every test client
OTHER_ACCOUNT = "210987654321"
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
SECOND = dt.timedelta(seconds=1)


def unique_company(label: str = "Listing") -> str:
    return f"{label} {uuid.uuid4().hex[:12]}"


def create(client, company: str, **overrides) -> str:
    request = minimal(**overrides)
    request["Customer"]["Account"]["CompanyName"] = company
    return client.create_opportunity(**request)["Id"]


def listed_ids(response, key: str = "OpportunitySummaries", member: str = "Id") -> list[str]:
    return [summary[member] for summary in response[key]]


MAX_PAGES = 200  # a list that never ends fails instead of hanging


def walk(call, **request) -> list[str]:
    """Every Id of every page, following NextToken by hand (from `NextToken` if the request has one)."""
    ids, token = [], request.pop("NextToken", None)
    for _ in range(MAX_PAGES):
        response = call(**request, **({"NextToken": token} if token else {}))
        ids += listed_ids(response)
        token = response.get("NextToken")
        if token is None:
            return ids
    pytest.fail("NextToken never ran out")


def assert_invalid_token(raised) -> None:
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Reason"] == "REQUEST_VALIDATION_FAILED"
    [entry] = response["ErrorList"]
    assert (entry["FieldName"], entry["Code"]) == ("nextToken", "INVALID_VALUE")
    assert entry["Message"]


# --- rows inserted directly, for controlled times, stages, accounts --------------------------------

def opportunity_document(number: int, *, catalog: str = "Sandbox", company: str | None = "Acme",
                         stage: str = "Prospect", review: str = "Pending Submission",
                         target_close: str | None = "2030-01-01", created: dt.datetime = T0,
                         modified: dt.datetime | None = None) -> dict:
    """A stored opportunity with the members lists filter, sort and summarize (None: member absent)."""
    modified = modified or created
    opportunity_id = f"O{number}"
    life_cycle = {"Stage": stage, "ReviewStatus": review, "TargetCloseDate": target_close,
                  "NextStepsHistory": [{"Time": format_timestamp(created), "Value": "Call"}]}
    account_member = {"CompanyName": company, "AwsAccountId": "111122223333", "Industry": "Other"}
    document = {
        "Catalog": catalog, "Id": opportunity_id, "CreatedDate": format_timestamp(created),
        "LastModifiedDate": format_timestamp(modified),
        "LifeCycle": {k: v for k, v in life_cycle.items() if v is not None},
        "Customer": {"Account": {k: v for k, v in account_member.items() if v is not None}},
    }
    return document


def insert_opportunity(store, number: int, *, account: str = ACCOUNT, created: dt.datetime = T0,
                       modified: dt.datetime | None = None, **members) -> str:
    document = opportunity_document(number, created=created, modified=modified, **members)
    with store.write() as tx:
        tx.opportunities.insert(account, document, created, modified or created)
    return document["Id"]


def touch_opportunity(store, opportunity_id: str, modified: dt.datetime) -> None:
    """What an update does to the list columns: a new LastModifiedDate."""
    with store.read() as tx:
        document = tx.opportunities.get(ACCOUNT, "Sandbox", opportunity_id)
    expected = dt.datetime.fromisoformat(document["LastModifiedDate"].replace("Z", "+00:00"))
    document["LastModifiedDate"] = format_timestamp(modified)
    with store.write() as tx:
        assert tx.opportunities.replace(ACCOUNT, document, expected, modified)


def task(index: int, *, catalog: str = "Sandbox", status: str = "COMPLETE", opportunity: str = "O1000001",
         engagement: str | None = None) -> dict:
    task_id = f"task-{index:013d}"
    return {
        "TaskId": task_id,
        "TaskArn": f"arn:aws:partnercentral:us-east-1::catalog/{catalog}/engagement-from-opportunity-task/{task_id}",
        "StartTime": format_timestamp(T0 + index * SECOND), "TaskStatus": status, "Message": None,
        "ReasonCode": None, "OpportunityId": opportunity, "ResourceSnapshotJobId": None,
        "EngagementId": engagement, "EngagementInvitationId": None,
    }


def insert_task(store, document: dict, *, account: str = ACCOUNT, catalog: str = "Sandbox") -> None:
    start = dt.datetime.fromisoformat(document["StartTime"].replace("Z", "+00:00"))
    with store.write() as tx:
        tx.engagement_tasks.insert(account, catalog, document, start)


# --- ListOpportunities filters ----------------------------------------------------------------------

def test_identifier_filter(client):
    company = unique_company()
    first, second, third = (create(client, company) for _ in range(3))
    response = client.list_opportunities(Catalog="Sandbox", Identifier=[first, third])
    assert sorted(listed_ids(response)) == sorted([first, third])
    assert second not in listed_ids(response)


def test_customer_company_name_filter_is_exact_and_case_sensitive(client):
    company, other = unique_company("Exact"), unique_company("Other")
    mine = [create(client, company) for _ in range(2)]
    theirs = create(client, other)
    assert sorted(listed_ids(client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company]))) == mine
    both = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company, other])
    assert sorted(listed_ids(both)) == sorted(mine + [theirs])
    for near_miss in (company.lower(), company.upper(), company[:-1], company + " "):
        assert listed_ids(client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[near_miss])) == []


def test_stage_and_review_status_filters(in_process):
    gateway, client = in_process
    prospect = insert_opportunity(gateway.store, 1, stage="Prospect", review="Pending Submission")
    qualified = insert_opportunity(gateway.store, 2, stage="Qualified", review="Approved")
    committed = insert_opportunity(gateway.store, 3, stage="Committed", review="Approved")
    launched = insert_opportunity(gateway.store, 4, stage="Launched", review="Action Required")

    def ids(**filters):
        return sorted(listed_ids(client.list_opportunities(Catalog="Sandbox", **filters)))

    assert ids(LifeCycleStage=["Qualified"]) == [qualified]
    assert ids(LifeCycleStage=["Committed", "Prospect"]) == sorted([committed, prospect])
    assert ids(LifeCycleReviewStatus=["Approved"]) == sorted([qualified, committed])
    assert ids(LifeCycleReviewStatus=["Action Required", "Pending Submission"]) == sorted([launched, prospect])
    assert ids(LifeCycleStage=["Qualified", "Launched"], LifeCycleReviewStatus=["Approved"]) == [qualified]
    assert ids(LifeCycleStage=["Closed Lost"]) == []


def test_live_stage_and_review_status_of_new_opportunities(client):
    company = unique_company()
    created = create(client, company)
    assert listed_ids(client.list_opportunities(
        Catalog="Sandbox", CustomerCompanyName=[company], LifeCycleStage=["Prospect"],
        LifeCycleReviewStatus=["Pending Submission"])) == [created]
    assert listed_ids(client.list_opportunities(
        Catalog="Sandbox", CustomerCompanyName=[company], LifeCycleStage=["Qualified"])) == []
    assert listed_ids(client.list_opportunities(
        Catalog="Sandbox", CustomerCompanyName=[company], LifeCycleReviewStatus=["Approved"])) == []


@pytest.mark.parametrize("member, after, before", [
    ("LastModifiedDate", "AfterLastModifiedDate", "BeforeLastModifiedDate"),
    ("CreatedDate", "AfterCreatedDate", "BeforeCreatedDate"),
])
def test_time_filters_after_inclusive_before_exclusive(in_process, member, after, before):
    gateway, client = in_process
    # Created one second apart, modified one minute later, one second apart.
    rows = [insert_opportunity(gateway.store, n, created=T0 + n * SECOND,
                               modified=T0 + dt.timedelta(minutes=1) + n * SECOND) for n in range(3)]
    base = T0 if member == "CreatedDate" else T0 + dt.timedelta(minutes=1)

    def ids(**bounds):
        return sorted(listed_ids(client.list_opportunities(Catalog="Sandbox", **{member: bounds})))

    assert ids(**{after: base + SECOND}) == rows[1:]
    assert ids(**{before: base + SECOND}) == rows[:1]
    assert ids(**{after: base + SECOND, before: base + 2 * SECOND}) == rows[1:2]
    assert ids(**{after: base + SECOND + dt.timedelta(microseconds=500)}) == rows[2:]
    assert ids(**{before: base + SECOND + dt.timedelta(microseconds=500)}) == rows[:2]
    assert ids(**{after: base + 3 * SECOND}) == []


def test_time_filter_with_a_returned_last_modified_date(client):
    company = unique_company()
    request = minimal()
    request["Customer"]["Account"]["CompanyName"] = company
    created = client.create_opportunity(**request)
    moment = created["LastModifiedDate"]
    assert listed_ids(client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company],
                                                LastModifiedDate={"AfterLastModifiedDate": moment})) == [created["Id"]]
    assert listed_ids(client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company],
                                                LastModifiedDate={"BeforeLastModifiedDate": moment})) == []
    assert listed_ids(client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company],
                                                CreatedDate={"AfterCreatedDate": moment})) == [created["Id"]]


def test_target_close_date_filter(client):
    company = unique_company()
    dates = [future_date(30), future_date(31), future_date(32)]
    ids = [create(client, company, LifeCycle={"TargetCloseDate": date}) for date in dates]

    def listed(**bounds):
        return sorted(listed_ids(client.list_opportunities(
            Catalog="Sandbox", CustomerCompanyName=[company], TargetCloseDate=bounds)))

    assert listed(AfterTargetCloseDate=dates[1]) == ids[1:]
    assert listed(BeforeTargetCloseDate=dates[1]) == ids[:1]
    assert listed(AfterTargetCloseDate=dates[1], BeforeTargetCloseDate=dates[2]) == ids[1:2]


def test_only_the_callers_account_and_catalog(in_process):
    gateway, client = in_process
    mine = insert_opportunity(gateway.store, 1)
    insert_opportunity(gateway.store, 2, account=OTHER_ACCOUNT)
    in_aws = insert_opportunity(gateway.store, 3, catalog="AWS")
    assert listed_ids(client.list_opportunities(Catalog="Sandbox")) == [mine]
    assert listed_ids(client.list_opportunities(Catalog="AWS")) == [in_aws]
    assert listed_ids(client.list_opportunities(Catalog="Sandbox", Identifier=["O2"])) == []


# --- ListOpportunities sorting ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sortable(client):
    """Four opportunities created one after the other, each with its own company name and date."""
    tag = uuid.uuid4().hex[:8]
    names = [f"Zeta {tag}", f"alpha {tag}", f"Beta {tag}", f"beta {tag}"]
    dates = [future_date(40), future_date(10), future_date(70), future_date(20)]
    ids = [create(client, name, LifeCycle={"TargetCloseDate": date}) for name, date in zip(names, dates)]
    return {"ids": ids, "names": names}


SORT_KEYS = {
    "LastModifiedDate": lambda s: s["LastModifiedDate"],
    "CreatedDate": lambda s: s["CreatedDate"],
    "Identifier": lambda s: int(s["Id"][1:]),
    "CustomerCompanyName": lambda s: s["Customer"]["Account"]["CompanyName"],
    "TargetCloseDate": lambda s: s["LifeCycle"]["TargetCloseDate"],
}


@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("sort_by", list(SORT_KEYS))
def test_each_sort_in_both_orders(client, sortable, sort_by, order):
    response = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=sortable["names"],
                                         Sort={"SortBy": sort_by, "SortOrder": order})
    summaries = response["OpportunitySummaries"]
    assert sorted(listed_ids(response)) == sorted(sortable["ids"])
    key = SORT_KEYS[sort_by]
    expected = sorted(summaries, key=lambda s: (key(s), int(s["Id"][1:])), reverse=order == "DESCENDING")
    assert listed_ids(response) == [s["Id"] for s in expected]
    if sort_by in ("LastModifiedDate", "CreatedDate", "Identifier"):  # all follow creation order
        assert listed_ids(response) == (sortable["ids"] if order == "ASCENDING" else sortable["ids"][::-1])
    if sort_by == "CustomerCompanyName":  # exact code-point order: upper case before lower case
        ascending = [sortable["ids"][i] for i in (2, 0, 1, 3)]  # Beta, Zeta, alpha, beta
        assert listed_ids(response) == (ascending if order == "ASCENDING" else ascending[::-1])


def test_default_sort_is_last_modified_descending(client, sortable):
    response = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=sortable["names"])
    assert listed_ids(response) == sortable["ids"][::-1]


def test_null_company_names_and_close_dates_sort_first_and_paginate(in_process):
    gateway, client = in_process
    ids = {}
    for number, (company, close) in enumerate([("B", "2030-01-02"), (None, None), ("A", None), (None, "2030-01-01"),
                                               ("B", None), ("A", "2030-01-03")], start=1):
        ids[number] = insert_opportunity(gateway.store, number, company=company, target_close=close)
    expected = {
        "CustomerCompanyName": [ids[2], ids[4], ids[3], ids[6], ids[1], ids[5]],
        "TargetCloseDate": [ids[2], ids[3], ids[5], ids[4], ids[1], ids[6]],
    }
    for sort_by, ascending in expected.items():
        for order, wanted in (("ASCENDING", ascending), ("DESCENDING", ascending[::-1])):
            for page_size in (1, 2, 4, 6):
                got = walk(client.list_opportunities, Catalog="Sandbox", MaxResults=page_size,
                           Sort={"SortBy": sort_by, "SortOrder": order})
                assert got == wanted, (sort_by, order, page_size)


# --- page sizes, pagination -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def forty_five(client):
    company = unique_company("Forty-five")
    return company, [create(client, company) for _ in range(45)]


def test_boto3_paginator_walks_every_page(client, forty_five):
    company, ids = forty_five
    pages = list(client.get_paginator("list_opportunities").paginate(
        Catalog="Sandbox", CustomerCompanyName=[company], PaginationConfig={"PageSize": 10}))
    assert [len(page["OpportunitySummaries"]) for page in pages] == [10, 10, 10, 10, 5]
    seen = [summary["Id"] for page in pages for summary in page["OpportunitySummaries"]]
    assert len(seen) == len(set(seen)) == 45
    assert seen == ids[::-1]
    assert all("NextToken" in page for page in pages[:-1]) and "NextToken" not in pages[-1]


def test_max_results_and_its_default_of_20(client, forty_five):
    company, ids = forty_five
    first = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company])
    assert len(first["OpportunitySummaries"]) == 20 and first["NextToken"]
    one = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company], MaxResults=1)
    assert listed_ids(one) == ids[-1:]
    # The page size may change between pages: the token carries a position, not an offset.
    rest = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company], MaxResults=100,
                                     NextToken=one["NextToken"])
    assert listed_ids(rest) == ids[-2::-1] and "NextToken" not in rest
    exact = client.list_opportunities(Catalog="Sandbox", CustomerCompanyName=[company], MaxResults=45)
    assert len(exact["OpportunitySummaries"]) == 45 and "NextToken" not in exact


@pytest.mark.parametrize("size", [0, 101])
def test_max_results_out_of_range(raw_client, size):
    with pytest.raises(ClientError) as raised:
        raw_client.list_opportunities(Catalog="Sandbox", MaxResults=size)
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert [e["FieldName"] for e in raised.value.response["ErrorList"]] == ["maxResults"]


@pytest.mark.parametrize("order", ["DESCENDING", "ASCENDING"])
def test_pagination_while_opportunities_are_created(client, order):
    company = unique_company("Moving")
    before = [create(client, company) for _ in range(30)]
    request = {"Catalog": "Sandbox", "CustomerCompanyName": [company], "MaxResults": 7,
               "Sort": {"SortBy": "LastModifiedDate", "SortOrder": order}}
    seen, token, created_meanwhile = [], None, []
    for _ in range(MAX_PAGES):
        response = client.list_opportunities(**request, **({"NextToken": token} if token else {}))
        seen += listed_ids(response)
        token = response.get("NextToken")
        if token is None:
            break
        created_meanwhile += [create(client, company) for _ in range(2)]
    else:
        pytest.fail("NextToken never ran out")
    for opportunity_id in before:
        assert seen.count(opportunity_id) == 1, opportunity_id
    assert set(seen) <= set(before) | set(created_meanwhile)
    assert len(seen) == len(set(seen))


def test_pagination_while_opportunities_are_updated(in_process):
    gateway, client = in_process
    rows = [insert_opportunity(gateway.store, n, created=T0 + n * SECOND) for n in range(1, 31)]
    request = {"Catalog": "Sandbox", "MaxResults": 10}
    first = client.list_opportunities(**request)
    assert listed_ids(first) == rows[:-11:-1]
    later = T0 + dt.timedelta(hours=1)
    changed = {rows[29], rows[25], rows[12], rows[3]}  # on page 1, on page 1, ahead, ahead
    for offset, opportunity_id in enumerate(sorted(changed)):
        touch_opportunity(gateway.store, opportunity_id, later + offset * SECOND)
    insert_opportunity(gateway.store, 99, created=later)
    seen = listed_ids(first) + walk(client.list_opportunities, **request, NextToken=first["NextToken"])
    for opportunity_id in set(rows) - changed:
        assert seen.count(opportunity_id) == 1, opportunity_id


# --- NextToken verification -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def paged(client):
    company = unique_company("Tokens")
    for _ in range(3):
        create(client, company)
    request = {"Catalog": "Sandbox", "CustomerCompanyName": [company], "MaxResults": 1}
    return request, client.list_opportunities(**request)["NextToken"]


def test_a_valid_token_continues(client, paged):
    request, token = paged
    assert len(client.list_opportunities(**request, NextToken=token)["OpportunitySummaries"]) == 1


def _tampered(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-40] ^= 0x01  # a byte of the payload, signed with the old MAC
    return base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("damage", [
    pytest.param(_tampered, id="forged payload"),
    pytest.param(lambda token: token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:], id="forged signature"),
    pytest.param(lambda token: token[:-6], id="truncated"),
    pytest.param(lambda token: token[: len(token) // 2], id="half"),
    pytest.param(lambda token: "not a token!", id="garbage"),
    pytest.param(lambda token: base64.urlsafe_b64encode(b"[1,\"ListOpportunities\"]").decode(), id="unsigned"),
])
def test_damaged_token_is_refused(client, paged, damage):
    request, token = paged
    with pytest.raises(ClientError) as raised:
        client.list_opportunities(**request, NextToken=damage(token))
    assert_invalid_token(raised)


@pytest.mark.parametrize("change", [
    pytest.param({"CustomerCompanyName": ["Someone else"]}, id="other filter"),
    pytest.param({"LifeCycleStage": ["Prospect"]}, id="added filter"),
    pytest.param({"Sort": {"SortBy": "Identifier", "SortOrder": "DESCENDING"}}, id="other sort"),
    pytest.param({"Sort": {"SortBy": "LastModifiedDate", "SortOrder": "ASCENDING"}}, id="other order"),
    pytest.param({"Catalog": "AWS"}, id="other catalog"),
])
def test_token_reused_with_another_query_is_refused(client, paged, change):
    request, token = paged
    with pytest.raises(ClientError) as raised:
        client.list_opportunities(**{**request, **change}, NextToken=token)
    assert_invalid_token(raised)


def test_token_with_the_default_sort_spelled_out_is_the_same_query(client, paged):
    request, token = paged
    explicit = {**request, "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}}
    assert len(client.list_opportunities(**explicit, NextToken=token)["OpportunitySummaries"]) == 1


def test_token_of_another_database_or_operation_is_refused(in_process, paged):
    gateway, client = in_process
    request, token = paged
    with pytest.raises(ClientError) as raised:  # signed with the live server's key, not this database's
        client.list_opportunities(**request, NextToken=token)
    assert_invalid_token(raised)
    for number in range(1, 4):
        with gateway.store.write() as tx:
            tx.solutions.insert(ACCOUNT, "Sandbox", f"S-{number:07d}", f"Solution {number}", "Active", "Software", T0)
    solutions_token = client.list_solutions(Catalog="Sandbox", MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as raised:
        client.list_opportunities(Catalog="Sandbox", NextToken=solutions_token)
    assert_invalid_token(raised)
    assert "ListSolutions" in raised.value.response["ErrorList"][0]["Message"]


# --- what a summary holds, on the wire --------------------------------------------------------------

def raw_call(gateway, operation: str, body: dict) -> dict:
    response = gateway.handle(RawRequest("POST", "/", {"x-amz-target": f"AWSPartnerCentralSelling.{operation}",
                                                       "content-type": "application/x-amz-json-1.0"},
                                         json.dumps(body).encode()))
    assert response.status == 200, response.body
    return json.loads(response.body)


def test_summary_has_only_summary_members(in_process):
    gateway, client = in_process
    parent = client.create_opportunity(**minimal())["Id"]
    created = client.create_opportunity(**full(related_opportunity_id=parent))["Id"]
    assert "NextStepsHistory" in client.get_opportunity(Catalog="Sandbox", Identifier=created)["LifeCycle"]
    body = raw_call(gateway, "ListOpportunities", {"Catalog": "Sandbox", "Identifier": [created]})
    assert body["NextToken"] is None  # sent as null on the last page (reference §1.7)
    [summary] = body["OpportunitySummaries"]
    assert summary["Id"] == created and summary["LifeCycle"]["NextSteps"] == "Schedule the architecture review"
    assert "NextStepsHistory" not in summary["LifeCycle"]
    assert summary["Customer"]["Account"]["CompanyName"]
    assert "AwsAccountId" not in summary["Customer"]["Account"] and "Duns" not in summary["Customer"]["Account"]
    assert "StreetAddress" not in summary["Customer"]["Account"]["Address"]
    assert "Customer" in summary and "Contacts" not in summary["Customer"]
    assert "OpportunityTeam" not in summary and "RelatedEntityIdentifiers" not in summary
    assert set(summary["Project"]) == {"DeliveryModels", "ExpectedCustomerSpend", "ExpectedContractDuration"}


# --- ListSolutions ----------------------------------------------------------------------------------

SOLUTIONS = [  # number, name, status, category, created seconds after T0
    (1, "Data Lake", "Active", "Software Product", 30),
    (2, "Migration", "Inactive", "Consulting Service", 10),
    (3, "Analytics", "Active", "Consulting Service", 20),
    (4, "Backup", "Draft", "Managed Service", 40),
    (5, "analytics", "Active", "Software Product", 0),
]


@pytest.fixture
def solutions(in_process):
    """SOLUTIONS in the AWS catalog (the Sandbox one also holds the default test solution S-1234567)."""
    gateway, client = in_process
    with gateway.store.write() as tx:
        for number, name, status, category, seconds in SOLUTIONS:
            tx.solutions.insert(ACCOUNT, "AWS", f"S-{number:07d}", name, status, category, T0 + seconds * SECOND)
        tx.solutions.insert(OTHER_ACCOUNT, "AWS", "S-0000006", "Theirs", "Active", "Software Product", T0)
        tx.solutions.insert(ACCOUNT, "Sandbox", "S-0000007", "Sandbox only", "Active", "Software Product", T0)
    return client


def test_list_solutions_default_sort_and_summary(solutions):
    response = solutions.list_solutions(Catalog="AWS")
    assert listed_ids(response, "SolutionSummaries") == [f"S-{n:07d}" for n in (5, 4, 3, 2, 1)]
    summary = response["SolutionSummaries"][-1]
    assert summary == {"Catalog": "AWS", "Id": "S-0000001", "Name": "Data Lake", "Status": "Active",
                       "Category": "Software Product", "CreatedDate": T0 + 30 * SECOND}  # Arn: null, dropped
    assert "NextToken" not in response
    in_sandbox = listed_ids(solutions.list_solutions(Catalog="Sandbox"), "SolutionSummaries")
    assert "S-0000007" in in_sandbox and not {f"S-{n:07d}" for n in range(1, 7)} & set(in_sandbox)


def test_list_solutions_filters(solutions):
    def ids(**filters):
        return sorted(listed_ids(solutions.list_solutions(Catalog="AWS", **filters), "SolutionSummaries"))

    assert ids(Status=["Active"]) == ["S-0000001", "S-0000003", "S-0000005"]
    assert ids(Status=["Draft", "Inactive"]) == ["S-0000002", "S-0000004"]
    assert ids(Identifier=["S-0000002", "S-0000004", "S-0000006"]) == ["S-0000002", "S-0000004"]
    assert ids(Category=["Consulting Service"]) == ["S-0000002", "S-0000003"]
    assert ids(Category=["Consulting Service"], Status=["Active"]) == ["S-0000003"]
    assert ids(AwsMarketplaceSolutionArn=["arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/x"]) == []


SOLUTION_SORT_KEYS = {"Identifier": 0, "Name": 1, "Status": 2, "Category": 3, "CreatedDate": 4}


@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("sort_by", list(SOLUTION_SORT_KEYS))
def test_list_solutions_sorts(solutions, sort_by, order):
    column = SOLUTION_SORT_KEYS[sort_by]
    expected = sorted(SOLUTIONS, key=lambda row: (row[column], row[0]), reverse=order == "DESCENDING")
    wanted = [f"S-{row[0]:07d}" for row in expected]
    sort = {"SortBy": sort_by, "SortOrder": order}
    assert listed_ids(solutions.list_solutions(Catalog="AWS", Sort=sort), "SolutionSummaries") == wanted
    pages = solutions.get_paginator("list_solutions").paginate(Catalog="AWS", Sort=sort,
                                                                PaginationConfig={"PageSize": 2})
    assert [s["Id"] for page in pages for s in page["SolutionSummaries"]] == wanted


# --- ListEngagementFromOpportunityTasks -------------------------------------------------------------

@pytest.fixture
def tasks(in_process):
    gateway, client = in_process
    documents = [
        task(1, status="COMPLETE", opportunity="O1000001", engagement="eng-aaaaaaaaaaaaaa"),
        task(2, status="IN_PROGRESS", opportunity="O1000002"),
        task(3, status="FAILED", opportunity="O1000001"),
        task(4, status="COMPLETE", opportunity="O1000003", engagement="eng-bbbbbbbbbbbbbb"),
        task(5, status="COMPLETE", opportunity="O1000002", engagement="eng-aaaaaaaaaaaaaa"),
    ]
    for document in documents:
        insert_task(gateway.store, document)
    insert_task(gateway.store, task(6), account=OTHER_ACCOUNT)
    insert_task(gateway.store, task(7, catalog="AWS"), catalog="AWS")
    return client, {d["TaskId"]: d for d in documents}


def task_ids(response) -> list[str]:
    return listed_ids(response, "TaskSummaries", "TaskId")


def test_tasks_default_sort_is_start_time_descending(tasks):
    client, documents = tasks
    response = client.list_engagement_from_opportunity_tasks(Catalog="Sandbox")
    assert task_ids(response) == [f"task-{n:013d}" for n in (5, 4, 3, 2, 1)]
    first = response["TaskSummaries"][-1]
    assert first["TaskArn"] == documents["task-0000000000001"]["TaskArn"]
    assert first["StartTime"] == T0 + SECOND and first["EngagementId"] == "eng-aaaaaaaaaaaaaa"
    assert task_ids(client.list_engagement_from_opportunity_tasks(Catalog="AWS")) == ["task-0000000000007"]


def test_tasks_sort_ascending_and_paginate(tasks):
    client, _ = tasks
    sort = {"SortBy": "StartTime", "SortOrder": "ASCENDING"}
    pages = list(client.get_paginator("list_engagement_from_opportunity_tasks").paginate(
        Catalog="Sandbox", Sort=sort, PaginationConfig={"PageSize": 2}))
    assert [task_ids(page) for page in pages] == [
        ["task-0000000000001", "task-0000000000002"], ["task-0000000000003", "task-0000000000004"],
        ["task-0000000000005"]]


def test_tasks_filters(tasks):
    client, documents = tasks

    def ids(**filters):
        return sorted(task_ids(client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", **filters)))

    assert ids(TaskStatus=["COMPLETE"]) == ["task-0000000000001", "task-0000000000004", "task-0000000000005"]
    assert ids(TaskStatus=["FAILED", "IN_PROGRESS"]) == ["task-0000000000002", "task-0000000000003"]
    assert ids(TaskIdentifier=["task-0000000000002", "task-0000000000006"]) == ["task-0000000000002"]
    arn = documents["task-0000000000004"]["TaskArn"]
    assert ids(TaskIdentifier=[arn, "task-0000000000001"]) == ["task-0000000000001", "task-0000000000004"]
    assert ids(TaskIdentifier=[arn.replace("Sandbox", "AWS")]) == []
    assert ids(OpportunityIdentifier=["O1000001"]) == ["task-0000000000001", "task-0000000000003"]
    assert ids(EngagementIdentifier=["eng-aaaaaaaaaaaaaa"]) == ["task-0000000000001", "task-0000000000005"]
    engagement_arn = "arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/eng-bbbbbbbbbbbbbb"
    assert ids(EngagementIdentifier=[engagement_arn]) == ["task-0000000000004"]
    assert ids(EngagementIdentifier=[engagement_arn.replace("Sandbox", "AWS")]) == []
    assert ids(TaskStatus=["COMPLETE"], OpportunityIdentifier=["O1000002"],
               EngagementIdentifier=["eng-aaaaaaaaaaaaaa"]) == ["task-0000000000005"]


def test_tasks_page_size_and_token(in_process):
    gateway, client = in_process
    assert client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", MaxResults=1000)["TaskSummaries"] == []
    for number in range(1, 4):
        insert_task(gateway.store, task(number))
    page = client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", MaxResults=2)
    assert len(page["TaskSummaries"]) == 2 and page["NextToken"]
    with pytest.raises(ClientError) as raised:
        client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", MaxResults=2, NextToken=page["NextToken"],
                                                      TaskStatus=["FAILED"])
    assert_invalid_token(raised)


def test_tasks_max_results_above_1000_is_refused(raw_client):
    with pytest.raises(ClientError) as raised:
        raw_client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", MaxResults=1001)
    assert [e["FieldName"] for e in raised.value.response["ErrorList"]] == ["maxResults"]


# --- query plans ------------------------------------------------------------------------------------

@sqlite_only("Store.trace, EXPLAIN QUERY PLAN")
def test_pages_are_read_in_index_order_without_sorting(in_process):
    """The default list and the stage-filtered one walk an index in order; no temporary sort."""
    gateway, client = in_process
    stages = ["Prospect", "Qualified", "Committed"]
    with gateway.store.write() as tx:
        for number in range(1, 301):
            created = T0 + number * SECOND
            tx.opportunities.insert(ACCOUNT, opportunity_document(number, stage=stages[number % 3], created=created),
                                  created, created)
    statements = []

    def capture(statement):
        if "FROM opportunities" in statement and "ORDER BY" in statement:
            statements.append(statement)

    with gateway.store.trace(capture):
        page = client.list_opportunities(Catalog="Sandbox")
        client.list_opportunities(Catalog="Sandbox", NextToken=page["NextToken"])
        page = client.list_opportunities(Catalog="Sandbox", LifeCycleStage=["Qualified"])
        client.list_opportunities(Catalog="Sandbox", LifeCycleStage=["Qualified"], NextToken=page["NextToken"])
    assert len(statements) == 4
    with gateway.store.read() as tx:  # the statements as run, their values written in
        plans = [" | ".join(row[3] for row in tx.db.connection.execute("EXPLAIN QUERY PLAN " + sql))
                 for sql in statements]
    for plan in plans:
        assert "TEMP B-TREE" not in plan, plan
    assert all("USING INDEX opportunities_by_last_modified" in plan for plan in plans[:2]), plans
    assert all("USING INDEX opportunities_by_stage_last_modified" in plan for plan in plans[2:]), plans
