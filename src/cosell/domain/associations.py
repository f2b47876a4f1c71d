"""Rules for linking entities to an opportunity (AssociateOpportunity / DisassociateOpportunity).

Sources: DG-q (limits per opportunity: AWS products 20, Partner Solutions 10, AWS Marketplace
solutions 10, AWS Marketplace products 10, Marketplace private offers 1), DG-as (an Offer or an
Offer Set, never both; the last required solution), the field dictionary (which states allow
changes to RelatedEntityIdentifiers: not under Action Required, not after Launched).
"""

from __future__ import annotations

from cosell.domain import lifecycle
from cosell.domain.violations import Violation

LIMITS = {
    "Solutions": 10,
    "AwsProducts": 20,
    "AwsMarketplaceSolutions": 10,
    "AwsMarketplaceProducts": 10,
    "AwsMarketplaceOffers": 1,
    "AwsMarketplaceOfferSets": 1,
}
EXCLUSIVE = {"AwsMarketplaceOffers": "AwsMarketplaceOfferSets", "AwsMarketplaceOfferSets": "AwsMarketplaceOffers"}
# What counts as "a valid Solution (or a Marketplace product)" for Committed / Launched (R19).
SOLUTION_KINDS = ("Solutions", "AwsMarketplaceSolutions", "AwsMarketplaceProducts")
ARN_KINDS = ("AwsMarketplaceSolutions", "AwsMarketplaceProducts")


def solution_like(related: dict) -> list[str]:
    return [identifier for kind in SOLUTION_KINDS for identifier in related.get(kind) or []]


def state_violations(opportunity: dict) -> list[Violation]:
    life_cycle = opportunity.get("LifeCycle") or {}
    status, stage = life_cycle.get("ReviewStatus"), life_cycle.get("Stage")
    if stage in (lifecycle.LAUNCHED, lifecycle.CLOSED_LOST):
        return [Violation("opportunityIdentifier", lifecycle.INVALID_RESOURCE_STATE,
                          f"Related entities cannot change once the opportunity stage is {stage}.")]
    if status not in (lifecycle.PENDING_SUBMISSION, lifecycle.APPROVED):
        return [Violation("opportunityIdentifier", lifecycle.INVALID_RESOURCE_STATE,
                          f"Related entities cannot change while the review status is {status}.")]
    return []


def identifier_violations(kind: str, identifier: str) -> list[Violation]:
    if kind in ARN_KINDS and not identifier.startswith("arn:"):
        return [Violation("relatedEntityIdentifier", "INVALID_STRING_FORMAT", f"{kind} are identified by their ARN.")]
    return []


def associate_violations(related: dict, kind: str, identifier: str) -> list[Violation]:
    current = related.get(kind) or []
    if identifier in current:
        return []
    if len(current) >= LIMITS[kind]:
        return [Violation("relatedEntityIdentifier", "TOO_MANY_VALUES",
                          f"An opportunity can have at most {LIMITS[kind]} {kind}.")]
    other = EXCLUSIVE.get(kind)
    if other and related.get(other):
        return [Violation("relatedEntityType", "INVALID_VALUE",
                          "An opportunity can have either one AWS Marketplace offer or one offer set, not both.")]
    return []


def disassociate_violations(opportunity: dict, kind: str, identifier: str) -> list[Violation]:
    related = opportunity["RelatedEntityIdentifiers"]
    stage = (opportunity.get("LifeCycle") or {}).get("Stage")
    remaining = [i for i in solution_like(related) if not (i == identifier and kind in SOLUTION_KINDS)]
    if kind in SOLUTION_KINDS and stage == lifecycle.COMMITTED and not remaining:
        return [Violation("relatedEntityIdentifier", "ACTION_NOT_PERMITTED",
                          "The last solution of a Committed opportunity cannot be removed; associate its "
                          "replacement first.")]
    return []


def with_entity(related: dict, kind: str, identifier: str) -> dict:
    current = related.get(kind) or []
    return related if identifier in current else {**related, kind: current + [identifier]}


def without_entity(related: dict, kind: str, identifier: str) -> dict:
    return {**related, kind: [i for i in related.get(kind) or [] if i != identifier]}
