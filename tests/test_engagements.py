"""Engagements made by partners: CreateEngagement, GetEngagement, ListEngagements (every filter, the sort,
NextToken and boto3's paginator), CreateEngagementContext, ids and ARNs, empty lists, and the errors:
the model's ValidationException with its ErrorList, ResourceNotFoundException for an unknown or
invisible engagement, ServiceQuotaExceededException past five contexts, ClientToken conflicts."""

from __future__ import annotations

import json
import re
import uuid

import boto3
import pytest
from botocore.config import Config

from partners import SANDBOX, start_partners
from wire_helpers import call

# Engagements, invitations and tasks are joined, filtered on JSON members and on the clock: SQLite and
# PostgreSQL each answer them (CI runs this module on both).
pytestmark = pytest.mark.backend

PROJECT_CONTEXT = {"Type": "CustomerProject", "Payload": {"CustomerProject": {
    "Customer": {"Industry": "Retail", "CompanyName": "Example Corp", "WebsiteUrl": "https://example.com",
                 "CountryCode": "US"},
    "Project": {"Title": "Storefront rebuild", "BusinessProblem": "Checkout times out under seasonal load.",
                "TargetCompletionDate": "2030-01-31"}}}}


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    live, partners = start_partners(tmp_path_factory.mktemp("engagements") / "data",
                                    {"alpha": ("Alpha Partner", "https://alpha.example"), "beta": ("Beta Partner", None)})
    yield live, partners
    live.stop()


def test_create_get_and_list(partners):
    _live, partners = partners
    alpha, beta = partners["alpha"], partners["beta"]
    token = str(uuid.uuid4())
    created = alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=token, Title="Storefront rebuild",
                                             Description="Partner-led engagement", Contexts=[PROJECT_CONTEXT])
    assert re.fullmatch(r"eng-[0-9a-z]{14}", created["Id"])
    assert created["Arn"] == f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{created['Id']}"
    again = alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=token, Title="Storefront rebuild",
                                           Description="Partner-led engagement", Contexts=[PROJECT_CONTEXT])
    assert again["Id"] == created["Id"]
    with pytest.raises(alpha.client.exceptions.ConflictException, match="Conflicting client token"):
        alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=token, Title="Another")

    engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=created["Arn"])
    assert engagement["Title"] == "Storefront rebuild" and engagement["MemberCount"] == 1
    assert engagement["CreatedBy"] == engagement["ModifiedBy"] == alpha.account_id
    assert engagement["ModifiedAt"] == engagement["CreatedAt"] == created["ModifiedAt"]
    assert engagement["Contexts"] == [{**PROJECT_CONTEXT, "Id": "1"}]
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        beta.client.get_engagement(Catalog=SANDBOX, Identifier=created["Id"])
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):  # another catalog's ARN
        alpha.client.get_engagement(Catalog="AWS", Identifier=created["Arn"])

    context = alpha.client.create_engagement_context(Catalog=SANDBOX, EngagementIdentifier=created["Id"],
                                                     ClientToken=str(uuid.uuid4()), **PROJECT_CONTEXT)
    assert context["ContextId"] == "2" and context["EngagementLastModifiedAt"] > engagement["ModifiedAt"]
    for _ in range(3):
        alpha.client.create_engagement_context(Catalog=SANDBOX, EngagementIdentifier=created["Id"],
                                               ClientToken=str(uuid.uuid4()), **PROJECT_CONTEXT)
    with pytest.raises(alpha.client.exceptions.ServiceQuotaExceededException):
        alpha.client.create_engagement_context(Catalog=SANDBOX, EngagementIdentifier=created["Id"],
                                               ClientToken=str(uuid.uuid4()), **PROJECT_CONTEXT)
    assert len(alpha.client.get_engagement(Catalog=SANDBOX, Identifier=created["Id"])["Contexts"]) == 5

    summaries = alpha.client.list_engagements(Catalog=SANDBOX, EngagementIdentifier=[created["Arn"]])["EngagementSummaryList"]
    assert summaries == [{"Arn": created["Arn"], "Id": created["Id"], "Title": "Storefront rebuild",
                          "CreatedAt": engagement["CreatedAt"], "CreatedBy": alpha.account_id, "MemberCount": 1,
                          "ModifiedAt": summaries[0]["ModifiedAt"], "ModifiedBy": alpha.account_id,
                          "ContextTypes": ["CustomerProject"] * 5}]


