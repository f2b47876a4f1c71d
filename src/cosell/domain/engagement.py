"""Engagements and their invitations, as pure functions: what a new engagement, invitation, context or
converted opportunity looks like, how an invitation's status moves, and what each party may see.

Source: shared/reference/engagements.md (the section numbers below are its own): the model, AWS's
documentation (DG-mp multi-partner, DG-aws AWS referrals, DG-lead leads) and AWS's recorded responses.
Where they disagree the choice is written beside the rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.domain.identifiers import AWS_ACCOUNT
from cosell.protocol.model import enum_values
from cosell.timestamps import format_timestamp

# --- invitations ---------------------------------------------------------------------------------

PENDING, ACCEPTED, REJECTED, EXPIRED = "PENDING", "ACCEPTED", "REJECTED", "EXPIRED"
OPPORTUNITY_INVITATION, LEAD_INVITATION = "OpportunityInvitation", "LeadInvitation"
SENDER, RECEIVER = "SENDER", "RECEIVER"
# "Invitations will automatically expire if not accepted within 15 days" (model); observed
# ExpirationDate = InvitationDate + 15 days exactly (§1.9, §2.1).
INVITATION_LIFETIME = dt.timedelta(days=15)
# "you can invite a maximum of nine partners to an opportunity"; up to ten partners (DG-mp §0.2).
MAX_MEMBERS = 10

# What AWS's referrals carry (observed 2025-01-24, §1.9).
AWS_MEMBER = {"AccountId": AWS_ACCOUNT, "CompanyName": "AWS", "WebsiteUrl": "www.aws.com"}
AWS_REFERRAL_MESSAGE = ("This invite is for an AWS originated referral. Accepting this invitation will create an "
                        "AWS originated opportunity in your pipeline.")
AWS_SENDER_CONTACT = {"BusinessTitle": "PDM", "Email": "pdm@amazon.example", "FirstName": "AWS",
                      "LastName": "Partner Development Manager"}
AWS_REFERRAL_RESPONSIBILITIES = ["Services Partner", "Software Partner"]
AWS_LEAD_MESSAGE = "AWS is sharing a lead with you. Accept this invitation to see the customer's contact details."


def expires(invited_at: dt.datetime) -> dt.datetime:
    return invited_at + INVITATION_LIFETIME


def effective_status(status: str, expiration: dt.datetime | None, now: dt.datetime) -> str:
    """A PENDING invitation whose expiration has passed is EXPIRED, whether or not the sweeper has
    recorded it yet (expiry is applied on read)."""
    if status == PENDING and expiration is not None and now >= expiration:
        return EXPIRED
    return status


def refusal_of(status: str) -> str | None:
    """Why an invitation in `status` cannot be accepted or rejected (None: it can). Acting twice, or after
    it expired, is a ConflictException: samples check Status == PENDING before acting (§1.11) [INF]."""
    if status == PENDING:
        return None
    return {ACCEPTED: "has already been accepted", REJECTED: "has been rejected",
            EXPIRED: "has expired: the sender must send a new invitation"}[status]


def receiver_sees_payload(status: str) -> bool:
    """After a rejection or an expiry "all related data will become inaccessible" (model, Reject doc;
    DG-aws, DG-mp). Choice: the invitation itself stays listed and readable with its status, as DG-lead
    says rejected invitations remain "visible in the partner's rejected invitations list", but without
    its payload."""
    return status in (PENDING, ACCEPTED)


def payload_type(payload: Mapping[str, Any]) -> str:
    """The kind of a Payload union: its one member's name."""
    [name] = [name for name, value in payload.items() if value is not None]
    return name


