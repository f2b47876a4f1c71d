"""The opportunity lifecycle: what UpdateOpportunity may change in each state, how AWS's review moves
an opportunity, and what submission requires. Pure functions; no storage, no clock.

Sources: shared/reference/partner-central-behaviour.md §3.2–3.4 and §6 (DG-upd, DG-opp, DG-sbx, the
field dictionary's "Update – Action Required" / "After Launched" columns, the seed's ReviewStatus doc).
"""

from __future__ import annotations

from typing import Any

from cosell.domain import addresses
from cosell.domain.opportunity_rules import r6_other_solution_description
from cosell.domain.violations import Violation

PENDING_SUBMISSION = "Pending Submission"
SUBMITTED = "Submitted"
IN_REVIEW = "In review"
APPROVED = "Approved"
REJECTED = "Rejected"
ACTION_REQUIRED = "Action Required"

CLOSED_LOST = "Closed Lost"
LAUNCHED = "Launched"
COMMITTED = "Committed"

ACTION_NOT_PERMITTED = "ACTION_NOT_PERMITTED"
INVALID_RESOURCE_STATE = "INVALID_RESOURCE_STATE"

# UpdateOpportunity members that describe the opportunity (the rest identify it or lock it).
UPDATABLE_MEMBERS = ("PrimaryNeedsFromAws", "NationalSecurity", "PartnerOpportunityIdentifier", "Customer",
                     "Project", "OpportunityType", "Marketing", "SoftwareRevenue", "LifeCycle")
# LifeCycle members only AWS (or the simulated reviewer) sets.
REVIEW_MEMBERS = ("ReviewStatus", "ReviewComments", "ReviewStatusReason")

# "Only the following fields are editable when the Lifecycle.ReviewStatus is Action Required" (seed,
# ReviewStatus doc; its Project.ExpectedMonthlyAWSRevenue is today's Project.ExpectedCustomerSpend).
# DG-upd adds ExpectedCustomerSpend EstimationUrl, Frequency and TargetCompany.
ACTION_REQUIRED_EDITABLE = frozenset({
    "Customer.Account.Address.City", "Customer.Account.Address.CountryCode", "Customer.Account.Address.PostalCode",
    "Customer.Account.Address.StateOrRegion", "Customer.Account.Address.StreetAddress", "Customer.Account.WebsiteUrl",
    "LifeCycle.TargetCloseDate", "Project.ExpectedCustomerSpend.Amount", "Project.ExpectedCustomerSpend.CurrencyCode",
    "Project.ExpectedCustomerSpend.EstimationUrl", "Project.ExpectedCustomerSpend.Frequency",
    "Project.ExpectedCustomerSpend.TargetCompany", "Project.CustomerBusinessProblem", "PartnerOpportunityIdentifier",
})

# Approved: "editable except" these (DG-upd). Choice: DG-upd's list; the field dictionary's
# "Updates up until Launched/Lost" column would also lock NationalSecurity, OtherIndustry,
# CompanyName and StateOrRegion.
APPROVED_LOCKED = frozenset({
    "Customer.Account.Address.CountryCode", "Customer.Account.Address.PostalCode", "Customer.Account.Industry",
    "Customer.Account.WebsiteUrl", "Project.CustomerBusinessProblem", "PartnerOpportunityIdentifier", "Project.Title",
})

# Stage Launched: only these (field dictionary, "Update – After Launched (Closed Won)").
LAUNCHED_EDITABLE_PREFIXES = ("Project.DeliveryModels", "Project.AdditionalComments", "SoftwareRevenue")

# The simulated AWS reviewer (Sandbox UpdateOpportunity, the auto reviewer, `cosell review`):
# which decisions it may take from which status.
REVIEW_DECISIONS = (IN_REVIEW, APPROVED, ACTION_REQUIRED, REJECTED)
REVIEWABLE_FROM = {
    IN_REVIEW: (SUBMITTED,),
    APPROVED: (SUBMITTED, IN_REVIEW, ACTION_REQUIRED),
    ACTION_REQUIRED: (SUBMITTED, IN_REVIEW),
    REJECTED: (SUBMITTED, IN_REVIEW, ACTION_REQUIRED),
}


def field_name(path: str) -> str:
    return ".".join(part[:1].lower() + part[1:] for part in path.split("."))


