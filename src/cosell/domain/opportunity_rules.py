"""The business rules of an opportunity's members, CreateOpportunity's and UpdateOpportunity's, as pure
functions: request in, violations (or a corrected request) out. No I/O, no HTTP.

Each rule carries its id from shared/reference/partner-central-behaviour.md §3.1 and its source.
Where the reference marks a rule uncertain, the choice made is written beside the rule.
Violations become a ValidationException with Reason BUSINESS_VALIDATION_FAILED; all of them are
reported together. Shape rules (patterns, enums, lengths) are not here: the model has them.
R25 (Email, Phone, Duns, AwsAccountId formats) is entirely the model's patterns, so it is
enforced by protocol/validation/ and has no function here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import regex

from cosell.domain import addresses
from cosell.domain.picklists import (
    APN_PROGRAMS,
    CUSTOMER_USE_CASES,
    MARKETING_USE_CASES,
    OPPORTUNITY_OWNER,
    TEAM_TITLES,
)
from cosell.domain.violations import Violation
from cosell.protocol.facts import AWS_CATALOG
from cosell.protocol.model import list_limit, service_model

REQUIRED = "REQUIRED_FIELD_MISSING"
INVALID = "INVALID_VALUE"
INVALID_ENUM = "INVALID_ENUM_VALUE"
TOO_MANY = "TOO_MANY_VALUES"
DUPLICATE = "DUPLICATE_KEY_VALUE"

MAX_TEAM_MEMBERS = list_limit("PartnerOpportunityTeamMembersList")  # 10 in the model
EUROPEAN_SOVEREIGN_PARTITION = "aws-eusc"


# A CreateOpportunity request, or the opportunity an update would store: the rules only read it.
Request = Mapping[str, Any]


@dataclass(frozen=True)
class RuleContext:
    catalog: str
    today: dt.date
    previous: dict | None = None  # the stored opportunity, when the request updates one


def _get(document: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(document, dict):
            return None
        document = document.get(name)
    return document


def _national_security(request: Request) -> bool:
    return request.get("NationalSecurity") == "Yes"


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- Customer -------------------------------------------------------------------------------------

def r1_website_url(request: Request, ctx: RuleContext) -> list[Violation]:
    """R1: Customer.Account.WebsiteUrl is required except for national-security opportunities.
    Source: Account.WebsiteUrl doc in the model and the seed ("required in all cases except ...")."""
    if _get(request, "Customer", "Account", "WebsiteUrl") or _national_security(request):
        return []
    return [Violation("customer.account.websiteUrl", REQUIRED,
                      "Customer.Account.WebsiteUrl is required unless NationalSecurity is Yes.")]


def seed_industry_required(request: Request, ctx: RuleContext) -> list[Violation]:
    """Customer.Account.Industry "is a required field" (seed, Account.Industry)."""
    if _get(request, "Customer", "Account", "Industry"):
        return []
    return [Violation("customer.account.industry", REQUIRED, "Customer.Account.Industry is required.")]


def r3_company_name(request: Request, ctx: RuleContext) -> list[Violation]:
    """R3/model: Customer.Account.CompanyName is required (the model requires it whenever an Account is
    sent; this covers a request without any Account) except for national-security opportunities."""
    if _get(request, "Customer", "Account") is not None or _national_security(request):
        return []
    return [Violation("customer.account.companyName", REQUIRED, "Customer.Account.CompanyName is required.")]


def r2_national_security(request: Request, ctx: RuleContext) -> list[Violation]:
    """R2: NationalSecurity = Yes only when Customer.Account.Industry = Government.
    Source: NationalSecurity doc (seed, model); field dictionary."""
    if _national_security(request) and _get(request, "Customer", "Account", "Industry") != "Government":
        return [Violation("nationalSecurity", INVALID,
                          "NationalSecurity can be Yes only when Customer.Account.Industry is Government.")]
    return []


def r4_other_industry(request: Request, ctx: RuleContext) -> list[Violation]:
    """R4: Customer.Account.OtherIndustry is required when Industry = Other.
    Choice: OtherIndustry with another Industry is accepted, as the real Sandbox accepted it
    (Postman capture 2025-02-15, reference R4 counter-evidence)."""
    account = _get(request, "Customer", "Account") or {}
    if account.get("Industry") == "Other" and not account.get("OtherIndustry"):
        return [Violation("customer.account.otherIndustry", REQUIRED,
                          "Customer.Account.OtherIndustry is required when Industry is Other.")]
    return []


def r11_state_or_region(request: Request, ctx: RuleContext) -> list[Violation]:
    """R11: StateOrRegion only for US addresses, from the documented list; required for US."""
    address = _get(request, "Customer", "Account", "Address") or {}
    return addresses.state_or_region_violations(
        address.get("CountryCode"), address.get("StateOrRegion"), _national_security(request))


def r12_postal_code(request: Request, ctx: RuleContext) -> list[Violation]:
    """R12: PostalCode required except where a country has none; country-specific formats."""
    address = _get(request, "Customer", "Account", "Address") or {}
    return addresses.postal_code_violations(
        address.get("CountryCode"), address.get("PostalCode"), _national_security(request))


# --- Project --------------------------------------------------------------------------------------

def r5_other_competitor_names(request: Request, ctx: RuleContext) -> list[Violation]:
    """R5: Project.OtherCompetitorNames only when CompetitorName = "*Other", and required then.
    Source: model doc ("Only allowed when CompetitorNames has Other selected"); field dictionary."""
    project = request.get("Project") or {}
    other_selected = project.get("CompetitorName") == "*Other"
    if project.get("OtherCompetitorNames") and not other_selected:
        return [Violation("project.otherCompetitorNames", INVALID,
                          "Project.OtherCompetitorNames is only allowed when CompetitorName is *Other.")]
    if other_selected and not project.get("OtherCompetitorNames"):
        return [Violation("project.otherCompetitorNames", REQUIRED,
                          "Project.OtherCompetitorNames is required when CompetitorName is *Other.")]
    return []


def r6_other_solution_description(project: dict | None, solutions: list[str]) -> list[Violation]:
    """R6: Project.OtherSolutionDescription is required when the solution is "Other", i.e. no Partner
    Solution is associated. Source: model doc; field dictionary ("When solutionOffered = Other").
    Choice: solutions can only be associated after CreateOpportunity (AssociateOpportunity), so on
    create every opportunity is in the "Other" state and the description is optional there; the
    rule is enforced when the opportunity is submitted (StartEngagementFromOpportunityTask), where
    "a solution or OtherSolutionDescription" is the observed requirement (reference §3.2)."""
    if solutions or (project or {}).get("OtherSolutionDescription"):
        return []
    return [Violation("project.otherSolutionDescription", REQUIRED,
                      "Project.OtherSolutionDescription is required when no solution is associated.")]


def r14_expected_customer_spend(request: Request, ctx: RuleContext) -> list[Violation]:
    """R14: ExpectedCustomerSpend. CurrencyCode "Accepted values are USD and EUR", EUR when
    AwsPartition = aws-eusc (model doc). Total Contract Value mode (DG-ds, deal-sizing page): with
    ExpectedContractDuration, entries are AWS or Self, exactly one Self entry, the same currency in
    every entry, no EstimationUrl on the Self entry, duration 1..144; messages as DG-ds gives them.
    Without a duration, any TargetCompany becomes AWS (see coerce_target_company), except Self,
    which DG-ds answers with "ExpectedContractDuration is required when a Self entry is present"."""
    project = request.get("Project") or {}
    spends = project.get("ExpectedCustomerSpend") or []
    duration = project.get("ExpectedContractDuration")
    out: list[Violation] = []
    for spend in spends:
        currency = spend.get("CurrencyCode")
        if currency not in ("USD", "EUR"):
            out.append(Violation("project.expectedCustomerSpend.currencyCode", INVALID,
                                 f"CurrencyCode {currency} is not accepted; use USD or EUR."))
        elif project.get("AwsPartition") == EUROPEAN_SOVEREIGN_PARTITION and currency != "EUR":
            out.append(Violation("project.expectedCustomerSpend.currencyCode", INVALID,
                                 "CurrencyCode must be EUR when AwsPartition is aws-eusc."))
    self_entries = [s for s in spends if s.get("TargetCompany") == "Self"]
    if duration is None:
        if self_entries:
            out.append(Violation("project.expectedContractDuration", INVALID,
                                 "ExpectedContractDuration is required when a Self entry is present"))
        return out
    for spend in spends:
        if spend.get("TargetCompany") not in ("AWS", "Self"):
            out.append(Violation("project.expectedCustomerSpend.targetCompany", INVALID,
                                 "TargetCompany must be 'AWS' or 'Self'"))
    if not self_entries and ctx.previous is None:  # "Create only" (DG-ds); an update rebuilds it (R24)
        out.append(Violation("project.expectedCustomerSpend", INVALID,
                             "A Self entry is required when ExpectedContractDuration is present"))
    if len(self_entries) > 1:
        out.append(Violation("project.expectedCustomerSpend", INVALID, "Only one Self entry is allowed"))
    if len({s.get("CurrencyCode") for s in spends}) > 1:
        out.append(Violation("project.expectedCustomerSpend.currencyCode", INVALID,
                             "CurrencyCode must match between entries"))
    if any(s.get("EstimationUrl") for s in self_entries):
        out.append(Violation("project.expectedCustomerSpend.estimationUrl", INVALID,
                             "Self entry and EstimationUrl cannot coexist"))
    value = duration.get("Value", "")
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= 144):
        out.append(Violation("project.expectedContractDuration.value", INVALID,
                             "ExpectedContractDuration.Value must be a whole number from 1 to 144."))
    return out


def coerce_target_company(project: dict) -> dict:
    """R14: without ExpectedContractDuration "only AWS is accepted and any other value will be
    automatically set to AWS" (model doc of ExpectedCustomerSpend.TargetCompany)."""
    spends = project.get("ExpectedCustomerSpend")
    if not spends or project.get("ExpectedContractDuration") is not None:
        return project
    coerced = [spend if spend.get("TargetCompany") in ("AWS", "Self") else {**spend, "TargetCompany": "AWS"}
               for spend in spends]
    return {**project, "ExpectedCustomerSpend": coerced}


