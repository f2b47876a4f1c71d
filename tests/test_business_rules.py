"""Every business rule of CreateOpportunity, through boto3: exact __type, Reason, Code and FieldName."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError

from cosell.domain.opportunity_rules import r6_other_solution_description
from opportunity_requests import minimal, with_changes

BUSINESS = "BUSINESS_VALIDATION_FAILED"
REQUEST = "REQUEST_VALIDATION_FAILED"
YESTERDAY = (dt.date.today() - dt.timedelta(days=1)).isoformat()
VALID_ESTIMATE = "https://calculator.aws/#/estimate?id=" + "0f" * 16


def spend(**changes) -> dict:
    entry = {"Amount": "1000", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}
    entry.update(changes)
    return entry


def team_member(title: str, index: int = 0) -> dict:
    return {"BusinessTitle": title, "Email": f"member{index}@partner.example", "FirstName": "A", "LastName": "B"}


def error_of(client, request: dict) -> dict:
    with pytest.raises(ClientError) as raised:
        client.create_opportunity(**request)
    return raised.value.response


def marketing(**members) -> dict:
    return {"Source": "Marketing Activity", "AwsFundingUsed": "Yes", **members}


# (rule, change applied to the minimal request: [(path, value)...], reason, code, field name)
REFUSED = [
    ("R1", [("Customer.Account.WebsiteUrl", ...)], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.websiteUrl"),
    ("R1 no customer", [("Customer", ...)], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.websiteUrl"),
    ("seed Industry", [("Customer.Account.Industry", ...)], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.industry"),
    ("R2", [("NationalSecurity", "Yes")], BUSINESS, "INVALID_VALUE", "nationalSecurity"),
    ("R4", [("Customer.Account.Industry", "Other")], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.otherIndustry"),
    ("R5 not other", [("Project", {"CompetitorName": "Akamai", "OtherCompetitorNames": "X"})],
     BUSINESS, "INVALID_VALUE", "project.otherCompetitorNames"),
    ("R5 other", [("Project", {"CompetitorName": "*Other"})], BUSINESS, "REQUIRED_FIELD_MISSING", "project.otherCompetitorNames"),
    ("R7", [("Catalog", "AWS"), ("Origin", "AWS Referral")], BUSINESS, "INVALID_VALUE", "origin"),
    ("R8", [("Marketing", marketing(AwsFundingUsed="No", UseCases=["AI/ML"]))], BUSINESS, "INVALID_VALUE", "marketing.useCases"),
    ("R9 campaign", [("Marketing", {"Source": "None", "CampaignName": "C-1"})], BUSINESS, "INVALID_VALUE", "marketing.campaignName"),
    ("R9 channels", [("Marketing", {"Channels": ["Email"]})], BUSINESS, "INVALID_VALUE", "marketing.channels"),
    ("R9 funding yes", [("Marketing", {"Source": "None", "AwsFundingUsed": "Yes"})], BUSINESS, "INVALID_VALUE", "marketing.awsFundingUsed"),
    ("R9 funding missing", [("Marketing", {"Source": "Marketing Activity"})], BUSINESS, "REQUIRED_FIELD_MISSING", "marketing.awsFundingUsed"),
    ("R10 past", [("LifeCycle.TargetCloseDate", YESTERDAY)], BUSINESS, "INVALID_VALUE", "lifeCycle.targetCloseDate"),
    ("R10 not a date", [("LifeCycle.TargetCloseDate", "2031-02-30")], BUSINESS, "INVALID_VALUE", "lifeCycle.targetCloseDate"),
    ("R11 non-US", [("Customer.Account.Address", {"CountryCode": "DE", "PostalCode": "10115", "StateOrRegion": "Berlin"})],
     BUSINESS, "INVALID_VALUE", "customer.account.address.stateOrRegion"),
    ("R11 not listed", [("Customer.Account.Address.StateOrRegion", "Bavaria")], BUSINESS, "INVALID_VALUE", "customer.account.address.stateOrRegion"),
    ("R11 US missing", [("Customer.Account.Address.StateOrRegion", ...)], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.address.stateOrRegion"),
    ("R12 format", [("Customer.Account.Address.PostalCode", "ABCDE")], BUSINESS, "INVALID_STRING_FORMAT", "customer.account.address.postalCode"),
    ("R12 missing", [("Customer.Account.Address", {"CountryCode": "CA"})], BUSINESS, "REQUIRED_FIELD_MISSING", "customer.account.address.postalCode"),
    ("R12 none taken", [("Customer.Account.Address", {"CountryCode": "AE", "PostalCode": "00000"})], BUSINESS, "INVALID_VALUE", "customer.account.address.postalCode"),
    ("R14 currency", [("Project", {"ExpectedCustomerSpend": [spend(CurrencyCode="GBP")]})], BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.currencyCode"),
    ("R14 eusc", [("Project", {"AwsPartition": "aws-eusc", "ExpectedCustomerSpend": [spend()]})], BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.currencyCode"),
    ("R14 self without duration", [("Project", {"ExpectedCustomerSpend": [spend(), spend(TargetCompany="Self")]})],
     BUSINESS, "INVALID_VALUE", "project.expectedContractDuration"),
    ("R14 duration without self", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "12"}, "ExpectedCustomerSpend": [spend()]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend"),
    ("R14 duration range", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "145"},
                                         "ExpectedCustomerSpend": [spend(), spend(TargetCompany="Self")]})],
     BUSINESS, "INVALID_VALUE", "project.expectedContractDuration.value"),
    ("R14 target with duration", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "12"},
                                               "ExpectedCustomerSpend": [spend(TargetCompany="Partner"), spend(TargetCompany="Self")]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.targetCompany"),
    ("R14 two self", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "12"},
                                   "ExpectedCustomerSpend": [spend(TargetCompany="Self"), spend(TargetCompany="Self")]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend"),
    ("R14 mixed currency", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "12"},
                                         "ExpectedCustomerSpend": [spend(), spend(TargetCompany="Self", CurrencyCode="EUR")]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.currencyCode"),
    ("R14 self with url", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "12"},
                                        "ExpectedCustomerSpend": [spend(), spend(TargetCompany="Self", EstimationUrl=VALID_ESTIMATE)]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.estimationUrl"),
    ("R15", [("Project", {"ExpectedCustomerSpend": [{"CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS",
                                                     "EstimationUrl": "https://calculator.aws/#/estimate?id=invalid"}]})],
     BUSINESS, "INVALID_VALUE", "project.expectedCustomerSpend.estimationUrl"),
    ("R16", [("OpportunityType", "Flat Renewal")], BUSINESS, "REQUIRED_FIELD_MISSING", "project.relatedOpportunityIdentifier"),
    ("R18 stage", [("LifeCycle.Stage", "Closed Lost"), ("LifeCycle.ClosedLostReason", "Price")], BUSINESS, "INVALID_VALUE", "lifeCycle.stage"),
    ("R18 reason", [("LifeCycle.ClosedLostReason", "Price")], BUSINESS, "INVALID_VALUE", "lifeCycle.closedLostReason"),
    ("R21", [("SoftwareRevenue", {"EffectiveDate": "2030-06-01", "ExpirationDate": "2030-05-31"})],
     BUSINESS, "INVALID_VALUE", "softwareRevenue.expirationDate"),
    ("R21 not a date", [("SoftwareRevenue", {"EffectiveDate": "2030-02-31"})], BUSINESS, "INVALID_VALUE", "softwareRevenue.effectiveDate"),
    ("R25 email", [("Customer.Contacts", [{"Email": "Jane.Doe@Example.com"}])], REQUEST, "INVALID_STRING_FORMAT", "customer.contacts.email"),
    ("R25 phone", [("Customer.Contacts", [{"Phone": "555-0100"}])], REQUEST, "INVALID_STRING_FORMAT", "customer.contacts.phone"),
    ("R25 duns", [("Customer.Account.Duns", "12345")], REQUEST, "INVALID_STRING_FORMAT", "customer.account.duns"),
    ("R25 account", [("Customer.Account.AwsAccountId", "1234-5678-9012")], REQUEST, "INVALID_STRING_FORMAT", "customer.account.awsAccountId"),
    ("R26 title", [("OpportunityTeam", [team_member("Sales Lead")])], BUSINESS, "INVALID_VALUE", "opportunityTeam.businessTitle"),
    ("R26 two owners", [("OpportunityTeam", [team_member("OpportunityOwner", 1), team_member("OpportunityOwner", 2)])],
     BUSINESS, "DUPLICATE_KEY_VALUE", "opportunityTeam.businessTitle"),
    ("R26 no room for owner", [("OpportunityTeam", [team_member("PartnerAccountManager", i) for i in range(10)])],
     BUSINESS, "TOO_MANY_VALUES", "opportunityTeam"),
    ("R26 model size", [("OpportunityTeam", [team_member("PartnerAccountManager", i) for i in range(11)])],
     REQUEST, "TOO_MANY_VALUES", "opportunityTeam"),
    ("ApnPrograms", [("Project", {"ApnPrograms": ["Well-Architected", "Not A Program"]})], BUSINESS, "INVALID_ENUM_VALUE", "project.apnPrograms"),
    ("CustomerUseCase", [("Project", {"CustomerUseCase": "Big Data"})], BUSINESS, "INVALID_ENUM_VALUE", "project.customerUseCase"),
    ("Marketing.UseCases", [("Marketing", marketing(UseCases=["Machine Learning"]))], BUSINESS, "INVALID_ENUM_VALUE", "marketing.useCases"),
]


@pytest.mark.parametrize("rule, changes, reason, code, field", REFUSED, ids=[case[0] for case in REFUSED])
def test_rule_refuses(raw_client, rule, changes, reason, code, field):
    request = minimal()
    for path, value in changes:
        request = with_changes(request, path, value)
    error = error_of(raw_client, request)
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Reason"] == reason
    assert (field, code) in [(entry["FieldName"], entry["Code"]) for entry in error["ErrorList"]], error["ErrorList"]


ACCEPTED = [
    ("R1 national security", [("NationalSecurity", "Yes"), ("Customer.Account.Industry", "Government"),
                              ("Customer.Account.WebsiteUrl", ...), ("Customer.Account.Address.StateOrRegion", ...),
                              ("Customer.Account.Address.PostalCode", ...)]),
    ("R4 other industry with a listed industry", [("Customer.Account.OtherIndustry", "Investment Banking")]),
    ("R5 other", [("Project", {"CompetitorName": "*Other", "OtherCompetitorNames": "Regional cloud"})]),
    ("R7 sandbox AWS referral", [("Origin", "AWS Referral")]),
    ("R9 source none funding no", [("Marketing", {"Source": "None", "AwsFundingUsed": "No"})]),
    ("R10 today", [("LifeCycle.TargetCloseDate", dt.date.today().isoformat())]),
    ("R12 country without postal code", [("Customer.Account.Address", {"CountryCode": "AE", "City": "Dubai"})]),
    ("R12 Canada", [("Customer.Account.Address", {"CountryCode": "CA", "PostalCode": "K1A 0B1"})]),
    ("R14 TCV", [("Project", {"ExpectedContractDuration": {"Term": "Months", "Value": "36"},
                              "ExpectedCustomerSpend": [spend(), spend(TargetCompany="Self", Amount="36000")]})]),
    ("R15 valid url without amount", [("Project", {"ExpectedCustomerSpend": [
        {"CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS", "EstimationUrl": VALID_ESTIMATE}]})]),
    ("R21 past contract", [("SoftwareRevenue", {"EffectiveDate": "2023-10-31", "ExpirationDate": "2024-03-31"})]),
    ("R26 nine managers", [("OpportunityTeam", [team_member("PartnerAccountManager", i) for i in range(9)])]),
]


@pytest.mark.parametrize("case, changes", ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_rule_accepts(client, case, changes):
    request = minimal()
    for path, value in changes:
        request = with_changes(request, path, value)
    created = client.create_opportunity(**request)
    if request.get("Origin") == "AWS Referral":
        # AWS's opportunity, the partner's once it accepts the invitation (tests/test_aws_referrals.py)
        assert created["Id"].startswith("O")
        return
    assert client.get_opportunity(Catalog=request["Catalog"], Identifier=created["Id"])["Id"] == created["Id"]


def test_every_violation_is_reported_together(raw_client):
    request = with_changes(minimal(), "Customer.Account.WebsiteUrl", ...)
    request = with_changes(request, "NationalSecurity", "Yes")  # R2 (industry is not Government)...
    request = with_changes(request, "LifeCycle.TargetCloseDate", YESTERDAY)  # ...and R10
    error = error_of(raw_client, request)
    fields = {entry["FieldName"] for entry in error["ErrorList"]}
    assert fields == {"nationalSecurity", "lifeCycle.targetCloseDate"}  # R1 does not apply: NationalSecurity is Yes


def test_postal_code_message_is_aws_wording(raw_client):
    error = error_of(raw_client, with_changes(minimal(), "Customer.Account.Address.PostalCode", "9810"))
    [entry] = error["ErrorList"]
    assert entry["Message"] == ("The postal code is invalid for country United States, United States postal code "
                                "must be in 99999 OR 99999-9999 format.")


def test_invalid_estimation_url_message(raw_client):
    url = "https://calculator.aws/#/estimate?id=invalid"
    request = with_changes(minimal(), "Project", {"ExpectedCustomerSpend": [
        {"CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS", "EstimationUrl": url}]})
    error = error_of(raw_client, request)
    assert error["ErrorList"] == [{"FieldName": "project.expectedCustomerSpend.estimationUrl", "Code": "INVALID_VALUE",
                                   "Message": f"Invalid Estimation URL: {url}"}]


def test_r6_requires_a_solution_or_description_at_submission():
    """R6 is a submission rule (see its docstring); the pure function is what submission will call."""
    [violation] = r6_other_solution_description({"Title": "x"}, solutions=[])
    assert (violation.field, violation.code) == ("project.otherSolutionDescription", "REQUIRED_FIELD_MISSING")
    assert r6_other_solution_description({}, solutions=["S-1234567"]) == []
    assert r6_other_solution_description({"OtherSolutionDescription": "Custom"}, solutions=[]) == []


def test_refused_request_leaves_nothing_behind(client, raw_client):
    before = int(client.create_opportunity(**minimal())["Id"][1:])
    error_of(raw_client, with_changes(minimal(), "LifeCycle.TargetCloseDate", YESTERDAY))
    after = int(client.create_opportunity(**minimal())["Id"][1:])
    assert after == before + 1