def changed_paths(old, new, prefix: str = "") -> set[str]:
    """Dotted wire paths whose value differs; list elements are compared position by position and
    reported without their position (as AWS names fields)."""
    if old == new:  # an equal subtree has no changed path (JSON has no NaN, the one value unequal to itself)
        return set()
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        out: set[str] = set()
        for key in old.keys() | new.keys():
            before, after = old.get(key), new.get(key)
            if before != after:
                out |= changed_paths(before, after, f"{prefix}.{key}" if prefix else key)
        return out
    if _is_list_of_dicts(old) or _is_list_of_dicts(new):
        old, new = old or [], new or []
        out = set()
        for index in range(max(len(old), len(new))):
            out |= changed_paths(old[index] if index < len(old) else {}, new[index] if index < len(new) else {}, prefix)
        return out
    return {prefix}


def _is_list_of_dicts(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _describing(opportunity: dict) -> dict:
    """The members an update may change, without the review members AWS owns."""
    described = {key: opportunity.get(key) for key in UPDATABLE_MEMBERS}
    described["LifeCycle"] = {k: v for k, v in (opportunity.get("LifeCycle") or {}).items()
                              if k not in REVIEW_MEMBERS and k != "NextStepsHistory"}
    return described


def editability_violations(stored: dict, updated: dict) -> list[Violation]:
    """What an update may not change in the stored opportunity's state (reference §3.4, R23)."""
    changes = changed_paths(_describing(stored), _describing(updated))
    if not changes:
        return []
    life_cycle = stored.get("LifeCycle") or {}
    status, stage = life_cycle.get("ReviewStatus"), life_cycle.get("Stage")
    first = sorted(changes)[0]

    if stage == CLOSED_LOST:
        return [Violation(field_name(first), INVALID_RESOURCE_STATE,
                          'Changes are not allowed when an opportunity stage is "Closed Lost" or "Launched."')]
    if stage == LAUNCHED:
        refused = sorted(p for p in changes if not p.startswith(LAUNCHED_EDITABLE_PREFIXES))
        return [Violation(field_name(p), ACTION_NOT_PERMITTED,
                          f"{p} cannot be changed once the opportunity is Launched.") for p in refused]
    if status in (SUBMITTED, IN_REVIEW):
        return [Violation("lifeCycle.reviewStatus", INVALID_RESOURCE_STATE,
                          f"The opportunity cannot be edited while its review status is {status}; "
                          "wait until AWS completes the review.")]
    if status == REJECTED:
        return [Violation("lifeCycle.reviewStatus", INVALID_RESOURCE_STATE,
                          "A Rejected opportunity is read-only.")]
    if status == ACTION_REQUIRED:
        refused = sorted(changes - ACTION_REQUIRED_EDITABLE)
        return [Violation(field_name(p), ACTION_NOT_PERMITTED,
                          f"{p} cannot be changed while the review status is Action Required.") for p in refused]
    if status == APPROVED:
        refused = sorted(changes & APPROVED_LOCKED)
        return [Violation(field_name(p), ACTION_NOT_PERMITTED,
                          f"{p} cannot be changed once the opportunity is Approved.") for p in refused]
    if status == PENDING_SUBMISSION and "LifeCycle.Stage" in changes and updated["LifeCycle"].get("Stage") != CLOSED_LOST:
        # R23, quoting the API's message. Choice: closing an unsubmitted opportunity as Closed Lost is
        # allowed, since the Stage doc speaks of "opportunities that were closed/lost before submission".
        return [Violation("lifeCycle.stage", ACTION_NOT_PERMITTED,
                          "You can not update the stage when Opportunity status is Pending Submission")]
    return []


def stage_violations(updated: dict, solutions: list[str]) -> list[Violation]:
    """R18–R20 for the stage an update moves to (reference §3.1)."""
    life_cycle = updated.get("LifeCycle") or {}
    stage = life_cycle.get("Stage")
    out = []
    if stage == CLOSED_LOST and not life_cycle.get("ClosedLostReason"):
        out.append(Violation("lifeCycle.closedLostReason", "REQUIRED_FIELD_MISSING",
                             "ClosedLostReason is required when Stage is Closed Lost."))
    if stage != CLOSED_LOST and life_cycle.get("ClosedLostReason"):
        out.append(Violation("lifeCycle.closedLostReason", "INVALID_VALUE",
                             "Closed Lost Reason is not acceptable until Opportunity has been 'Closed Lost'."))
    if stage in (COMMITTED, LAUNCHED) and not solutions:
        out.append(Violation("lifeCycle.stage", "INVALID_VALUE",
                             f"Stage {stage} requires an associated solution; Other is not allowed."))
    account = (updated.get("Customer") or {}).get("Account") or {}
    if stage == LAUNCHED and not account.get("AwsAccountId"):
        out.append(Violation("customer.account.awsAccountId", "REQUIRED_FIELD_MISSING",
                             "Customer.Account.AwsAccountId is required when Stage is Launched."))
    return out


def review_violations(current_status: str, decision: str) -> list[Violation]:
    """Whether the simulated AWS reviewer may move an opportunity from `current_status` to `decision`."""
    if decision not in REVIEW_DECISIONS:
        return [Violation("lifeCycle.reviewStatus", ACTION_NOT_PERMITTED,
                          f"ReviewStatus {decision} is set by the service, not by a review decision; "
                          f"a reviewer can set {', '.join(REVIEW_DECISIONS)}.")]
    if current_status not in REVIEWABLE_FROM[decision]:
        return [Violation("lifeCycle.reviewStatus", INVALID_RESOURCE_STATE,
                          f"An opportunity in review status {current_status} cannot be moved to {decision}.")]
    return []


def reviewed(opportunity: dict, decision: str, comments: str | None, reason: str | None) -> dict:
    """The opportunity after an AWS review decision (the caller checks review_violations first)."""
    life_cycle = {k: v for k, v in opportunity["LifeCycle"].items() if k not in ("ReviewComments", "ReviewStatusReason")}
    life_cycle["ReviewStatus"] = decision
    if comments is not None:
        life_cycle["ReviewComments"] = comments
    if reason is not None:
        life_cycle["ReviewStatusReason"] = reason
    return {**opportunity, "LifeCycle": life_cycle}


def submission_violations(opportunity: dict, solutions: list[str], involvement_type: str) -> list[Violation]:
    """The business-mandatory fields of reference §3.2, checked when an opportunity is submitted.
    Choice: PrimaryNeedsFromAws is required for Co-Sell only (For Visibility Only asks nothing of AWS)."""
    def missing(path: str) -> Violation:
        return Violation(field_name(path), "REQUIRED_FIELD_MISSING", f"{path} is required to submit the opportunity.")

    def value(path: str):
        node: Any = opportunity
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    national_security = opportunity.get("NationalSecurity") == "Yes"
    required = ["Customer.Account.Address.CountryCode", "Customer.Account.Industry", "LifeCycle.TargetCloseDate",
                "Project.DeliveryModels", "Project.Title", "Project.SalesActivities",
                "Project.CustomerBusinessProblem", "Project.CustomerUseCase", "Marketing.Source"]
    if not national_security:
        required += ["Customer.Account.CompanyName", "Customer.Account.WebsiteUrl"]
    if involvement_type == "Co-Sell":
        required.append("PrimaryNeedsFromAws")
    out = [missing(path) for path in required if not value(path)]

    address = value("Customer.Account.Address") or {}
    if address.get("CountryCode"):
        out += [v for v in addresses.postal_code_violations(address["CountryCode"], address.get("PostalCode"), national_security)
                + addresses.state_or_region_violations(address["CountryCode"], address.get("StateOrRegion"), national_security)
                if v.code == "REQUIRED_FIELD_MISSING"]
    spends = value("Project.ExpectedCustomerSpend") or []
    aws_spend = [s for s in spends if s.get("TargetCompany") == "AWS"]
    if not aws_spend or not any(_positive(s.get("Amount")) for s in aws_spend):
        out.append(Violation("project.expectedCustomerSpend.amount", "REQUIRED_FIELD_MISSING",
                             "Project.ExpectedCustomerSpend needs an AWS entry with an Amount greater than 0 to submit."))
    out += r6_other_solution_description(opportunity.get("Project"), solutions)
    if value("LifeCycle.Stage") == CLOSED_LOST:
        out.append(Violation("lifeCycle.stage", INVALID_RESOURCE_STATE, "A Closed Lost opportunity cannot be submitted."))
    return out


def _positive(amount: str | None) -> bool:
    try:
        return amount is not None and float(amount) > 0
    except ValueError:
        return False
