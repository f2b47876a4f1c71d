"""What a partner and AWS's reviewer do to move an opportunity along its life, through a boto3 client:
submit it, review it as AWS (the Sandbox's way), move it to a stage."""

from __future__ import annotations

from opportunity_requests import update_from

SANDBOX_TEST_SOLUTION = "S-1234567"  # every account's Sandbox has it
CUSTOMER_AWS_ACCOUNT = "111122223333"  # Launched needs the customer's AWS account id (R20)


def submit(client, opportunity_id: str, catalog: str = "Sandbox") -> dict:
    """StartEngagementFromOpportunityTask; the task (COMPLETE, or FAILED with the missing fields)."""
    return client.start_engagement_from_opportunity_task(
        Catalog=catalog, Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})


def review_as_aws(client, opportunity_id: str, status: str, **review) -> dict:
    """What AWS's Sandbox samples do: GetOpportunity, Id→Identifier, set ReviewStatus, UpdateOpportunity."""
    current = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    request = update_from(current)
    request["LifeCycle"] = {**request["LifeCycle"], "ReviewStatus": status, **review}
    return client.update_opportunity(**request)


def move_to_stage(client, opportunity_id: str, stage: str) -> dict:
    """The partner's UpdateOpportunity to `stage` (for Launched, with the customer's AWS account id)."""
    current = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    request = update_from(current)
    request["LifeCycle"] = {**request["LifeCycle"], "Stage": stage}
    if stage == "Launched":
        request["Customer"]["Account"]["AwsAccountId"] = CUSTOMER_AWS_ACCOUNT
    return client.update_opportunity(**request)


def approved(client, opportunity_id: str, stage: str = "Prospect") -> None:
    """Takes a submittable Sandbox opportunity to Approved at `stage`: associate the test solution
    (Committed and Launched need one), submit, approve as AWS, then move the stage as the partner."""
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier=SANDBOX_TEST_SOLUTION)
    task = submit(client, opportunity_id)
    assert task["TaskStatus"] == "COMPLETE", task.get("Message")
    review_as_aws(client, opportunity_id, "Approved")
    if stage != "Prospect":
        move_to_stage(client, opportunity_id, stage)