def new_invitation(*, invitation_id: str, arn: str, catalog: str, engagement: Mapping[str, Any], sender: str,
                   sender_company: str, receiver: str, receiver_alias: str | None, message: str | None,
                   payload: Mapping[str, Any], now: dt.datetime) -> dict:
    """An invitation as GetEngagementInvitation shows it (less ExistingMembers, read when shown), PENDING
    until InvitationDate + 15 days."""
    return {
        "Arn": arn, "PayloadType": payload_type(payload), "Id": invitation_id, "Catalog": catalog,
        "EngagementId": engagement["Id"], "EngagementTitle": engagement.get("Title"),
        "EngagementDescription": engagement.get("Description"),
        "Status": PENDING, "InvitationDate": format_timestamp(now), "ExpirationDate": format_timestamp(expires(now)),
        "SenderAwsAccountId": sender, "SenderCompanyName": sender_company,
        "Receiver": {"Account": {"AwsAccountId": receiver, **({"Alias": receiver_alias} if receiver_alias else {})}},
        "InvitationMessage": message, "RejectionReason": None, "Payload": dict(payload),
    }


# --- engagements ----------------------------------------------------------------------------------

CUSTOMER_PROJECT, LEAD = "CustomerProject", "Lead"


def context_types(engagement: Mapping[str, Any]) -> list[str]:
    return [context["Type"] for context in engagement.get("Contexts") or []]


def next_context_id(engagement: Mapping[str, Any]) -> str:
    """Context ids are small decimal strings, "1", "2"... in the order contexts are added (observed)."""
    numbers = [int(context["Id"]) for context in engagement.get("Contexts") or [] if str(context.get("Id", "")).isdigit()]
    return str(max(numbers, default=0) + 1)


def new_engagement(*, engagement_id: str, arn: str, title: str | None, description: str | None,
                   contexts: list[dict], creator: str, now: dt.datetime) -> dict:
    """An engagement as GetEngagement shows it (less MemberCount, counted when shown): "For newly created
    engagements, [ModifiedAt] matches the creation timestamp" (model)."""
    created = format_timestamp(now)
    return {"Id": engagement_id, "Arn": arn, "Title": title, "Description": description,
            "CreatedAt": created, "CreatedBy": creator, "ModifiedAt": created, "ModifiedBy": creator,
            "Contexts": with_context_ids(contexts, now)}


def context_of(engagement: Mapping[str, Any], context_id: str) -> dict | None:
    return next((context for context in engagement.get("Contexts") or [] if context.get("Id") == context_id), None)


def with_context_ids(contexts: list[dict], now: dt.datetime) -> list[dict]:
    """CreateEngagement's contexts as stored: each with its id ("1", "2"... unless sent), and a Lead's
    interactions dated when the caller gave no InteractionDate (observed: the creation time)."""
    stored = []
    for number, context in enumerate(contexts, start=1):
        stored.append(_dated({**context, "Id": context.get("Id") or str(number)}, now))
    return stored


def _dated(context: dict, now: dt.datetime) -> dict:
    lead = (context.get("Payload") or {}).get(LEAD)
    if not lead:
        return context
    interactions = [{**interaction, "InteractionDate": interaction.get("InteractionDate") or format_timestamp(now)}
                    for interaction in lead.get("Interactions") or []]
    return {**context, "Payload": {LEAD: {**lead, "Interactions": interactions}}}


def updated_context(context: dict, payload: Mapping[str, Any], now: dt.datetime) -> dict:
    """UpdateEngagementContext: a Lead's Customer, QualificationStatus and Insights are replaced, and its
    Interaction is added to the ones before ("interactions accumulate chronologically", DG-lead) [INF];
    another context's payload is replaced."""
    kind = payload_type(payload)
    if kind != LEAD:
        return {**context, "Payload": {kind: payload[kind]}}
    lead = dict((context.get("Payload") or {}).get(LEAD) or {})
    update = payload[LEAD]
    lead["Customer"] = update["Customer"]
    for member in ("QualificationStatus", "Insights"):
        if update.get(member) is not None:
            lead[member] = update[member]
    if update.get("Interaction"):
        interaction = {**update["Interaction"],
                       "InteractionDate": update["Interaction"].get("InteractionDate") or format_timestamp(now)}
        lead["Interactions"] = [*(lead.get("Interactions") or []), interaction][-10:]  # the model's 1..10
    return {**context, "Payload": {LEAD: lead}}


