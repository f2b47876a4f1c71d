"""The developer kit as a partner's test suite meets it: a test file that only installs cosell (the plugin
loads from the package's entry point, no conftest) and uses its fixtures, run by pytest in a subprocess."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

OPPORTUNITY = '''
OPPORTUNITY = {
    "Catalog": "Sandbox", "Origin": "Partner Referral",
    "Customer": {"Account": {"CompanyName": "Example Corp", "Industry": "Software and Internet",
                             "WebsiteUrl": "https://example.com", "Address": {"CountryCode": "US", "PostalCode": "98101",
                                                                         "StateOrRegion": "Washington"}}},
    "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": "2030-01-31"},
    "Project": {"Title": "Plugin test", "CustomerBusinessProblem": "The customer needs a faster analytics pipeline.",
                "CustomerUseCase": "AI Machine Learning and Analytics", "DeliveryModels": ["SaaS or PaaS"],
                "ExpectedCustomerSpend": [{"Amount": "1000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                           "TargetCompany": "AWS"}]},
    "OpportunityType": "Net New Business", "PrimaryNeedsFromAws": ["Co-Sell - Deal Support"],
}

'''

USER_TESTS = '''
import uuid

import boto3
import pytest

import cosell

''' + OPPORTUNITY + '''


def test_create_and_hear_of_it(partnercentral, wait_for_event):
    created = partnercentral.create_opportunity(ClientToken=str(uuid.uuid4()), **OPPORTUNITY)
    event = wait_for_event("Opportunity Created", detail={"opportunity": {"identifier": created["Id"]}})
    assert event["source"] == "aws.partnercentral-selling"


def test_each_test_starts_fresh(partnercentral):
    assert partnercentral.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []


def test_aws_shares_a_lead_with_a_partner(cosell_server, wait_for_event):
    partner = cosell_server.create_partner("Plugin Partner", "https://partner.example")
    lead = cosell_server.lead(partner.account_id)
    wait_for_event("Engagement Invitation Created", account=partner.account_id)
    partner.client.accept_engagement_invitation(Catalog="Sandbox", Identifier=lead["InvitationId"])
    [summary] = partner.client.list_engagements(Catalog="Sandbox")["EngagementSummaryList"]
    assert summary["Id"] == lead["EngagementId"]


@pytest.mark.cosell_keep_state
def test_state_kept_when_asked(partnercentral):
    assert len(partnercentral.list_engagements(Catalog="Sandbox")["EngagementSummaryList"]) == 0
    assert partnercentral.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []


def test_waiting_for_an_event_that_never_comes_fails_clearly(wait_for_event):
    with pytest.raises(AssertionError, match="no Opportunity Created event"):
        wait_for_event("Opportunity Created", timeout=0.2)


def test_in_process(cosell_mock):
    client = boto3.client("partnercentral-selling")
    created = client.create_opportunity(ClientToken=str(uuid.uuid4()), **OPPORTUNITY)
    assert [e["detail-type"] for e in cosell_mock.events()] == ["Opportunity Created"]
    with pytest.raises(client.exceptions.ValidationException):
        client.create_opportunity(ClientToken=str(uuid.uuid4()), Catalog="Sandbox")
    assert client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])["Id"] == created["Id"]


@cosell.mock_partnercentral()
def test_decorated():
    assert boto3.client("partnercentral-selling").list_opportunities(Catalog="Sandbox")["OpportunitySummaries"] == []
'''


def test_a_partners_suite_uses_the_fixtures(pytester: pytest.Pytester):
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=7)


WORKER_TEST = '''
import os
import time
import uuid

import pytest

from user_opportunity import OPPORTUNITY


@pytest.mark.cosell_keep_state
def test_{name}(partnercentral, cosell_server, tmp_path_factory):
    shared = tmp_path_factory.getbasetemp().parent
    worker = os.environ["PYTEST_XDIST_WORKER"]
    partnercentral.create_opportunity(ClientToken=str(uuid.uuid4()), **{{**OPPORTUNITY, "Project": {{
        **OPPORTUNITY["Project"], "Title": "{name} on " + worker}}}})
    (shared / "{name}.worker").write_text(worker + " " + cosell_server.endpoint_url)
    deadline = time.monotonic() + 60
    while not (shared / "{other}.worker").exists():  # both workers have created theirs
        assert time.monotonic() < deadline, "the other worker never ran"
        time.sleep(0.05)
    titles = [partnercentral.get_opportunity(Catalog="Sandbox", Identifier=summary["Id"])["Project"]["Title"]
              for summary in partnercentral.list_opportunities(Catalog="Sandbox")["OpportunitySummaries"]]
    assert titles == ["{name} on " + worker]
'''


def test_two_xdist_workers_have_a_server_each(pytester: pytest.Pytester):
    pytester.makepyfile(user_opportunity=OPPORTUNITY)
    pytester.makepyfile(test_first=textwrap.dedent(WORKER_TEST.format(name="first", other="second")),
                        test_second=textwrap.dedent(WORKER_TEST.format(name="second", other="first")))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "-n", "2", "--dist", "loadfile")
    result.assert_outcomes(passed=2)
