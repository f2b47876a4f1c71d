"""Realistic default payloads for `cosell aws refer` and `cosell aws lead`: an AWS opportunity to refer
(a CreateOpportunity body, as the Sandbox's `Origin: "AWS Referral"` simulation takes one) and a lead
(a Lead context, as AWS's lead engagements carry one). Each call picks one of a few invented customers, so
a tester's inbox does not fill with one company.
"""

from __future__ import annotations

import datetime as dt
import random

# (company, industry, website, street, city, state, postal code, country, problem, title)
_CUSTOMERS = (
    ("Northwind Logistics", "Transportation and Logistics", "https://www.northwind-logistics.example",
     "410 Harbor Way", "Seattle", "Washington", "98104", "US",
     "Route planning runs overnight on a single on-premises server; dispatchers need same-day re-planning "
     "when orders change, and the hardware is out of support next year.",
     "Route optimisation platform migration"),
    ("Fabrikam Health Partners", "Healthcare", "https://www.fabrikam-health.example",
     "77 Clinic Road", "Austin", "Texas", "78701", "US",
     "Patient-intake forms are keyed in by hand across 40 clinics; the customer wants document extraction "
     "and a HIPAA-eligible data platform to cut intake time in half.",
     "Intake document automation"),
    ("Contoso Retail Group", "Retail", "https://www.contoso-retail.example",
     "12 Market Street", "Manchester", None, "M1 1AE", "GB",  # StateOrRegion is for US addresses only (R11)
     "Black-Friday traffic takes the e-commerce site down every year; the customer wants to move it to an "
     "elastic architecture before the next peak season.",
     "E-commerce replatforming for peak season"),
    ("Tailspin Energy", "Energy - Power and Utilities", "https://www.tailspin-energy.example",
     "5 Turbine Drive", "Denver", "Colorado", "80202", "US",
     "Smart-meter readings arrive in batches a day late; grid operators need streaming analytics to balance "
     "load and detect outages within minutes.",
     "Smart-meter streaming analytics"),
)


def _address(**members: str | None) -> dict:
    return {name: value for name, value in members.items() if value is not None}


CUSTOMER_COUNT = len(_CUSTOMERS)


def _customer(rng: random.Random, customer: int | None) -> tuple:
    return _CUSTOMERS[customer] if customer is not None else rng.choice(_CUSTOMERS)


def default_referral(today: dt.date, rng: random.Random | None = None, customer: int | None = None) -> dict:
    """An AWS opportunity to refer, as a CreateOpportunity body (without Catalog and ClientToken), about a
    random customer (or the `customer`-th)."""
    rng = rng or random.Random()
    company, industry, website, street, city, state, postal, country, problem, title = _customer(rng, customer)
    domain = website.split("//", 1)[1].removeprefix("www.")
    return {
        "Origin": "AWS Referral",
        "OpportunityType": "Net New Business",
        "PrimaryNeedsFromAws": ["Co-Sell - Technical Consultation", "Co-Sell - Deal Support"],
        "Customer": {
            "Account": {"CompanyName": company, "Industry": industry, "WebsiteUrl": website,
                        "Address": _address(StreetAddress=street, City=city, StateOrRegion=state, PostalCode=postal,
                                            CountryCode=country)},
            "Contacts": [{"Email": f"it.director@{domain}", "FirstName": "Morgan", "LastName": "Lee",
                          "BusinessTitle": "IT Director", "Phone": "+12065550142"}],
        },
        "LifeCycle": {"Stage": "Prospect", "TargetCloseDate": (today + dt.timedelta(days=120)).isoformat(),
                      "NextSteps": "Introduce the partner to the customer's IT director."},
        "Marketing": {"Source": "None"},
        "Project": {
            "Title": title,
            "CustomerBusinessProblem": problem,
            "CustomerUseCase": "Migration/Database Migration",
            "DeliveryModels": ["Professional Services"],
            "SalesActivities": ["Initialized discussions with customer"],
            "ExpectedCustomerSpend": [{"Amount": str(rng.choice((5000, 12500, 25000, 40000))), "CurrencyCode": "USD",
                                       "Frequency": "Monthly", "TargetCompany": "AWS"}],
        },
    }


def default_lead(now: dt.datetime, rng: random.Random | None = None, customer: int | None = None) -> dict:
    """A lead, as a Lead context payload: the customer, one interaction with its contact, Unqualified."""
    rng = rng or random.Random()
    company, industry, website, _street, city, state, postal, country, problem, title = _customer(rng, customer)
    domain = website.split("//", 1)[1].removeprefix("www.")
    return {
        "QualificationStatus": "Unqualified",  # "Default status after accepting a lead" (DG-lead)
        # AWS's score of the lead (LeadInsights; its values are not documented: cosell uses EngagementScore's).
        "Insights": {"LeadReadinessScore": rng.choice(("High", "Medium", "Low"))},
        "Customer": {"CompanyName": company, "Industry": industry, "WebsiteUrl": website,
                     "AwsMaturity": rng.choice(("Evaluating", "Single-Account", "Multi-Account")),
                     "MarketSegment": rng.choice(("Enterprise", "Large", "Medium")),
                     "Address": _address(City=city, StateOrRegion=state, PostalCode=postal, CountryCode=country)},
        "Interactions": [{
            "SourceType": "Event", "SourceId": f"evt-{now:%Y%m%d}", "SourceName": "AWS Summit",
            "Usecase": title, "CustomerAction": "Requested a follow-up", "BusinessProblem": problem,
            "InteractionDate": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "Contact": {"BusinessTitle": "Head of Engineering", "Email": f"engineering@{domain}",
                        "FirstName": "Riley", "LastName": "Chen", "Phone": "+12065550187"},
        }],
    }