def lead_invitation_payload(lead: Mapping[str, Any]) -> dict:
    """What a LeadInvitation shows of a lead: the customer without its address, and the latest
    interaction with only the contact's business title ("Customer contact information (name, email,
    phone number) is not visible at the invitation stage", DG-lead)."""
    customer = lead["Customer"]
    interaction = (lead.get("Interactions") or [{}])[-1]
    return {"Customer": {key: customer.get(key) for key in
                         ("CompanyName", "Industry", "WebsiteUrl", "AwsMaturity", "MarketSegment")
                         if customer.get(key) is not None} | (
                            {"CountryCode": (customer.get("Address") or {}).get("CountryCode")}
                            if (customer.get("Address") or {}).get("CountryCode") else {}),
            "Interaction": {**{key: interaction.get(key) for key in ("SourceType", "SourceId", "SourceName", "Usecase")
                               if interaction.get(key) is not None},
                            "ContactBusinessTitle": (interaction.get("Contact") or {}).get("BusinessTitle", "")}}


# --- opportunities made from engagements ----------------------------------------------------------

def _industry(value: str | None) -> dict:
    """A lead's free-text industry as an opportunity's: the model's value when it is one, else Other
    with the text as OtherIndustry."""
    if not value:
        return {}
    if value in enum_values("Industry"):
        return {"Industry": value}
    return {"Industry": "Other", "OtherIndustry": value[:255]}


def _amount(text: str | None) -> str | None:
    """Observed on the receiver's copy: "10000.00" becomes "10000"."""
    if not text or "." not in text:
        return text
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def opportunity_from_invitation(payload: Mapping[str, Any]) -> dict:
    """The receiving partner's own opportunity, as a CreateOpportunity request, from an
    OpportunityInvitation payload: Title, BusinessProblem → CustomerBusinessProblem, TargetCompletionDate →
    TargetCloseDate, Customer and ExpectedCustomerSpend (DG-mp; observed 2025-02-15, §1.13).
    Choices: the observed PrimaryNeedsFromAws "Do Not Need Support from AWS Sales Rep" is outside the
    model's enum, so an update echoing it would be refused: it is left out, as DG-mp lists it among the
    fields not copied. An EstimationUrl the model's pattern refuses is dropped (observed: null)."""
    customer, project = payload["Customer"], payload["Project"]
    spends = []
    for spend in project.get("ExpectedCustomerSpend") or []:
        copied = {key: value for key, value in spend.items() if value is not None}
        if "Amount" in copied:
            copied["Amount"] = _amount(copied["Amount"])
        spends.append(copied)
    request = {
        "Customer": {"Account": {"CompanyName": customer["CompanyName"], **_industry(customer.get("Industry")),
                                 "WebsiteUrl": customer.get("WebsiteUrl"),
                                 "Address": {"CountryCode": customer.get("CountryCode")}}},
        "Project": {"Title": project["Title"], "CustomerBusinessProblem": project["BusinessProblem"],
                    "ExpectedCustomerSpend": spends},
        "LifeCycle": {"TargetCloseDate": project["TargetCompletionDate"]},
        "OpportunityType": payload.get("OpportunityType") or "Net New Business",
    }
    return _without_empty(request)


# A lead's converted opportunity closes this long after it was made (observed twice: +90 days, §1.17).
LEAD_TARGET_CLOSE = dt.timedelta(days=90)
CONVERTED_LEAD_TITLE = "Converted from Lead"


