"""ListOpportunities, ListSolutions and ListEngagementFromOpportunityTasks through boto3: filters, sorts,
page sizes, keyset pagination under concurrent writes, NextToken verification, and the query plans.

The live `server` is shared by the whole session, so every live test scopes its lists with a company
name of its own (CustomerCompanyName matches exactly). Tests that need control over times, stages or
other accounts use the in-process gateway: its clock is frozen at the instant each write should have
(`gateway.clock.set`), stages are reached as a partner and AWS's reviewer reach them, other accounts
sign with keys of their own, solutions come from the control surface `cosell solutions add` uses.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import attached_client, sqlite_only
from cosell.control.accounts import create_account
from cosell.control.solutions import add_solution
from cosell.domain import identifiers
from cosell.domain.opportunity import new_opportunity
from cosell.domain.opportunity_rules import RuleContext, create_violations
from cosell.gateway import RawRequest
from cosell.timestamps import format_timestamp
from lifecycle_steps import approved, review_as_aws, submit
from opportunity_requests import full, future_date, minimal, submittable, update_from

# Lists are SQL: filters, ordering (collation, NULLs), keyset pagination and the NextToken key are the
# database's.
pytestmark = pytest.mark.backend

ACCOUNT = "123456789012"  # Settings' default account: the caller of every test client
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
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


# --- in process: writes at chosen times, in chosen stages, by other accounts -------------------------

@pytest.fixture
def clocked(in_process):
    """The in-process gateway and client, cosell's clock frozen at T0: everything the client writes
    is written at the clock's time, which the test sets."""
    gateway, client = in_process
    gateway.clock.set(T0, frozen=True)
    return gateway, client


def at(gateway, when: dt.datetime) -> None:
    """cosell's clock reads `when` (and stays there) until it is set again."""
    gateway.clock.set(when, frozen=True)


def touch(client, opportunity_id: str) -> str:
    """An UpdateOpportunity that sends the opportunity back as it is: only LastModifiedDate changes."""
    current = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    return client.update_opportunity(**update_from(current))["LastModifiedDate"]


def other_account_client(gateway):
    """A client of a second partner account (`cosell accounts create`), signing with its own key."""
    key = create_account(gateway.store, "Other Partner", ("Sandbox", "AWS"), False, gateway.clock.now())
    return attached_client(gateway, key.access_key_id, key.secret_access_key)


