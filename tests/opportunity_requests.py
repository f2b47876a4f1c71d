"""Request bodies for the tests: the smallest valid create, and the seed's Request Syntax with every
field filled in with values that satisfy every rule."""

from __future__ import annotations

import copy
import datetime as dt
import uuid


def future_date(days: int = 90) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def minimal(catalog: str = "Sandbox", **overrides) -> dict:
    request = {
        "Catalog": catalog,
        "ClientToken": str(uuid.uuid4()),
        "Customer": {
            "Account": {
                "CompanyName": "Example Corp",
                "Industry": "Software and Internet",
                "WebsiteUrl": "https://example.com",
                "Address": {"CountryCode": "US", "PostalCode": "98101", "StateOrRegion": "Washington"},
            }
        },
        "LifeCycle": {"TargetCloseDate": future_date()},
    }
    request.update(overrides)
    return request


def with_changes(request: dict, path: str, value) -> dict:
    """A copy of `request` with the member at dotted `path` set (or removed when value is ...)."""
    changed = copy.deepcopy(request)
    *parents, last = path.split(".")
    node = changed
    for name in parents:
        node = node.setdefault(name, {})
    if value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return changed


def full(related_opportunity_id: str, catalog: str = "Sandbox") -> dict:
    """The seed's Request Syntax with every member filled. The one member left out is
    LifeCycle.ClosedLostReason: R18 makes it unacceptable unless Stage is Closed Lost, and an
    opportunity cannot be created Closed Lost, so no valid create carries it."""
    return {
        "Catalog": catalog,
        "ClientToken": str(uuid.uuid4()),
        "Customer": {
            "Account": {
                "Address": {
                    "City": "Seattle",
                    "CountryCode": "US",
                    "PostalCode": "98109-5210",
                    "StateOrRegion": "Washington",
                    "StreetAddress": "410 Terry Ave N",
                },
                "AwsAccountId": "111122223333",
                "CompanyName": "Example Corp",
                "Duns": "123456789",
                "Industry": "Other",
                "OtherIndustry": "Space tourism",
                "WebsiteUrl": "https://www.example.com",
            },
            "Contacts": [
                {"BusinessTitle": "CTO", "Email": "jane.doe@example.com", "FirstName": "Jane",
                 "LastName": "Doe", "Phone": "+12065550100"},
            ],
        },
        "LifeCycle": {
            "NextSteps": "Schedule the architecture review",
            "NextStepsHistory": [{"Time": "2024-01-01T00:00:00Z", "Value": "ignored: read-only"}],
            "ReviewComments": "ignored: read-only",
            "ReviewStatus": "Approved",
            "ReviewStatusReason": "ignored: read-only",
            "Stage": "Qualified",
            "TargetCloseDate": future_date(120),
        },
        "Marketing": {
            "AwsFundingUsed": "Yes",
            "CampaignName": "APN-2026-Q4",
            "Channels": ["AWS Marketing Central", "Virtual Event"],
            "Source": "Marketing Activity",
            "UseCases": ["AI/ML", "Analytics"],
        },
        "NationalSecurity": "No",
        "OpportunityTeam": [
            {"BusinessTitle": "PartnerAccountManager", "Email": "pam@partner.example", "FirstName": "Pat",
             "LastName": "Manager", "Phone": "+442071234567"},
        ],
        "OpportunityType": "Flat Renewal",
        "Origin": "Partner Referral",
        "PartnerOpportunityIdentifier": "CRM-0001",
        "PrimaryNeedsFromAws": ["Co-Sell - Architectural Validation", "Co-Sell - Deal Support"],
        "Project": {
            "AdditionalComments": "Renewal of last year's platform contract.",
            "ApnPrograms": ["APN Immersion Days", "Well-Architected"],
            "AwsPartition": "aws-eusc",
            "CompetitorName": "*Other",
            "CustomerBusinessProblem": "The customer needs to modernise its on-premises data platform.",
            "CustomerUseCase": "Big Data: Data Warehouse/Data Integration/ETL/Data Lake/BI",
            "DeliveryModels": ["SaaS or PaaS", "Professional Services"],
            "ExpectedContractDuration": {"Term": "Months", "Value": "24"},
            "ExpectedCustomerSpend": [
                {"Amount": "5000", "CurrencyCode": "EUR", "Frequency": "Monthly", "TargetCompany": "AWS",
                 "EstimationUrl": "https://calculator.aws/#/estimate?id=" + "a1" * 20},
                {"Amount": "120000", "CurrencyCode": "EUR", "Frequency": "Monthly", "TargetCompany": "Self"},
            ],
            "OtherCompetitorNames": "Regional hosting provider",
            "OtherSolutionDescription": "Managed data platform",
            "RelatedOpportunityIdentifier": related_opportunity_id,
            "SalesActivities": ["Initialized discussions with customer", "Conducted POC / Demo"],
            "Title": "Data platform renewal",
        },
        "SoftwareRevenue": {
            "DeliveryModel": "Subscription",
            "EffectiveDate": future_date(130),
            "ExpirationDate": future_date(860),
            "Value": {"Amount": "240000.50", "CurrencyCode": "EUR"},
        },
        "Tags": [{"Key": "team", "Value": "crm-sync"}],
    }


def submittable(catalog: str = "Sandbox", **overrides) -> dict:
    """A create request with every field submission requires (reference §3.2)."""
    request = minimal(catalog)
    request["Customer"]["Account"]["Address"]["City"] = "Seattle"
    request["PrimaryNeedsFromAws"] = ["Co-Sell - Technical Consultation"]
    request["Project"] = {
        "Title": "Data lake migration",
        "CustomerBusinessProblem": "The customer's on-premises warehouse cannot keep up with demand.",
        "CustomerUseCase": "Migration/Database Migration",
        "DeliveryModels": ["Professional Services"],
        "SalesActivities": ["Initialized discussions with customer"],
        "ExpectedCustomerSpend": [{"Amount": "2500", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}],
    }
    request["Marketing"] = {"Source": "None"}
    request.update(overrides)
    return request


def update_from(opportunity: dict, **changes) -> dict:
    """An UpdateOpportunity request from a GetOpportunity answer, as AWS's docs describe: Id renamed
    Identifier, members UpdateOpportunity does not take removed."""
    request = {key: copy.deepcopy(value) for key, value in opportunity.items()
               if key not in ("ResponseMetadata", "Id", "Arn", "CreatedDate", "OpportunityTeam", "RelatedEntityIdentifiers")}
    request["Identifier"] = opportunity["Id"]
    request.update(changes)
    return request
