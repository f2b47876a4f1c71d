"""AWS's side of a submitted opportunity: what GetAwsOpportunitySummary shows (but its Catalog), and the
resource snapshot template AwsOpportunitySummaryFullView. LifeCycle and Insights are left out, as the
Sandbox shows them null (reference §9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.domain import lifecycle

# The AWS team member a partner sees once AWS has taken the opportunity on (observed: "PDM").
AWS_PARTNER_DEVELOPMENT_MANAGER = {"BusinessTitle": "PDM", "FirstName": "AWS", "LastName": "Partner Development Manager",
                                   "Email": "pdm@amazon.example"}


def aws_summary(stored: Mapping[str, Any]) -> dict[str, Any] | None:
    """None before the opportunity is submitted: AWS has no view of it then."""
    submission = stored.get("AwsSubmission")
    if submission is None:
        return None
    related = stored["RelatedEntityIdentifiers"]
    approved = stored["LifeCycle"]["ReviewStatus"] == lifecycle.APPROVED
    project = stored.get("Project") or {}
    return {
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
    }