def insert_without_company_name(gateway, target_close: str | None) -> str:
    """An opportunity whose customer has no CompanyName, written straight into the store.

    No request reaches one through the API: seed_industry_required wants Customer.Account.Industry, so
    a valid request has a Customer.Account, and the model requires CompanyName in every Account (r3's
    national-security exception only covers a request without an Account, which the Industry rule then
    refuses). The store and the pager still handle a NULL company_name (an AWS-originated opportunity
    with its customer withheld would be one), so this writes what CreateOpportunity would write for the
    national-security request that cosell's business rules accept: new_opportunity's whole document,
    with the next Sandbox number, at the clock's time."""
    request = {"Catalog": "Sandbox", "NationalSecurity": "Yes",
               "Customer": {"Account": {"Industry": "Government"}}}
    if target_close is not None:
        request["LifeCycle"] = {"TargetCloseDate": target_close}
    now = gateway.clock.now()
    assert create_violations(request, RuleContext("Sandbox", now.date())) == []  # all but the wire model's
    with gateway.store.write() as tx:
        new_id = identifiers.opportunity_id(tx.counters.next("opportunity/Sandbox"))
        document = new_opportunity(request, opportunity_id=new_id, arn=identifiers.opportunity_arn(ACCOUNT, "Sandbox", new_id),
                                   account_id=ACCOUNT, now=format_timestamp(now))
        tx.opportunities.insert(ACCOUNT, document, now, now)
    return new_id


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
    prospect = client.create_opportunity(**submittable())["Id"]  # Prospect, Pending Submission
    later_stages = {stage: client.create_opportunity(**submittable())["Id"] for stage in ("Qualified", "Committed", "Launched")}
    for stage, opportunity_id in later_stages.items():  # Approved, then moved on by the partner
        approved(client, opportunity_id, stage)
        assert client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["LifeCycle"]["Stage"] == stage
    qualified, committed, launched = later_stages.values()
    action_required = client.create_opportunity(**submittable())["Id"]  # Prospect, Action Required
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=action_required,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    assert submit(client, action_required)["TaskStatus"] == "COMPLETE"
    review_as_aws(client, action_required, "Action Required", ReviewComments="Describe the problem.")

    def ids(**filters):
        return sorted(listed_ids(client.list_opportunities(Catalog="Sandbox", **filters)))

    assert ids(LifeCycleStage=["Qualified"]) == [qualified]
    assert ids(LifeCycleStage=["Launched"]) == [launched]
    assert ids(LifeCycleStage=["Committed", "Prospect"]) == sorted([committed, prospect, action_required])
    assert ids(LifeCycleReviewStatus=["Approved"]) == sorted([qualified, committed, launched])
    assert ids(LifeCycleReviewStatus=["Action Required", "Pending Submission"]) == sorted([action_required, prospect])
    # Filters of different members must all match: Prospect ones are not Approved, Approved ones not Prospect.
    assert ids(LifeCycleStage=["Qualified", "Prospect"], LifeCycleReviewStatus=["Approved"]) == [qualified]
    assert ids(LifeCycleStage=["Prospect"], LifeCycleReviewStatus=["Action Required"]) == [action_required]
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
def test_time_filters_after_inclusive_before_exclusive(clocked, member, after, before):
    gateway, client = clocked
    # Created one second apart, modified one minute later, one second apart.
    rows = []
    for n in range(3):
        at(gateway, T0 + n * SECOND)
        rows.append(client.create_opportunity(**minimal())["Id"])
    for n, opportunity_id in enumerate(rows):
        at(gateway, T0 + dt.timedelta(minutes=1) + n * SECOND)
        assert touch(client, opportunity_id) == T0 + dt.timedelta(minutes=1) + n * SECOND
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
    mine = client.create_opportunity(**minimal())["Id"]
    other = other_account_client(gateway)
    theirs = other.create_opportunity(**minimal())["Id"]
    in_aws = client.create_opportunity(**minimal(catalog="AWS"))["Id"]
    assert listed_ids(client.list_opportunities(Catalog="Sandbox")) == [mine]
    assert listed_ids(client.list_opportunities(Catalog="AWS")) == [in_aws]
    assert listed_ids(client.list_opportunities(Catalog="Sandbox", Identifier=[theirs])) == []
    assert listed_ids(other.list_opportunities(Catalog="Sandbox")) == [theirs]  # and the other way round
    assert listed_ids(other.list_opportunities(Catalog="AWS")) == []


# --- ListOpportunities sorting ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sortable(client):
    """Four opportunities created one after the other, each with its own company name and date."""
    tag = uuid.uuid4().hex[:8]
    names = [f"Zeta {tag}", f"alpha {tag}", f"Beta {tag}", f"beta {tag}"]
    dates = [future_date(40), future_date(10), future_date(70), future_date(20)]
    ids = [create(client, name, LifeCycle={"TargetCloseDate": date}) for name, date in zip(names, dates, strict=True)]
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


