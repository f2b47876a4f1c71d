"""AWS's side of a submitted opportunity: what GetAwsOpportunitySummary shows (but its Catalog), and the
resource snapshot template AwsOpportunitySummaryFullView. LifeCycle and Insights are left out, as the
Sandbox shows them null (reference §9), until AWS edits them: AWS's edits (`cosell aws summary`,
control/aws.py) are kept on the opportunity document under EDITS and shown over the rest (engagements.md
§7, "AWS updates AWS-side summary")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.domain import lifecycle
from cosell.domain.opportunity import append_next_steps

# The AWS team member a partner sees once AWS has taken the opportunity on (observed: "PDM").
AWS_PARTNER_DEVELOPMENT_MANAGER = {"BusinessTitle": "PDM", "FirstName": "AWS", "LastName": "Partner Development Manager",
                                   "Email": "pdm@amazon.example"}
# The opportunity document's private member holding AWS's edits of its summary: not a member of the model's
# Opportunity, so no answer shows it (answers are written by the model's output shapes).
EDITS = "AwsSummaryEdits"


def merged(base: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """`edits` over `base`, structure by structure; a list or a value replaces what was there."""
    result = dict(base)
    for member, value in edits.items():
        before = result.get(member)
        result[member] = (merged(before, value) if isinstance(before, Mapping) and isinstance(value, Mapping)
                          else value)
    return result


def edited(previous: Mapping[str, Any] | None, changes: Mapping[str, Any], when: str) -> dict[str, Any]:
    """AWS's edits after `changes` (a partial AwsOpportunitySummaryFullView), merged over the earlier ones;
    a new LifeCycle.NextSteps also enters LifeCycle.NextStepsHistory {Value, Time}, as an opportunity's
    NextSteps does (its last 50, the model's bound)."""
    edits = merged(previous or {}, changes)
    life_cycle = edits.get("LifeCycle") or {}
    next_steps = (changes.get("LifeCycle") or {}).get("NextSteps")
    history = append_next_steps(life_cycle.get("NextStepsHistory"), next_steps, when)
    if history:
        edits["LifeCycle"] = {**life_cycle, "NextStepsHistory": history}
    return edits


def aws_summary(stored: Mapping[str, Any]) -> dict[str, Any] | None:
    """None before the opportunity is submitted: AWS has no view of it then. AWS's edits show over what
    the submission and the opportunity give."""
    submission = stored.get("AwsSubmission")
    if submission is None:
        return None
    related = stored["RelatedEntityIdentifiers"]
    approved = stored["LifeCycle"]["ReviewStatus"] == lifecycle.APPROVED
    project = stored.get("Project") or {}
    return merged({
        "RelatedOpportunityId": stored["Id"],
        "Origin": stored.get("Origin", "Partner Referral"),
        "InvolvementType": submission["InvolvementType"],
        "Visibility": submission["Visibility"],
        "OpportunityTeam": [AWS_PARTNER_DEVELOPMENT_MANAGER] if approved else [],
        "RelatedEntityIds": {kind: related.get(kind, []) for kind in
                             ("AwsProducts", "Solutions", "AwsMarketplaceSolutions", "AwsMarketplaceProducts")},
        "Customer": {"Contacts": []},
        "Project": {"ExpectedCustomerSpend": project.get("ExpectedCustomerSpend"),
                    "AwsPartition": project.get("AwsPartition")},
    }, stored.get(EDITS) or {})