@cache
def _estimation_url_pattern():
    return regex.compile(service_model().shape_for("EstimationUrl").metadata["pattern"])


def estimation_url_is_valid(url: str) -> bool:
    """The model's EstimationUrl pattern, which the real service checks as a business rule."""
    return _estimation_url_pattern().fullmatch(url) is not None


def r15_estimation_url(request: Request, ctx: RuleContext) -> list[Violation]:
    """R15: an EstimationUrl that is not an AWS Pricing Calculator estimate URL is rejected when it
    comes without an Amount ("Invalid Estimation URL: <url>"); with an Amount it is dropped instead
    (see drop_invalid_estimation_urls). Source: DG-ds, working-with-deal-sizing-insights.
    Choice: cosell cannot reach the calculator, so a valid URL is kept as sent and Amount is not
    computed or compared."""
    out = []
    for spend in _get(request, "Project", "ExpectedCustomerSpend") or []:
        url = spend.get("EstimationUrl")
        if url and not spend.get("Amount") and not estimation_url_is_valid(url):
            out.append(Violation("project.expectedCustomerSpend.estimationUrl", INVALID,
                                 f"Invalid Estimation URL: {url}"))
    return out


def drop_invalid_estimation_urls(project: dict) -> dict:
    """R15: URL + Amount with an invalid URL: "keeps Amount, sets EstimationUrl to null, and returns
    no error" (DG-ds)."""
    spends = project.get("ExpectedCustomerSpend")
    if not spends:
        return project
    kept = []
    for spend in spends:
        url = spend.get("EstimationUrl")
        if url and spend.get("Amount") and not estimation_url_is_valid(url):
            spend = {key: value for key, value in spend.items() if key != "EstimationUrl"}
        kept.append(spend)
    return {**project, "ExpectedCustomerSpend": kept}