def test_null_company_names_and_close_dates_sort_first_and_paginate(clocked):
    gateway, client = clocked

    def opportunity(company: str | None, close: str | None) -> str:
        if company is None:
            return insert_without_company_name(gateway, close)
        request = minimal(LifeCycle={"TargetCloseDate": close} if close else {})
        if company == "":  # national security: a CompanyName, but an empty one
            request.update(NationalSecurity="Yes", Customer={"Account": {"CompanyName": "", "Industry": "Government"}})
        else:
            request["Customer"]["Account"]["CompanyName"] = company
        return client.create_opportunity(**request)["Id"]

    ids = {}
    for number, (company, close) in enumerate([("B", "2030-01-02"), (None, None), ("", "2030-01-04"), ("A", None),
                                               (None, "2030-01-01"), ("B", None), ("A", "2030-01-03")], start=1):
        ids[number] = opportunity(company, close)
    assert [int(ids[n][1:]) for n in sorted(ids)] == sorted(int(i[1:]) for i in ids.values())  # ties go by number
    expected = {  # NULL first, then the empty name (numbered between the NULL ones: it is not one of them)
        "CustomerCompanyName": [ids[2], ids[5], ids[3], ids[4], ids[7], ids[1], ids[6]],
        "TargetCloseDate": [ids[2], ids[4], ids[6], ids[5], ids[1], ids[7], ids[3]],
    }
    for sort_by, ascending in expected.items():
        for order, wanted in (("ASCENDING", ascending), ("DESCENDING", ascending[::-1])):
            for page_size in (1, 2, 4, 6, 7):
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


def test_pagination_while_opportunities_are_updated(clocked):
    gateway, client = clocked
    rows = []
    for n in range(1, 31):
        at(gateway, T0 + n * SECOND)
        rows.append(client.create_opportunity(**minimal())["Id"])
    request = {"Catalog": "Sandbox", "MaxResults": 10}
    first = client.list_opportunities(**request)
    assert listed_ids(first) == rows[:-11:-1]
    later = T0 + dt.timedelta(hours=1)
    changed = {rows[29], rows[25], rows[12], rows[3]}  # on page 1, on page 1, ahead, ahead
    for offset, opportunity_id in enumerate(sorted(changed)):
        at(gateway, later + offset * SECOND)
        touch(client, opportunity_id)
    at(gateway, later)
    client.create_opportunity(**minimal())
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
    with gateway.store.write() as tx:  # what `cosell solutions add` does
        for number in range(1, 4):
            add_solution(tx, ACCOUNT, "Sandbox", f"Solution {number}", "Software", "Active", T0)
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
    assert summary["Customer"]["Account"]["CompanyName"] == "Example Corp"
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
    """SOLUTIONS in the AWS catalog, added as `cosell solutions add` adds them, one after the other (the
    Sandbox catalog also holds the default test solution S-1234567); another account's, and one in the
    Sandbox. The client, and the Id of each by number (6: the other account's, 7: the Sandbox's)."""
    gateway, client = in_process
    other = create_account(gateway.store, "Other Partner", ("Sandbox", "AWS"), False, T0)
    ids = {}
    with gateway.store.write() as tx:
        for number, name, status, category, seconds in SOLUTIONS:
            ids[number] = add_solution(tx, ACCOUNT, "AWS", name, category, status, T0 + seconds * SECOND)["Id"]
        ids[6] = add_solution(tx, other.account_id, "AWS", "Theirs", "Software Product", "Active", T0)["Id"]
        ids[7] = add_solution(tx, ACCOUNT, "Sandbox", "Sandbox only", "Software Product", "Active", T0)["Id"]
    in_aws = [ids[n] for n in range(1, 7)]
    assert in_aws == sorted(in_aws)  # the AWS catalog's are numbered in the order they were added
    return client, ids


def test_list_solutions_default_sort_and_summary(solutions):
    client, ids = solutions
    response = client.list_solutions(Catalog="AWS")
    assert listed_ids(response, "SolutionSummaries") == [ids[n] for n in (5, 4, 3, 2, 1)]
    summary = response["SolutionSummaries"][-1]
    assert summary == {"Catalog": "AWS", "Id": ids[1], "Name": "Data Lake", "Status": "Active",
                       "Category": "Software Product", "CreatedDate": T0 + 30 * SECOND}  # Arn: null, dropped
    assert "NextToken" not in response
    in_sandbox = listed_ids(client.list_solutions(Catalog="Sandbox"), "SolutionSummaries")
    assert sorted(in_sandbox) == sorted(["S-1234567", ids[7]])