def test_list_filters_sort_and_pages(partners):
    _live, partners = partners
    beta = partners["beta"]
    made = []
    for index in range(5):
        contexts = [PROJECT_CONTEXT] if index % 2 == 0 else []
        made.append(beta.client.create_engagement(Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), Title=f"E{index}",
                                                  Contexts=contexts)["Id"])

    def listed(**request):
        return [s["Id"] for s in beta.client.list_engagements(Catalog=SANDBOX, **request)["EngagementSummaryList"]
                if s["Id"] in made]

    assert listed() == made[::-1]  # newest first by default
    assert listed(Sort={"SortBy": "CreatedDate", "SortOrder": "ASCENDING"}) == made
    assert listed(ContextTypes=["CustomerProject"]) == [made[4], made[2], made[0]]
    assert listed(ExcludeContextTypes=["CustomerProject"]) == [made[3], made[1]]
    assert listed(CreatedBy=[beta.account_id]) == made[::-1]
    assert listed(ExcludeCreatedBy=[beta.account_id]) == []
    assert listed(CreatedBy=["aws"]) == []

    paginator = beta.client.get_paginator("list_engagements")
    pages = list(paginator.paginate(Catalog=SANDBOX, PaginationConfig={"PageSize": 2}))
    assert [len(page["EngagementSummaryList"]) for page in pages] == [2, 2, 1]
    assert [s["Id"] for page in pages for s in page["EngagementSummaryList"]] == made[::-1]
    with pytest.raises(beta.client.exceptions.ValidationException, match="NextToken"):
        beta.client.list_engagements(Catalog=SANDBOX, ContextTypes=["Lead"], NextToken=pages[0]["NextToken"])


def test_empty_lists_are_empty_arrays_with_a_null_token(partners):
    live, partners = partners
    for target, body, member in (
            ("ListEngagementInvitations", {"Catalog": "AWS", "ParticipantType": "RECEIVER"}, "EngagementInvitationSummaries"),
            ("ListEngagementByAcceptingInvitationTasks", {"Catalog": "AWS"}, "TaskSummaries"),
            ("ListOpportunityFromEngagementTasks", {"Catalog": "AWS"}, "TaskSummaries"),
            ("ListEngagementResourceAssociations", {"Catalog": "AWS"}, "EngagementResourceAssociationSummaries"),
            ("ListEngagements", {"Catalog": "AWS"}, "EngagementSummaryList")):
        status, _headers, data = call(live, body, target=target)
        assert status == 200, data
        assert json.loads(data) == {member: [], "NextToken": None}, target


def test_validation_errors_name_every_field(partners):
    _live, partners = partners
    alpha = partners["alpha"]
    unchecked = unchecked_client(alpha)  # sends what boto3's own checks would stop
    with pytest.raises(unchecked.exceptions.ValidationException) as error:
        unchecked.create_engagement_invitation(
            Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), EngagementIdentifier="eng-NOT-AN-ID",
            Invitation={"Message": "", "Receiver": {"Account": {"AwsAccountId": "12"}},
                        "Payload": {"OpportunityInvitation": {"ReceiverResponsibilities": ["Chef"]}}})
    response = error.value.response
    assert response["Reason"] == "REQUEST_VALIDATION_FAILED"
    fields = {entry["FieldName"] for entry in response["ErrorList"]}
    assert {"engagementIdentifier", "invitation.message", "invitation.payload.opportunityInvitation.customer",
            "invitation.payload.opportunityInvitation.project"} <= fields, fields

    # A context whose Type is not its payload's kind is the service's refusal, naming the field.
    with pytest.raises(alpha.client.exceptions.ValidationException) as error:
        alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=str(uuid.uuid4()),
                                       Contexts=[{**PROJECT_CONTEXT, "Type": "Lead"}])
    assert error.value.response["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert [entry["FieldName"] for entry in error.value.response["ErrorList"]] == ["contexts[0].type"]

    for unknown in (lambda: alpha.client.get_engagement(Catalog=SANDBOX, Identifier="eng-00000000000000"),
                    lambda: alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier="engi-0000000000000"),
                    lambda: alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier="engi-0000000000000")):
        with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
            unknown()


def unchecked_client(partner):
    return boto3.client("partnercentral-selling", endpoint_url=partner.client.meta.endpoint_url, region_name="us-east-1",
                        aws_access_key_id=partner.key["AccessKeyId"], aws_secret_access_key=partner.key["SecretAccessKey"],
                        config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