def opportunity_from_lead(lead: Mapping[str, Any], today: dt.date) -> dict:
    """StartOpportunityFromEngagementTask's draft, as a CreateOpportunity request (observed 2025-11-03 and
    2025-12-15, §1.17): Title "Converted from Lead", the latest interaction's BusinessProblem, the
    customer's CompanyName, Industry, WebsiteUrl and country (not City or StateOrRegion), TargetCloseDate
    90 days on."""
    customer = lead["Customer"]
    problems = [i.get("BusinessProblem") for i in lead.get("Interactions") or [] if i.get("BusinessProblem")]
    request = {
        "Customer": {"Account": {"CompanyName": customer["CompanyName"], **_industry(customer.get("Industry")),
                                 "WebsiteUrl": customer.get("WebsiteUrl"),
                                 "Address": {"CountryCode": (customer.get("Address") or {}).get("CountryCode")}}},
        "Project": {"Title": CONVERTED_LEAD_TITLE, "CustomerBusinessProblem": problems[-1] if problems else None,
                    "ExpectedCustomerSpend": []},
        "LifeCycle": {"TargetCloseDate": (today + LEAD_TARGET_CLOSE).isoformat()},
    }
    return _without_empty(request)


def customer_project_context(opportunity: Mapping[str, Any]) -> dict:
    """The CustomerProject context an opportunity gives its engagement (DG-lead: "Adds the CustomerProject
    context to the engagement")."""
    account = (opportunity.get("Customer") or {}).get("Account") or {}
    project = opportunity.get("Project") or {}
    customer = {"CompanyName": account.get("CompanyName"), "Industry": account.get("Industry"),
                "WebsiteUrl": account.get("WebsiteUrl"), "CountryCode": (account.get("Address") or {}).get("CountryCode")}
    details = {"Title": project.get("Title"), "BusinessProblem": project.get("CustomerBusinessProblem"),
               "TargetCompletionDate": (opportunity.get("LifeCycle") or {}).get("TargetCloseDate")}
    return {"Type": CUSTOMER_PROJECT, "Payload": {CUSTOMER_PROJECT: _without_empty({"Customer": customer,
                                                                                   "Project": details})}}


def invitation_payload_from_opportunity(opportunity: Mapping[str, Any], sender_contacts: list[dict],
                                        responsibilities: list[str]) -> dict:
    """An OpportunityInvitation payload made of an opportunity: what AWS's referrals and a submission's
    invitation to AWS carry. The invitation omits StreetAddress, City, PostalCode, Contacts, AwsAccountId,
    OtherSolutionDescription and RelatedEntityIdentifiers (DG-aws)."""
    account = (opportunity.get("Customer") or {}).get("Account") or {}
    project = opportunity.get("Project") or {}
    spends = [{key: spend.get(key) for key in ("Amount", "CurrencyCode", "Frequency", "TargetCompany", "EstimationUrl")
               if spend.get(key) is not None} for spend in project.get("ExpectedCustomerSpend") or []]
    return _without_empty({
        "SenderContacts": sender_contacts,
        "ReceiverResponsibilities": responsibilities,
        "Customer": {"Industry": account.get("Industry"), "CompanyName": account.get("CompanyName"),
                     "WebsiteUrl": account.get("WebsiteUrl"),
                     "CountryCode": (account.get("Address") or {}).get("CountryCode")},
        "Project": {"BusinessProblem": project.get("CustomerBusinessProblem"), "Title": project.get("Title"),
                    "TargetCompletionDate": (opportunity.get("LifeCycle") or {}).get("TargetCloseDate"),
                    "ExpectedCustomerSpend": spends},
        "OpportunityType": opportunity.get("OpportunityType"),
    })


def _without_empty(document: Any) -> Any:
    """The document without None members (lists and empty lists kept: they mean something)."""
    if isinstance(document, dict):
        return {key: _without_empty(value) for key, value in document.items() if value is not None}
    if isinstance(document, list):
        return [_without_empty(item) for item in document]
    return document
