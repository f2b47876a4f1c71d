"""An opportunity's whole life through boto3: update, associate, submit, review, stages, assign."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from botocore.exceptions import ClientError

from lifecycle_steps import review_as_aws
from opportunity_requests import minimal, submittable, update_from


def refusal(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response


def fields(error: dict) -> list[tuple[str, str]]:
    return [(entry["FieldName"], entry["Code"]) for entry in error.get("ErrorList", [])]


def get(client, opportunity_id: str, catalog: str = "Sandbox") -> dict:
    return client.get_opportunity(Catalog=catalog, Identifier=opportunity_id)


def test_full_life(client):
    created = client.create_opportunity(**submittable())
    opportunity_id = created["Id"]

    # Associate the Sandbox's test solution; the answer is an empty 200.
    answer = client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                          RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-length"] == "0"
    assert get(client, opportunity_id)["RelatedEntityIdentifiers"]["Solutions"] == ["S-1234567"]

    # Stage cannot move before submission (R23).
    current = get(client, opportunity_id)
    error = refusal(client.update_opportunity, **update_from(current, LifeCycle={**current["LifeCycle"], "Stage": "Qualified"}))
    assert fields(error) == [("lifeCycle.stage", "ACTION_NOT_PERMITTED")]

    # Submit.
    task = client.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})
    assert task["TaskStatus"] == "COMPLETE"
    assert task["TaskId"].startswith("task-") and len(task["TaskId"]) == 18
    assert task["EngagementId"].startswith("eng-") and task["EngagementInvitationId"].startswith("engi-")
    assert task["ResourceSnapshotJobId"].startswith("job-")
    assert task["OpportunityId"] == opportunity_id
    submitted = get(client, opportunity_id)
    assert submitted["LifeCycle"]["ReviewStatus"] == "Submitted"
    summary = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opportunity_id)
    assert summary["InvolvementType"] == "Co-Sell" and summary["Origin"] == "Partner Referral"
    assert summary["RelatedEntityIds"]["Solutions"] == ["S-1234567"]

    # Submitted is locked for the partner.
    request = update_from(submitted)
    request["Project"]["Title"] = "Renamed"
    error = refusal(client.update_opportunity, **request)
    assert fields(error) == [("lifeCycle.reviewStatus", "INVALID_RESOURCE_STATE")]
    error = refusal(client.associate_opportunity, Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                    RelatedEntityType="AwsProducts", RelatedEntityIdentifier="AmazonEC2")
    assert fields(error) == [("opportunityIdentifier", "INVALID_RESOURCE_STATE")]

    # AWS reviews: In review, then Action Required with comments.
    review_as_aws(client, opportunity_id, "In review")
    review_as_aws(client, opportunity_id, "Action Required",
                  ReviewComments="Please describe the business problem in more detail.",
                  ReviewStatusReason="Additional information needed")
    action_required = get(client, opportunity_id)
    assert action_required["LifeCycle"]["ReviewStatus"] == "Action Required"
    assert action_required["LifeCycle"]["ReviewComments"] == "Please describe the business problem in more detail."

    # Under Action Required only the listed fields may change.
    request = update_from(action_required)
    request["Project"]["Title"] = "Renamed"
    error = refusal(client.update_opportunity, **request)
    assert fields(error) == [("project.title", "ACTION_NOT_PERMITTED")]
    fix = update_from(action_required)
    fix["Project"]["CustomerBusinessProblem"] = "The warehouse is at capacity; the customer needs elastic analytics by Q3."
    client.update_opportunity(**fix)
    fixed = get(client, opportunity_id)
    assert fixed["LifeCycle"]["ReviewStatus"] == "Submitted"  # back in validation
    assert fixed["Project"]["CustomerBusinessProblem"].startswith("The warehouse")

    # AWS approves.
    review_as_aws(client, opportunity_id, "Approved")
    approved = get(client, opportunity_id)
    assert approved["LifeCycle"]["ReviewStatus"] == "Approved"
    team = client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opportunity_id)["OpportunityTeam"]
    assert [member["BusinessTitle"] for member in team] == ["PDM"]  # AWS's team, once approved

    # Approved: all but the locked fields.
    request = update_from(approved)
    request["Project"]["Title"] = "Renamed"
    assert fields(refusal(client.update_opportunity, **request)) == [("project.title", "ACTION_NOT_PERMITTED")]
    committed = update_from(approved, LifeCycle={**approved["LifeCycle"], "Stage": "Committed", "NextSteps": "Sign SOW"})
    client.update_opportunity(**committed)
    assert get(client, opportunity_id)["LifeCycle"]["Stage"] == "Committed"

    # Launched needs the customer's AWS account id (R20).
    current = get(client, opportunity_id)
    launch = update_from(current, LifeCycle={**current["LifeCycle"], "Stage": "Launched"})
    assert ("customer.account.awsAccountId", "REQUIRED_FIELD_MISSING") in fields(refusal(client.update_opportunity, **launch))
    launch["Customer"]["Account"]["AwsAccountId"] = "111122223333"
    client.update_opportunity(**launch)
    launched = get(client, opportunity_id)
    assert launched["LifeCycle"]["Stage"] == "Launched"
    assert [h["Value"] for h in launched["LifeCycle"]["NextStepsHistory"]] == ["Sign SOW"]

    # Launched is frozen but for a few fields.
    request = update_from(launched)
    request["Customer"]["Account"]["Address"]["City"] = "Portland"
    assert fields(refusal(client.update_opportunity, **request)) == [("customer.account.address.city", "ACTION_NOT_PERMITTED")]
    request = update_from(launched)
    request["Project"]["AdditionalComments"] = "Went live in October."
    client.update_opportunity(**request)


@pytest.mark.backend
def test_stale_last_modified_date_conflicts(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    first = get(client, opportunity_id)
    client.update_opportunity(**update_from(first, PartnerOpportunityIdentifier="crm-42"))
    with pytest.raises(client.exceptions.ConflictException):
        client.update_opportunity(**update_from(first, PartnerOpportunityIdentifier="crm-43"))
    assert get(client, opportunity_id)["PartnerOpportunityIdentifier"] == "crm-42"


@pytest.mark.backend
def test_update_returns_a_later_last_modified_date_even_within_one_millisecond(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    current = get(client, opportunity_id)
    answer = client.update_opportunity(**update_from(current))
    assert answer["LastModifiedDate"] > current["LastModifiedDate"]
    assert get(client, opportunity_id)["LastModifiedDate"] == answer["LastModifiedDate"]


def test_update_is_a_full_replace(client):
    request = submittable(Marketing={"Source": "Marketing Activity", "AwsFundingUsed": "No", "CampaignName": "C-1"})
    request["Project"]["ExpectedContractDuration"] = {"Term": "Months", "Value": "12"}
    request["Project"]["ExpectedCustomerSpend"].append(
        {"Amount": "30000", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "Self"})
    opportunity_id = client.create_opportunity(**request)["Id"]
    current = get(client, opportunity_id)
    update = update_from(current)
    del update["Marketing"]
    del update["Project"]["Title"]
    del update["Project"]["ExpectedContractDuration"]  # omitted: no change (R24)
    client.update_opportunity(**update)
    updated = get(client, opportunity_id)
    assert updated["Marketing"] == {"Source": "None"}
    assert "Title" not in updated["Project"]
    assert updated["Project"]["ExpectedContractDuration"] == {"Term": "Months", "Value": "12"}


def test_update_applies_the_create_rules(raw_client, client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    current = get(client, opportunity_id)
    request = update_from(current)
    del request["Customer"]["Account"]["WebsiteUrl"]
    request["Customer"]["Account"]["Address"]["PostalCode"] = "ABC"
    error = refusal(raw_client.update_opportunity, **request)
    assert error["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert sorted(fields(error)) == [("customer.account.address.postalCode", "INVALID_STRING_FORMAT"),
                                     ("customer.account.websiteUrl", "REQUIRED_FIELD_MISSING")]
    assert get(client, opportunity_id)["LastModifiedDate"] == current["LastModifiedDate"]  # nothing changed


def test_unknown_opportunity_update_is_not_found(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.update_opportunity(Catalog="Sandbox", Identifier="O999999999", LastModifiedDate=dt.datetime.now(dt.UTC))


def test_aws_catalog_refuses_review_status_changes(client):
    opportunity_id = client.create_opportunity(**submittable(catalog="AWS"))["Id"]
    current = get(client, opportunity_id, "AWS")
    request = update_from(current)
    client.update_opportunity(**request)  # echoing the current ReviewStatus is fine, as AWS's samples do
    current = get(client, opportunity_id, "AWS")
    request = update_from(current)
    request["LifeCycle"]["ReviewStatus"] = "Approved"
    assert fields(refusal(client.update_opportunity, **request)) == [("lifeCycle.reviewStatus", "ACTION_NOT_PERMITTED")]


def test_sandbox_review_needs_a_submitted_opportunity(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    error = refusal(review_as_aws, client=client, opportunity_id=opportunity_id, status="Approved")
    assert fields(error) == [("lifeCycle.reviewStatus", "INVALID_RESOURCE_STATE")]


def submit(client, opportunity_id: str) -> dict:
    return client.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})


def test_aws_simulate_approval_samples_work_unmodified(client):
    """aws-samples simulate_approval_api.py and aws_simulate_approval_update_opportunity.py, step by step."""
    opportunity_id = client.create_opportunity(**submittable(Project={**submittable()["Project"],
                                                                     "OtherSolutionDescription": "Custom"}))["Id"]
    assert submit(client, opportunity_id)["TaskStatus"] == "COMPLETE"

    # simulate_approval_api.py
    original = client.get_opportunity(Identifier=opportunity_id, Catalog="Sandbox")
    update_request = copy.deepcopy(original)
    update_request.pop("ResponseMetadata", None)
    update_request["Identifier"] = update_request.pop("Id")
    keep = ["Catalog", "Customer", "Identifier", "LastModifiedDate", "LifeCycle", "Marketing", "NationalSecurity",
            "OpportunityType", "PartnerOpportunityIdentifier", "PrimaryNeedsFromAws", "Project", "SoftwareRevenue", "Origin"]
    update_request = {k: v for k, v in update_request.items() if k in keep}
    update_request["LifeCycle"]["ReviewStatus"] = "Action Required"
    update_request["LifeCycle"]["ReviewStatusReason"] = "Additional information needed"

    def remove_none(value):
        if isinstance(value, dict):
            return {k: remove_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [remove_none(v) for v in value if v is not None]
        return value

    client.update_opportunity(**remove_none(update_request))
    assert get(client, opportunity_id)["LifeCycle"]["ReviewStatusReason"] == "Additional information needed"

    # aws_simulate_approval_update_opportunity.py: only approves when Submitted; here first refetch.
    response = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    response.pop("ResponseMetadata")
    response["Identifier"] = response.pop("Id")
    for member in ("CreatedDate", "OpportunityTeam", "RelatedEntityIdentifiers", "Arn"):
        response.pop(member)
    if response["LifeCycle"]["ReviewStatus"] in ("Submitted", "Action Required"):
        response["LifeCycle"]["ReviewStatus"] = "Approved"
    client.update_opportunity(**response)
    assert get(client, opportunity_id)["LifeCycle"]["ReviewStatus"] == "Approved"


def test_submission_requires_the_mandatory_fields(client):
    opportunity_id = client.create_opportunity(**minimal())["Id"]
    task = submit(client, opportunity_id)
    assert task["TaskStatus"] == "FAILED"
    assert task["ReasonCode"] == "OpportunitySubmissionFailed"
    assert "Project.Title" in task["Message"] and "OtherSolutionDescription" in task["Message"]
    assert get(client, opportunity_id)["LifeCycle"]["ReviewStatus"] == "Pending Submission"

    error = refusal(client.submit_opportunity, Catalog="Sandbox", Identifier=opportunity_id, InvolvementType="Co-Sell")
    assert error["Reason"] == "BUSINESS_VALIDATION_FAILED"
    assert ("project.title", "REQUIRED_FIELD_MISSING") in fields(error)
    assert ("project.otherSolutionDescription", "REQUIRED_FIELD_MISSING") in fields(error)


@pytest.mark.backend
def test_submit_opportunity_and_task_idempotency(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    answer = client.submit_opportunity(Catalog="Sandbox", Identifier=opportunity_id, InvolvementType="For Visibility Only")
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-length"] == "0"
    assert get(client, opportunity_id)["LifeCycle"]["ReviewStatus"] == "Submitted"
    error = refusal(client.submit_opportunity, Catalog="Sandbox", Identifier=opportunity_id, InvolvementType="Co-Sell")
    assert fields(error) == [("identifier", "INVALID_RESOURCE_STATE")]

    other = client.create_opportunity(**submittable(Project={**submittable()["Project"], "OtherSolutionDescription": "X"}))["Id"]
    request = {"Catalog": "Sandbox", "Identifier": other, "AwsSubmission": {"InvolvementType": "Co-Sell"},
               "ClientToken": "submit-" + other}
    first = client.start_engagement_from_opportunity_task(**request)
    again = client.start_engagement_from_opportunity_task(**request)
    assert again["TaskId"] == first["TaskId"] and again["EngagementId"] == first["EngagementId"]
    with pytest.raises(client.exceptions.ConflictException):
        client.start_engagement_from_opportunity_task(**{**request, "AwsSubmission": {"InvolvementType": "For Visibility Only"}})
    with pytest.raises(client.exceptions.ConflictException):  # a new token on a submitted opportunity
        client.start_engagement_from_opportunity_task(**{**request, "ClientToken": "another"})


def test_aws_summary_before_submission_is_not_found(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_aws_opportunity_summary(Catalog="Sandbox", RelatedOpportunityIdentifier=opportunity_id)


def test_associations_limits_and_errors(client, raw_client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]

    def associate(kind, identifier, c=client):
        return c.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                       RelatedEntityType=kind, RelatedEntityIdentifier=identifier)

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        associate("Solutions", "S-7654321")
    for index in range(20):
        associate("AwsProducts", f"Product{index}")
    associate("AwsProducts", "Product0")  # associating again changes nothing
    assert len(get(client, opportunity_id)["RelatedEntityIdentifiers"]["AwsProducts"]) == 20
    assert fields(refusal(associate, kind="AwsProducts", identifier="Product20")) == [("relatedEntityIdentifier",
                                                                                       "TOO_MANY_VALUES")]

    associate("AwsMarketplaceOffers", "offer-abc123")
    assert fields(refusal(associate, kind="AwsMarketplaceOffers", identifier="offer-def456")) == [
        ("relatedEntityIdentifier", "TOO_MANY_VALUES")]
    assert fields(refusal(associate, kind="AwsMarketplaceOfferSets", identifier="offerset-1")) == [
        ("relatedEntityType", "INVALID_VALUE")]

    client.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                    RelatedEntityType="AwsMarketplaceOffers", RelatedEntityIdentifier="offer-abc123")
    associate("AwsMarketplaceOfferSets", "offerset-1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.disassociate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                        RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    related = get(client, opportunity_id)["RelatedEntityIdentifiers"]
    assert related["AwsMarketplaceOffers"] == [] and related["AwsMarketplaceOfferSets"] == ["offerset-1"]


def test_assign_opportunity_replaces_the_owner(client):
    opportunity_id = client.create_opportunity(**submittable(OpportunityTeam=[
        {"BusinessTitle": "PartnerAccountManager", "Email": "pam@partner.example", "FirstName": "P", "LastName": "M"}]))["Id"]
    before = get(client, opportunity_id)
    answer = client.assign_opportunity(Catalog="Sandbox", Identifier=opportunity_id, Assignee={
        "Email": "new.owner@partner.example", "FirstName": "New", "LastName": "Owner", "BusinessTitle": "OpportunityOwner"})
    assert answer["ResponseMetadata"]["HTTPHeaders"]["content-length"] == "0"
    after = get(client, opportunity_id)
    owners = [m for m in after["OpportunityTeam"] if m["BusinessTitle"] == "OpportunityOwner"]
    assert [o["Email"] for o in owners] == ["new.owner@partner.example"]
    assert any(m["BusinessTitle"] == "PartnerAccountManager" for m in after["OpportunityTeam"])
    assert after["LastModifiedDate"] > before["LastModifiedDate"]


def test_closed_lost_needs_a_reason_and_then_freezes(client):
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    current = get(client, opportunity_id)
    close = update_from(current, LifeCycle={**current["LifeCycle"], "Stage": "Closed Lost"})
    assert fields(refusal(client.update_opportunity, **close)) == [("lifeCycle.closedLostReason", "REQUIRED_FIELD_MISSING")]
    close["LifeCycle"]["ClosedLostReason"] = "Price"
    client.update_opportunity(**close)
    closed = get(client, opportunity_id)
    request = update_from(closed)
    request["Project"]["Title"] = "Reopened?"
    assert fields(refusal(client.update_opportunity, **request)) == [("project.title", "INVALID_RESOURCE_STATE")]


def test_sandbox_reviewer_update_is_applied_whole(client):
    """A Sandbox UpdateOpportunity that plays AWS's reviewer may change more than the review: Stage moves to
    Qualified with Approved, as AWS's "[Simulate] Approval from AWS" template sends it."""
    opportunity_id = client.create_opportunity(**submittable(Project={**submittable()["Project"],
                                                                     "OtherSolutionDescription": "Custom"}))["Id"]
    assert submit(client, opportunity_id)["TaskStatus"] == "COMPLETE"
    submitted = get(client, opportunity_id)

    # The partner may not edit a Submitted opportunity, Stage included (ReviewStatus unchanged).
    partner_edit = update_from(submitted, LifeCycle={**submitted["LifeCycle"], "Stage": "Qualified"})
    assert fields(refusal(client.update_opportunity, **partner_edit)) == [("lifeCycle.reviewStatus",
                                                                           "INVALID_RESOURCE_STATE")]
    assert get(client, opportunity_id)["LifeCycle"]["Stage"] == "Prospect"

    # AWS's reviewer approves and qualifies in one update.
    review = update_from(submitted, LifeCycle={**submitted["LifeCycle"], "Stage": "Qualified", "ReviewStatus": "Approved",
                                               "ReviewComments": "Looks good"})
    client.update_opportunity(**review)
    approved = get(client, opportunity_id)
    assert approved["LifeCycle"]["ReviewStatus"] == "Approved"
    assert approved["LifeCycle"]["Stage"] == "Qualified"
    assert approved["LifeCycle"]["ReviewComments"] == "Looks good"

    # The reviewer's update still answers to the review transitions: Approved cannot go back to In review.
    again = update_from(approved, LifeCycle={**approved["LifeCycle"], "ReviewStatus": "In review"})
    assert fields(refusal(client.update_opportunity, **again)) == [("lifeCycle.reviewStatus", "INVALID_RESOURCE_STATE")]


def test_sandbox_reviewer_update_still_obeys_the_business_rules(client):
    opportunity_id = client.create_opportunity(**submittable(Project={**submittable()["Project"],
                                                                     "OtherSolutionDescription": "Custom"}))["Id"]
    submit(client, opportunity_id)
    submitted = get(client, opportunity_id)
    # Committed needs a solution (R19), whoever moves the stage.
    review = update_from(submitted, LifeCycle={**submitted["LifeCycle"], "Stage": "Committed", "ReviewStatus": "Approved"})
    assert fields(refusal(client.update_opportunity, **review)) == [("lifeCycle.stage", "INVALID_VALUE")]
    assert get(client, opportunity_id)["LifeCycle"]["ReviewStatus"] == "Submitted"