def r16_flat_renewal_parent(request: Request, ctx: RuleContext) -> list[Violation]:
    """R16: Project.RelatedOpportunityIdentifier is required when OpportunityType = Flat Renewal.
    Source: field dictionary (parentOppId, "Conditionally Mandatory")."""
    if request.get("OpportunityType") == "Flat Renewal" and not _get(request, "Project", "RelatedOpportunityIdentifier"):
        return [Violation("project.relatedOpportunityIdentifier", REQUIRED,
                          "Project.RelatedOpportunityIdentifier is required when OpportunityType is Flat Renewal.")]
    return []


def seed_picklists(request: Request, ctx: RuleContext) -> list[Violation]:
    """Project.ApnPrograms, Project.CustomerUseCase and Marketing.UseCases take only the seed's
    "Valid values" (the model types them as plain strings)."""
    out = []
    for program in _get(request, "Project", "ApnPrograms") or []:
        if program not in APN_PROGRAMS:
            out.append(Violation("project.apnPrograms", INVALID_ENUM,
                                 f"'{program}' is not a valid Project.ApnPrograms value."))
    use_case = _get(request, "Project", "CustomerUseCase")
    if use_case is not None and use_case not in CUSTOMER_USE_CASES:
        out.append(Violation("project.customerUseCase", INVALID_ENUM,
                             f"'{use_case}' is not a valid Project.CustomerUseCase value."))
    for marketing_use_case in _get(request, "Marketing", "UseCases") or []:
        if marketing_use_case not in MARKETING_USE_CASES:
            out.append(Violation("marketing.useCases", INVALID_ENUM,
                                 f"'{marketing_use_case}' is not a valid Marketing.UseCases value."))
    return out


