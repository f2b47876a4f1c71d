"""What an opportunity looks like when it is created: the request, plus the server's own members
and defaults (reference §5.2), as GetOpportunity will show it. Pure: no storage, no clock.
"""

from __future__ import annotations

from cosell.domain.picklists import OPPORTUNITY_OWNER
from cosell.domain.rules import coerce_target_company, drop_invalid_estimation_urls

PENDING_SUBMISSION = "Pending Submission"
DEFAULT_STAGE = "Prospect"
NEXT_STEPS_HISTORY_KEPT = 50  # "Read-only; shows the last 50 values" (seed, NextStepsHistory)

# Members the client may send but only the service sets (seed: "read-only"; reference §3.3).
SERVER_OWNED_LIFE_CYCLE = ("ReviewStatus", "ReviewComments", "ReviewStatusReason", "NextStepsHistory")
# Request members that are about the request, not the opportunity.
NOT_STORED = ("ClientToken",)


def default_owner(account_id: str) -> dict:
    """The OpportunityOwner the service adds when none is sent: on the real service the Alliance
    Lead or the integration user (observed "ACECRMI PartnerCentral", reference §5.2)."""
    return {
        "BusinessTitle": OPPORTUNITY_OWNER,
        "FirstName": "ACECRMI",
        "LastName": "PartnerCentral",
        "Email": f"partner-{account_id}@example.com",
    }


def append_next_steps(history: list[dict] | None, next_steps: str | None, when: str) -> list[dict] | None:
    """NextStepsHistory gains an entry each time NextSteps takes a new value; the last 50 are kept."""
    history = list(history or [])
    if next_steps is None or (history and history[-1]["Value"] == next_steps):
        return history or None
    history.append({"Time": when, "Value": next_steps})
    return history[-NEXT_STEPS_HISTORY_KEPT:]


def new_opportunity(request: dict, *, opportunity_id: str, arn: str, account_id: str, now: str,
                    related_entity_kinds: tuple[str, ...]) -> dict:
    opportunity = {key: value for key, value in request.items() if key not in NOT_STORED}
    opportunity.update(Id=opportunity_id, Arn=arn, CreatedDate=now, LastModifiedDate=now)
    opportunity.setdefault("NationalSecurity", "No")
    opportunity.setdefault("OpportunityType", "Net New Business")

    life_cycle = {k: v for k, v in (request.get("LifeCycle") or {}).items() if k not in SERVER_OWNED_LIFE_CYCLE}
    life_cycle.setdefault("Stage", DEFAULT_STAGE)
    life_cycle["ReviewStatus"] = PENDING_SUBMISSION
    history = append_next_steps(None, life_cycle.get("NextSteps"), now)
    if history:
        life_cycle["NextStepsHistory"] = history
    opportunity["LifeCycle"] = life_cycle

    marketing = dict(request.get("Marketing") or {})
    marketing.setdefault("Source", "None")
    opportunity["Marketing"] = marketing

    if "Customer" in request:
        opportunity["Customer"] = {**request["Customer"], "Contacts": request["Customer"].get("Contacts", [])}
    if "Project" in request:
        opportunity["Project"] = drop_invalid_estimation_urls(coerce_target_company(request["Project"]))

    team = list(request.get("OpportunityTeam") or [])
    if not any(member.get("BusinessTitle") == OPPORTUNITY_OWNER for member in team):
        team.append(default_owner(account_id))
    opportunity["OpportunityTeam"] = team

    opportunity["RelatedEntityIdentifiers"] = {kind: [] for kind in related_entity_kinds}
    return opportunity
