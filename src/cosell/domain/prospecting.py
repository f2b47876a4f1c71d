"""Prospecting from engagements, as AWS would do it (engagements.md §0.10, §1.30–1.32): pure functions for
the task and for the ProspectingResult context AWS adds to each engagement it prospects.

AWS's prospecting is AI-driven and nothing of its output was ever recorded, so cosell makes a canned,
deterministic result from what the engagement already says of its customer (its Lead context, else its
CustomerProject context): the same engagement always prospects the same way, and a test can expect it.
An engagement with no customer to prospect fails; so does one a tester marked (`cosell aws prospecting
fail`).

Statuses are the model's ProspectingTaskStatus: PENDING, IN_PROGRESS, COMPLETED, FAILED (COMPLETED, not
the engagement tasks' COMPLETE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from cosell.domain.addresses import country_name
from cosell.protocol.model import enum_values
from cosell.timestamps import format_timestamp

PENDING, IN_PROGRESS, COMPLETED, FAILED = "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"
UNFINISHED = (PENDING, IN_PROGRESS)
PROSPECTING_RESULT = "ProspectingResult"
MAX_CONTEXTS = 5  # the model's EngagementContexts

# A failure a tester asks for without saying which (cosell's wording: AWS's codes are free strings).
MARKED_REASON = "ProspectingFailed"
MARKED_MESSAGE = "AWS could not prospect this engagement's customer. Try again with a new task later."
NO_CUSTOMER = ("InsufficientCustomerData",
               "The engagement has no Lead or CustomerProject context naming its customer: there is nothing to prospect.")
TOO_MANY_CONTEXTS = ("ContextLimitExceeded", f"The engagement has {MAX_CONTEXTS} contexts, the most it can have.")
NOT_FOUND = ("EngagementNotFound", "The engagement is no longer visible to your account.")

_GEOS = {  # the geography AWS's sales organisation would file a country under
    "NAMER": ({"US", "CA"}, "North America"),
    "LATAM": ({"MX", "BR", "AR", "CL", "CO", "PE", "UY", "EC", "CR", "PA", "DO", "GT"}, "Latin America"),
    "APJ": ({"JP", "AU", "NZ", "IN", "SG", "CN", "KR", "HK", "TW", "ID", "MY", "TH", "PH", "VN"}, "Asia Pacific and Japan"),
}
_SIZES = {"Enterprise": "10,000+ employees", "Large": "1,000-9,999 employees", "Medium": "100-999 employees",
          "Small": "10-99 employees", "Micro": "1-9 employees"}
_SCORES = ("High", "Medium", "Low")  # ProspectingInsights.MarketplaceEngagementScore: "High, Medium, and Low"
_CATEGORIES = (("Data and Analytics", "Data Lakes"), ("Security", "Identity and Access"),
               ("Migration", "Application Modernization"), ("Machine Learning", "Generative AI"),
               ("Cloud Operations", "Observability"))


def new_task(*, task_id: str, task_arn: str, name: str, identifiers: list[str], engagement_ids: list[str],
             now: dt.datetime) -> dict:
    """A task as stored: StartProspectingFromEngagementTask's answer and the per-engagement results."""
    return {"TaskId": task_id, "TaskArn": task_arn, "TaskName": name, "StartTime": format_timestamp(now),
            "TaskStatus": PENDING, "Identifiers": identifiers,
            "Engagements": [{"EngagementIdentifier": engagement_id, "Status": PENDING} for engagement_id in engagement_ids]}


def in_progress(task: Mapping[str, Any]) -> dict:
    return {**task, "TaskStatus": IN_PROGRESS,
            "Engagements": [{**result, "Status": IN_PROGRESS} for result in task["Engagements"]]}


def completed(result: Mapping[str, Any], context_id: str) -> dict:
    return {"EngagementIdentifier": result["EngagementIdentifier"], "Status": COMPLETED, "EngagementContextId": context_id}


def failed(result: Mapping[str, Any], reason: tuple[str, str]) -> dict:
    return {"EngagementIdentifier": result["EngagementIdentifier"], "Status": FAILED, "ReasonCode": reason[0],
            "Message": reason[1]}