# --- Origin, marketing, life cycle, revenue, team -------------------------------------------------

def r7_origin(request: Request, ctx: RuleContext) -> list[Violation]:
    """R7: in the AWS catalog Origin must be Partner Referral; the Sandbox also takes AWS Referral.
    Source: Origin doc (seed, model); DG-sbx."""
    if ctx.catalog == AWS_CATALOG and request.get("Origin", "Partner Referral") != "Partner Referral":
        return [Violation("origin", INVALID, "Origin must be Partner Referral in the AWS catalog.")]
    return []


def r8_marketing_use_cases(request: Request, ctx: RuleContext) -> list[Violation]:
    """R8: Marketing.UseCases must be empty when Marketing.AwsFundingUsed = No (seed, model)."""
    marketing = request.get("Marketing") or {}
    if marketing.get("AwsFundingUsed") == "No" and marketing.get("UseCases"):
        return [Violation("marketing.useCases", INVALID,
                          "Marketing.UseCases must be empty when Marketing.AwsFundingUsed is No.")]
    return []


def r9_marketing_source(request: Request, ctx: RuleContext) -> list[Violation]:
    """R9: with Marketing.Source = None (the default), CampaignName, Channels and UseCases must be
    empty; with Marketing Activity, AwsFundingUsed is required. Source: field dictionary.
    Choice: AwsFundingUsed = No is accepted with Source None, as a third-party client sends it
    successfully (reference R9); AwsFundingUsed = Yes is not."""
    marketing = request.get("Marketing") or {}
    out = []
    if marketing.get("Source", "None") == "None":
        for member in ("CampaignName", "Channels", "UseCases"):
            if marketing.get(member):
                out.append(Violation(f"marketing.{member[0].lower()}{member[1:]}", INVALID,
                                     f"Marketing.{member} must be empty when Marketing.Source is None."))
        if marketing.get("AwsFundingUsed") == "Yes":
            out.append(Violation("marketing.awsFundingUsed", INVALID,
                                 "Marketing.AwsFundingUsed cannot be Yes when Marketing.Source is None."))
    elif not marketing.get("AwsFundingUsed"):
        out.append(Violation("marketing.awsFundingUsed", REQUIRED,
                             "Marketing.AwsFundingUsed is required when Marketing.Source is Marketing Activity."))
    return out


def r10_target_close_date(request: Request, ctx: RuleContext) -> list[Violation]:
    """R10: LifeCycle.TargetCloseDate must be a real date and not in the past (seed: "Ensure the
    Target Close Date isn't in the past"). "Today" is the UTC date."""
    value = _get(request, "LifeCycle", "TargetCloseDate")
    if value is None or (ctx.previous is not None and value == _get(ctx.previous, "LifeCycle", "TargetCloseDate")):
        return []  # choice: an update that keeps a date which has since passed is not refused for it
    date = _date(value)
    if date is None:
        return [Violation("lifeCycle.targetCloseDate", INVALID, f"TargetCloseDate {value} is not a valid date.")]
    if date < ctx.today:
        return [Violation("lifeCycle.targetCloseDate", INVALID, "TargetCloseDate cannot be in the past.")]
    return []


def r18_closed_lost(request: Request, ctx: RuleContext) -> list[Violation]:
    """R18 on create: an opportunity cannot be created Closed Lost, and ClosedLostReason "is not
    acceptable until Opportunity has been 'Closed Lost'" (WorkSpan catalogue of ACE messages; Stage doc)."""
    life_cycle = request.get("LifeCycle") or {}
    out = []
    if life_cycle.get("Stage") == "Closed Lost":
        out.append(Violation("lifeCycle.stage", INVALID, "An opportunity cannot be created in the Closed Lost stage."))
    elif life_cycle.get("ClosedLostReason"):
        out.append(Violation("lifeCycle.closedLostReason", INVALID,
                             "Closed Lost Reason is not acceptable until Opportunity has been 'Closed Lost'."))
    return out


