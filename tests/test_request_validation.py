"""Shape validation from the model: every violation listed, Codes from the model's enum."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from opportunity_requests import minimal, with_changes

SPEND = {"Amount": "1", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS"}

CASES = [
    ("required nested", "Customer.Account.CompanyName", ..., "REQUIRED_FIELD_MISSING", "customer.account.companyName"),
    ("enum", "Customer.Account.Industry", "Fintech", "INVALID_ENUM_VALUE", "customer.account.industry"),
    ("catalog", "Catalog", "Production", "INVALID_ENUM_VALUE", "catalog"),
    ("country enum", "Customer.Account.Address.CountryCode", "XX", "INVALID_ENUM_VALUE", "customer.account.address.countryCode"),
    ("pattern length", "PartnerOpportunityIdentifier", "x" * 65, "INVALID_STRING_FORMAT", "partnerOpportunityIdentifier"),
    ("R13 business problem", "Project", {"CustomerBusinessProblem": "Too short"}, "INVALID_STRING_FORMAT", "project.customerBusinessProblem"),
    ("website pattern", "Customer.Account.WebsiteUrl", "a.b", "INVALID_STRING_FORMAT", "customer.account.websiteUrl"),
    ("date pattern", "LifeCycle.TargetCloseDate", "31/12/2030", "INVALID_STRING_FORMAT", "lifeCycle.targetCloseDate"),
    ("amount pattern", "Project", {"ExpectedCustomerSpend": [dict(SPEND, Amount="1,000")]}, "INVALID_STRING_FORMAT",
     "project.expectedCustomerSpend.amount"),
    ("list too long", "Project", {"ExpectedCustomerSpend": [SPEND] * 11}, "TOO_MANY_VALUES", "project.expectedCustomerSpend"),
    ("list too short", "Tags", [], "NOT_ENOUGH_VALUES", "tags"),
    ("required in list item", "Project", {"ExpectedCustomerSpend": [{"Amount": "1", "Frequency": "Monthly", "TargetCompany": "AWS"}]},
     "REQUIRED_FIELD_MISSING", "project.expectedCustomerSpend.currencyCode"),
    ("tag key pattern", "Tags", [{"Key": "bad*key", "Value": "v"}], "INVALID_STRING_FORMAT", "tags.key"),
    ("wrong type", "Customer.Account.CompanyName", 123, "INVALID_VALUE", "customer.account.companyName"),
    ("enum in list", "PrimaryNeedsFromAws", ["Lunch"], "INVALID_ENUM_VALUE", "primaryNeedsFromAws"),
]


@pytest.mark.parametrize("case, path, value, code, field", CASES, ids=[c[0] for c in CASES])
def test_shape_violation(raw_client, case, path, value, code, field):
    with pytest.raises(ClientError) as raised:
        raw_client.create_opportunity(**with_changes(minimal(), path, value))
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert [(e["FieldName"], e["Code"]) for e in error["ErrorList"]] == [(field, code)]


def test_every_violation_is_listed(raw_client):
    request = with_changes(minimal(), "Customer.Account.Industry", "Fintech")
    request = with_changes(request, "Customer.Account.Duns", "12")
    request = with_changes(request, "OpportunityType", "Renewal")
    request = with_changes(request, "Project", {"ExpectedCustomerSpend": [SPEND, dict(SPEND, CurrencyCode="XYZ")]})
    with pytest.raises(ClientError) as raised:
        raw_client.create_opportunity(**request)
    error = raised.value.response
    assert sorted((e["FieldName"], e["Code"]) for e in error["ErrorList"]) == [
        ("customer.account.duns", "INVALID_STRING_FORMAT"),
        ("customer.account.industry", "INVALID_ENUM_VALUE"),
        ("opportunityType", "INVALID_ENUM_VALUE"),
        ("project.expectedCustomerSpend.currencyCode", "INVALID_ENUM_VALUE"),
    ]
    assert error["Error"]["Message"].startswith("4 validation errors detected")
    # The list position is in the message, not in the field name.
    [currency] = [e for e in error["ErrorList"] if e["FieldName"].endswith("currencyCode")]
    assert "project.expectedCustomerSpend[1].currencyCode" in currency["Message"]


def test_sensitive_values_are_not_echoed(raw_client):
    with pytest.raises(ClientError) as raised:
        raw_client.create_opportunity(**with_changes(minimal(), "Customer.Account.Duns", "secret-duns"))
    assert "secret-duns" not in raised.value.response["Error"]["Message"]


def test_boto3_fills_in_the_client_token(client):
    request = minimal()
    del request["ClientToken"]
    created = client.create_opportunity(**request)["Id"]
    assert created.startswith("O") and client.get_opportunity(Catalog="Sandbox", Identifier=created)["Id"] == created
    assert client.create_opportunity(**request)["Id"] != created  # a fresh token each call: a new opportunity


def test_unicode_tag_keys_match_letter_classes(client):
    request = minimal(Tags=[{"Key": "Équipe", "Value": "Ventes Zürich"}])
    created = client.create_opportunity(**request)["Id"]
    arn = client.get_opportunity(Catalog="Sandbox", Identifier=created)["Arn"]
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "Équipe", "Value": "Ventes Zürich"}]


def _operations_with_a_catalog() -> list[str]:
    from cosell.operations.families import REGISTRY
    from cosell.protocol.model import PARTNER_CENTRAL_SELLING, service_model

    model = service_model()
    return [name for name in sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING)) if "Catalog" in model.operation_model(name).input_shape.members]


@pytest.mark.parametrize("operation", _operations_with_a_catalog())
@pytest.mark.parametrize("catalog, code", [("Sand box", "INVALID_STRING_FORMAT"), ("Sandbox1", "INVALID_STRING_FORMAT"),
                                           ("", "INVALID_STRING_FORMAT"), ("Production", "INVALID_ENUM_VALUE")])
def test_catalog_pattern_comes_before_its_allowlist(raw_client, operation, catalog, code):
    """Catalog's model pattern is [a-zA-Z]+; only a well-formed value outside AWS|Sandbox is an enum error."""
    from botocore import xform_name

    with pytest.raises(ClientError) as raised:
        getattr(raw_client, xform_name(operation))(Catalog=catalog)
    error = raised.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert [e["Code"] for e in error["ErrorList"] if e["FieldName"] == "catalog"] == [code]
