"""Resource snapshots: immutable revisions of an opportunity's shared view, per engagement, resource and
template (engagements.md §0.5, §1.19–1.21). Pure functions: the templates, what each shows of an
opportunity, and their ARNs.

- `OpportunitySummaryView` (payload key `OpportunitySummary`) is what every engagement member reads;
  note the view's `Lifecycle` (lower-case c) where the opportunity has `LifeCycle` (model).
- `AwsOpportunitySummaryFullView` is AWS's side (deal sizing and all), visible to the owner only.
Revisions are 1, 2, 3… per (engagement, resource, template) (real events of 2025-02-19).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.domain.identifiers import ARN_NAMESPACE, REGION

OPPORTUNITY = "Opportunity"
SUMMARY_VIEW = "OpportunitySummaryView"
AWS_FULL_VIEW = "AwsOpportunitySummaryFullView"
TEMPLATES = (SUMMARY_VIEW, AWS_FULL_VIEW)
# The payload union's member for each template (model: ResourceSnapshotPayload).
PAYLOAD_MEMBER = {SUMMARY_VIEW: "OpportunitySummary", AWS_FULL_VIEW: "AwsOpportunitySummaryFullView"}
OWNER_ONLY = frozenset({AWS_FULL_VIEW})  # "only visible to the opportunity owner" (AWS's events guide)

_LIFECYCLE_VIEW = ("TargetCloseDate", "ReviewStatus", "Stage", "NextSteps")
_PROJECT_VIEW = ("DeliveryModels", "ExpectedCustomerSpend", "ExpectedContractDuration", "CustomerUseCase",
                 "SalesActivities", "OtherSolutionDescription")


def snapshot_arn(catalog: str, engagement_id: str, resource_type: str, resource_id: str, template: str,
                 revision: int) -> str:
    """As real events show it (no account field; DG-ev's `snapshot-19232` form is contradicted by them)."""
    return (f"arn:aws:{ARN_NAMESPACE}:{REGION}::catalog/{catalog}/engagement/{engagement_id}/resource/"
            f"{resource_type}/{resource_id}/template/{template}/snapshot/{revision}")


def _picked(source: Mapping[str, Any] | None, members: tuple[str, ...]) -> dict[str, Any]:
    source = source or {}
    return {member: source[member] for member in members if source.get(member) is not None}


def opportunity_summary_view(opportunity: Mapping[str, Any]) -> dict[str, Any]:
    """The OpportunitySummaryView of an opportunity: the members of the model's view shape, from the
    opportunity's own."""
    customer = opportunity.get("Customer") or {}
    view: dict[str, Any] = {
        "OpportunityType": opportunity.get("OpportunityType"),
        "Lifecycle": _picked(opportunity.get("LifeCycle"), _LIFECYCLE_VIEW),
        "OpportunityTeam": opportunity.get("OpportunityTeam"),
        "PrimaryNeedsFromAws": opportunity.get("PrimaryNeedsFromAws"),
        "Customer": _picked(customer, ("Account", "Contacts")),
        "Project": _picked(opportunity.get("Project"), _PROJECT_VIEW),
        "RelatedEntityIdentifiers": opportunity.get("RelatedEntityIdentifiers"),
    }
    return {member: value for member, value in view.items() if value not in (None, {}, [])}


def payload(template: str, view: Mapping[str, Any]) -> dict[str, Any]:
    return {PAYLOAD_MEMBER[template]: dict(view)}