def r21_contract_dates(request: Request, ctx: RuleContext) -> list[Violation]:
    """R21: SoftwareRevenue dates must be real dates and ExpirationDate not before EffectiveDate;
    past dates are accepted (AWS sample update_opportunity.json carries 2023/2024 dates)."""
    revenue = request.get("SoftwareRevenue") or {}
    out = []
    dates: dict[str, dt.date | None] = {}
    for member in ("EffectiveDate", "ExpirationDate"):
        value = revenue.get(member)
        if value is not None:
            dates[member] = _date(value)
            if dates[member] is None:
                out.append(Violation(f"softwareRevenue.{member[0].lower()}{member[1:]}", INVALID,
                                     f"SoftwareRevenue.{member} {value} is not a valid date."))
    effective, expiration = dates.get("EffectiveDate"), dates.get("ExpirationDate")
    if effective and expiration and expiration < effective:
        out.append(Violation("softwareRevenue.expirationDate", INVALID,
                             "Contract end date cannot be earlier than contract start date."))
    return out


def r26_opportunity_team(request: Request, ctx: RuleContext) -> list[Violation]:
    """R26: OpportunityTeam BusinessTitle is PartnerAccountManager or OpportunityOwner (seed), at most
    one OpportunityOwner, and at most 10 members (model) counting the OpportunityOwner the server
    adds when none is sent (reference §5.2)."""
    team = request.get("OpportunityTeam") or []
    out = []
    for member in team:
        if member.get("BusinessTitle") not in TEAM_TITLES:
            out.append(Violation("opportunityTeam.businessTitle", INVALID,
                                 f"OpportunityTeam BusinessTitle must be one of {', '.join(TEAM_TITLES)}."))
    owners = sum(1 for member in team if member.get("BusinessTitle") == OPPORTUNITY_OWNER)
    if owners > 1:
        out.append(Violation("opportunityTeam.businessTitle", DUPLICATE,
                             "An opportunity has one OpportunityOwner; more than one was sent."))
    if owners == 0 and len(team) >= MAX_TEAM_MEMBERS:
        out.append(Violation("opportunityTeam", TOO_MANY,
                             f"OpportunityTeam can have at most {MAX_TEAM_MEMBERS} members including the "
                             "OpportunityOwner, which is added when none is sent."))
    return out


# Rules that hold for every version of an opportunity, created or updated.
OPPORTUNITY_RULES = (
    r1_website_url, seed_industry_required, r3_company_name, r2_national_security, r4_other_industry,
    r11_state_or_region, r12_postal_code, r5_other_competitor_names, r14_expected_customer_spend,
    r15_estimation_url, r16_flat_renewal_parent, seed_picklists, r8_marketing_use_cases,
    r9_marketing_source, r10_target_close_date, r21_contract_dates,
)
# Origin and OpportunityTeam are create-only members; R18's "not created Closed Lost" is create-only
# (on update, lifecycle.stage_violations applies R18-R20).
CREATE_RULES = OPPORTUNITY_RULES + (r7_origin, r18_closed_lost, r26_opportunity_team)


def create_violations(request: Request, ctx: RuleContext) -> list[Violation]:
    return [violation for rule in CREATE_RULES for violation in rule(request, ctx)]


def update_violations(opportunity: Request, ctx: RuleContext) -> list[Violation]:
    """The create rules, applied to the opportunity an update would produce ("Business rules of
    create apply to the result")."""
    return [violation for rule in OPPORTUNITY_RULES for violation in rule(opportunity, ctx)]


def rebuild_self_entry(project: dict, previous_project: dict | None) -> dict:
    """R24: an update that sends ExpectedContractDuration without a Self entry keeps the stored Self
    entry (DG-ds)."""
    spends = project.get("ExpectedCustomerSpend") or []
    if project.get("ExpectedContractDuration") is None or any(s.get("TargetCompany") == "Self" for s in spends):
        return project
    stored_self = [s for s in (previous_project or {}).get("ExpectedCustomerSpend") or [] if s.get("TargetCompany") == "Self"]
    if not stored_self:
        return project
    return {**project, "ExpectedCustomerSpend": spends + stored_self[:1]}