def finished(task: Mapping[str, Any], results: list[dict], now: dt.datetime) -> dict:
    """The task when every engagement is done: COMPLETED, or FAILED when every one of them failed."""
    every_one_failed = bool(results) and all(result["Status"] == FAILED for result in results)
    done = {**task, "Engagements": results, "EndTime": format_timestamp(now),
            "TaskStatus": FAILED if every_one_failed else COMPLETED}
    if every_one_failed:
        done.update(ReasonCode="AllEngagementsFailed",
                    Message="No engagement of the task could be prospected: see each engagement's ReasonCode.")
    return done


def _customer(engagement: Mapping[str, Any]) -> dict | None:
    """{CompanyName, Industry, CountryCode, MarketSegment} of the customer the engagement names."""
    for kind in ("Lead", "CustomerProject"):
        for context in engagement.get("Contexts") or []:
            customer = ((context.get("Payload") or {}).get(kind) or {}).get("Customer")
            if context.get("Type") == kind and customer and customer.get("CompanyName"):
                return {"CompanyName": customer["CompanyName"], "Industry": customer.get("Industry"),
                        "CountryCode": customer.get("CountryCode") or (customer.get("Address") or {}).get("CountryCode"),
                        "MarketSegment": customer.get("MarketSegment")}
    return None


def refusal(engagement: Mapping[str, Any]) -> tuple[str, str] | None:
    """(ReasonCode, Message) when the engagement cannot be prospected, else None."""
    if _customer(engagement) is None:
        return NO_CUSTOMER
    if len(engagement.get("Contexts") or []) >= MAX_CONTEXTS:
        return TOO_MANY_CONTEXTS
    return None


def _pick(engagement_id: str, salt: str, choices: tuple) -> Any:
    digest = hashlib.sha256(f"{engagement_id}/{salt}".encode()).digest()
    return choices[digest[0] % len(choices)]


def prospecting_result(engagement: Mapping[str, Any], task: Mapping[str, Any], now: dt.datetime) -> dict:
    """The ProspectingResult payload AWS adds to a prospected engagement (model: ProspectingResult.Aws)."""
    customer = _customer(engagement)
    assert customer is not None, "refusal() is asked first"
    engagement_id = engagement["Id"]
    country = customer["CountryCode"] if customer["CountryCode"] in enum_values("CountryCode") else None
    geo, region = next(((geo, region) for geo, (countries, region) in _GEOS.items() if country in countries),
                       ("EMEA", "Europe, Middle East and Africa"))
    industry = customer["Industry"] if customer["Industry"] in enum_values("Industry") else "Other"
    segment = customer["MarketSegment"] if customer["MarketSegment"] in _SIZES else \
        _pick(engagement_id, "segment", tuple(_SIZES))
    score = _pick(engagement_id, "score", _SCORES)
    category, sub_category = _pick(engagement_id, "category", _CATEGORIES)
    where = country_name(country) if country else None
    prospected_customer = {
        "AccountName": customer["CompanyName"], "Geo": geo, "Region": region, "SubRegion": where,
        "Country": country, "Industry": industry, "Segment": segment, "CompanySize": _SIZES[segment],
        "EligiblePrograms": ["Migration Acceleration Program"] if score == "High" else [],
        "PublicProfileSummary": (f"{customer['CompanyName']} is a {segment.lower()} {industry.lower()} company"
                                 + (f" based in {where}." if where else ".")),
    }
    return {"Aws": {
        "Customer": {key: value for key, value in prospected_customer.items() if value is not None},
        "Insights": {"MarketplaceEngagementScore": score,
                     "SolutionScore": str(40 + hashlib.sha256(engagement_id.encode()).digest()[1] % 60),
                     "SolutionCategory": category, "SolutionSubCategory": sub_category},
        "StartTime": task["StartTime"], "EndTime": format_timestamp(now),
        "TaskId": task["TaskId"], "TaskArn": task["TaskArn"], "TaskName": task["TaskName"],
    }}