def test_list_solutions_filters(solutions):
    client, ids = solutions

    def listed(**filters):
        return sorted(listed_ids(client.list_solutions(Catalog="AWS", **filters), "SolutionSummaries"))

    def of(*numbers):
        return sorted(ids[n] for n in numbers)

    assert listed(Status=["Active"]) == of(1, 3, 5)
    assert listed(Status=["Draft", "Inactive"]) == of(2, 4)
    assert listed(Identifier=[ids[2], ids[4], ids[6]]) == of(2, 4)
    assert listed(Category=["Consulting Service"]) == of(2, 3)
    assert listed(Category=["Consulting Service"], Status=["Active"]) == of(3)
    assert listed(AwsMarketplaceSolutionArn=["arn:aws:aws-marketplace:us-east-1:123456789012:AWSMarketplace/x"]) == []


SOLUTION_SORT_KEYS = {"Identifier": 0, "Name": 1, "Status": 2, "Category": 3, "CreatedDate": 4}


@pytest.mark.parametrize("order", ["ASCENDING", "DESCENDING"])
@pytest.mark.parametrize("sort_by", list(SOLUTION_SORT_KEYS))
def test_list_solutions_sorts(solutions, sort_by, order):
    client, ids = solutions
    column = SOLUTION_SORT_KEYS[sort_by]
    expected = sorted(SOLUTIONS, key=lambda row: (row[column], row[0]), reverse=order == "DESCENDING")
    wanted = [ids[row[0]] for row in expected]
    sort = {"SortBy": sort_by, "SortOrder": order}
    assert listed_ids(client.list_solutions(Catalog="AWS", Sort=sort), "SolutionSummaries") == wanted
    pages = client.get_paginator("list_solutions").paginate(Catalog="AWS", Sort=sort,
                                                            PaginationConfig={"PageSize": 2})
    assert [s["Id"] for page in pages for s in page["SolutionSummaries"]] == wanted


# --- ListEngagementFromOpportunityTasks -------------------------------------------------------------

@pytest.fixture
def tasks(clocked):
    """Five tasks in the Sandbox, started one second apart (task n at T0 + n s) by submitting three
    opportunities: n=1 and n=4 submit submittable ones (COMPLETE, each with its engagement); n=2 and
    n=3 submit ones that lack fields (FAILED); n=5 submits the opportunity of n=2 again once it is fixed
    (COMPLETE). Another account's task and one in the AWS catalog beside them. The client, and the
    tasks (as StartEngagementFromOpportunityTask answered them) by n."""
    gateway, client = clocked
    def complete() -> dict:  # a request with every field submission requires (a new ClientToken each)
        return submittable(Project={**submittable()["Project"], "OtherSolutionDescription": "Custom"})

    opportunities = {1: client.create_opportunity(**complete())["Id"], 2: client.create_opportunity(**minimal())["Id"],
                     3: client.create_opportunity(**minimal())["Id"], 4: client.create_opportunity(**complete())["Id"]}
    started = {}
    for n in (1, 2, 3, 4):
        at(gateway, T0 + n * SECOND)
        started[n] = submit(client, opportunities[n])
    current = client.get_opportunity(Catalog="Sandbox", Identifier=opportunities[2])
    fixed = complete()
    client.update_opportunity(**update_from(current, **{member: fixed[member] for member in (
        "Customer", "Project", "PrimaryNeedsFromAws", "Marketing", "LifeCycle")}))
    at(gateway, T0 + 5 * SECOND)
    started[5] = submit(client, opportunities[2])
    assert [started[n]["TaskStatus"] for n in range(1, 6)] == ["COMPLETE", "FAILED", "FAILED", "COMPLETE", "COMPLETE"]

    other = other_account_client(gateway)
    started[6] = submit(other, other.create_opportunity(**minimal())["Id"])
    started[7] = submit(client, client.create_opportunity(**minimal(catalog="AWS"))["Id"], catalog="AWS")
    return client, started


