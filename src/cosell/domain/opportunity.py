"""What an opportunity looks like when it is created: the request, plus the server's own members
and defaults (reference §5.2), as GetOpportunity will show it. Pure: no storage, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any

from cosell.domain.lifecycle import REVIEW_MEMBERS, UPDATABLE_MEMBERS
from cosell.domain.opportunity_rules import coerce_target_company, drop_invalid_estimation_urls, rebuild_self_entry
from cosell.domain.picklists import OPPORTUNITY_OWNER
from cosell.protocol.model import service_model
from cosell.timestamps import parse_stored

PENDING_SUBMISSION = "Pending Submission"
DEFAULT_STAGE = "Prospect"
NEXT_STEPS_HISTORY_KEPT = 50  # "Read-only; shows the last 50 values" (seed, NextStepsHistory)

# Members the client may send but only the service sets (seed: "read-only"; reference §3.3).
SERVER_OWNED_LIFE_CYCLE = REVIEW_MEMBERS + ("NextStepsHistory",)
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


@cache
def related_entity_kinds() -> tuple[str, ...]:
    """The kinds of RelatedEntityIdentifiers the model has (each starts as an empty list)."""
    return tuple(service_model().shape_for("RelatedEntityIdentifiers").members)


def new_opportunity(request: Mapping[str, Any], *, opportunity_id: str, arn: str, account_id: str, now: str) -> dict:
    opportunity = {key: value for key, value in request.items() if key not in NOT_STORED}
    opportunity.update(Id=opportunity_id, Arn=arn, CreatedDate=now, LastModifiedDate=now)
    _with_defaults(opportunity)

    life_cycle = {k: v for k, v in (request.get("LifeCycle") or {}).items() if k not in SERVER_OWNED_LIFE_CYCLE}
    life_cycle.setdefault("Stage", DEFAULT_STAGE)
    life_cycle["ReviewStatus"] = PENDING_SUBMISSION
    history = append_next_steps(None, life_cycle.get("NextSteps"), now)
    if history:
        life_cycle["NextStepsHistory"] = history
    opportunity["LifeCycle"] = life_cycle

    if "Project" in request:
        project = {k: v for k, v in request["Project"].items() if v is not None}
        opportunity["Project"] = drop_invalid_estimation_urls(coerce_target_company(project))

    team = list(request.get("OpportunityTeam") or [])
    if not any(member.get("BusinessTitle") == OPPORTUNITY_OWNER for member in team):
        team.append(default_owner(account_id))
    opportunity["OpportunityTeam"] = team

    opportunity["RelatedEntityIdentifiers"] = {kind: [] for kind in related_entity_kinds()}
    return opportunity


def _with_defaults(opportunity: dict) -> dict:
    """Defaults the service applies whenever a member is absent (reference §5.2)."""
    opportunity.setdefault("NationalSecurity", "No")
    opportunity.setdefault("OpportunityType", "Net New Business")
    opportunity["Marketing"] = {**(opportunity.get("Marketing") or {})}
    opportunity["Marketing"].setdefault("Source", "None")
    if "Customer" in opportunity:
        opportunity["Customer"] = {**opportunity["Customer"], "Contacts": opportunity["Customer"].get("Contacts", [])}
    return opportunity


def updated_opportunity(stored: dict, request: Mapping[str, Any], now: str) -> dict:
    """The opportunity after an UpdateOpportunity request, before any check.

    Full replace: "If any field is omitted, the API assumes that the field is set to null" (model,
    UpdateOpportunity). Exceptions: ExpectedContractDuration omitted means no change (R24); Stage
    omitted keeps the stage (choice: an opportunity always has a stage); the review members and
    NextStepsHistory belong to the service and are kept."""
    updated = {key: value for key, value in stored.items() if key not in UPDATABLE_MEMBERS}
    updated.update({key: request[key] for key in UPDATABLE_MEMBERS if key in request and key != "LifeCycle"})
    _with_defaults(updated)

    stored_project = stored.get("Project") or {}
    project = dict(request.get("Project") or {})
    if "ExpectedContractDuration" not in project and "ExpectedContractDuration" in stored_project:
        project["ExpectedContractDuration"] = stored_project["ExpectedContractDuration"]
    project = {k: v for k, v in project.items() if v is not None}
    project = rebuild_self_entry(coerce_target_company(project), stored_project)
    if project or "Project" in request:
        updated["Project"] = drop_invalid_estimation_urls(project)
    else:
        updated.pop("Project", None)

    stored_life_cycle = stored.get("LifeCycle") or {}
    life_cycle = {k: v for k, v in (request.get("LifeCycle") or {}).items() if k not in SERVER_OWNED_LIFE_CYCLE}
    life_cycle.setdefault("Stage", stored_life_cycle.get("Stage", DEFAULT_STAGE))
    life_cycle.update({k: stored_life_cycle[k] for k in REVIEW_MEMBERS if k in stored_life_cycle})
    history = append_next_steps(stored_life_cycle.get("NextStepsHistory"), life_cycle.get("NextSteps"), now)
    if history:
        life_cycle["NextStepsHistory"] = history
    updated["LifeCycle"] = life_cycle
    updated["LastModifiedDate"] = now
    return updated


def last_modified(opportunity: dict) -> dt.datetime:
    """The stored LastModifiedDate as a datetime (parsed once per text: an update reads it several times)."""
    return parse_stored(opportunity["LastModifiedDate"])


def next_modified(stored: dict, now: dt.datetime) -> dt.datetime:
    """A LastModifiedDate later than the stored one, so that the optimistic lock always sees a change,
    even when two writes fall in the same millisecond."""
    return max(now, last_modified(stored) + dt.timedelta(milliseconds=1))