def task_ids(response) -> list[str]:
    return listed_ids(response, "TaskSummaries", "TaskId")


def test_tasks_default_sort_is_start_time_descending(tasks):
    client, started = tasks
    response = client.list_engagement_from_opportunity_tasks(Catalog="Sandbox")
    assert task_ids(response) == [started[n]["TaskId"] for n in (5, 4, 3, 2, 1)]
    first = response["TaskSummaries"][-1]
    assert first["TaskArn"] == started[1]["TaskArn"]
    assert first["StartTime"] == T0 + SECOND and first["EngagementId"] == started[1]["EngagementId"]
    assert task_ids(client.list_engagement_from_opportunity_tasks(Catalog="AWS")) == [started[7]["TaskId"]]


def test_tasks_sort_ascending_and_paginate(tasks):
    client, started = tasks
    sort = {"SortBy": "StartTime", "SortOrder": "ASCENDING"}
    pages = list(client.get_paginator("list_engagement_from_opportunity_tasks").paginate(
        Catalog="Sandbox", Sort=sort, PaginationConfig={"PageSize": 2}))
    assert [task_ids(page) for page in pages] == [[started[n]["TaskId"] for n in numbers]
                                                  for numbers in ((1, 2), (3, 4), (5,))]


def test_tasks_filters(tasks):
    client, started = tasks

    def listed(**filters):
        return sorted(task_ids(client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", **filters)))

    def of(*numbers):
        return sorted(started[n]["TaskId"] for n in numbers)

    def engagement(n):
        return started[n]["EngagementId"]

    assert listed(TaskStatus=["COMPLETE"]) == of(1, 4, 5)
    # A task is COMPLETE or FAILED when StartEngagementFromOpportunityTask answers: none is IN_PROGRESS.
    assert listed(TaskStatus=["FAILED", "IN_PROGRESS"]) == of(2, 3)
    assert listed(TaskIdentifier=[started[2]["TaskId"], started[6]["TaskId"]]) == of(2)
    arn = started[4]["TaskArn"]
    assert listed(TaskIdentifier=[arn, started[1]["TaskId"]]) == of(1, 4)
    assert listed(TaskIdentifier=[arn.replace("Sandbox", "AWS")]) == []
    assert listed(OpportunityIdentifier=[started[2]["OpportunityId"]]) == of(2, 5)
    assert listed(EngagementIdentifier=[engagement(1), engagement(5)]) == of(1, 5)
    engagement_arn = f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{engagement(4)}"
    assert listed(EngagementIdentifier=[engagement_arn]) == of(4)
    assert listed(EngagementIdentifier=[engagement_arn.replace("Sandbox", "AWS")]) == []
    assert listed(TaskStatus=["COMPLETE"], OpportunityIdentifier=[started[2]["OpportunityId"]],
                  EngagementIdentifier=[engagement(1), engagement(5)]) == of(5)


def test_tasks_page_size_and_token(in_process):
    gateway, client = in_process
    assert client.list_engagement_from_opportunity_tasks(Catalog="Sandbox", MaxResults=1000)["TaskSummaries"] == []
    for _ in range(3):
        submit(client, client.create_opportunity(**minimal())["Id"])
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
    for number in range(1, 43):  # 21 Qualified (a page and more), 7 Committed, 14 Prospect
        opportunity_id = client.create_opportunity(**submittable())["Id"]
        stage = "Qualified" if number % 2 else "Committed" if number % 6 == 0 else "Prospect"
        if stage != "Prospect":
            approved(client, opportunity_id, stage)
    assert [len(client.list_opportunities(Catalog="Sandbox", LifeCycleStage=[stage], MaxResults=100)[
        "OpportunitySummaries"]) for stage in ("Prospect", "Qualified", "Committed")] == [14, 21, 7]
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
