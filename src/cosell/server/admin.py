"""cosell's own endpoints, /_cosell/*: what AWS does not offer testers (a solution catalog to fill, a
reviewer to call, faults to inject), behind the `cosell` subcommands. Not AWS operations: JSON in and
out, errors in the AWS error shape. Each endpoint reads its body here and calls the control function
(cosell/control/) that the command line and the tests use too.

In strict mode they want the admin token (header X-Cosell-Admin-Token); open mode trusts local callers.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cosell.control import aws
from cosell.control.accounts import connect, create_account
from cosell.control.clock import change_clock
from cosell.control.clock import shown as shown_clock
from cosell.control.reset import reset as start_over
from cosell.control.review import REVIEW_ACTIONS, review_opportunity
from cosell.control.solutions import add_solution
from cosell.gateway import Gateway, RawResponse
from cosell.operations.registry import NOT_YET_IMPLEMENTED
from cosell.protocol import awsjson
from cosell.protocol.errors import AccessDeniedError, ServiceError
from cosell.protocol.facts import CATALOGS
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, botocore_version, enum_values, service
from cosell.server import admin_members as members
from cosell.server.body import BodyReader, error_response, request_headers
from cosell.server.curation import curation_routes
from cosell.server.events import event_routes
from cosell.server.kit import kit_routes
from cosell.server.state import state_routes
from cosell.settings import AuthMode, Settings

ADMIN_TOKEN_HEADER = "x-cosell-admin-token"


def _to_starlette(raw: RawResponse) -> Response:
    return Response(content=raw.body, status_code=raw.status, headers=raw.headers)


class AdminEndpoints:
    """What every /_cosell endpoint shares: the admin token check and the JSON-in, JSON-out shape."""

    def __init__(self, settings: Settings, body_reader: BodyReader):
        self.settings, self.body_reader = settings, body_reader

    def allowed(self, request: Request) -> bool:
        if self.settings.auth is not AuthMode.STRICT:
            return True
        sent = request.headers.get(ADMIN_TOKEN_HEADER, "")
        return self.settings.admin_token is not None and hmac.compare_digest(sent, self.settings.admin_token)

    @staticmethod
    def parameters(request: Request) -> dict[str, list[str]]:
        """A request's query: each name with the list of its values."""
        parameters: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            parameters.setdefault(name, []).append(value)
        return parameters

    @staticmethod
    def error(error: ServiceError) -> Response:
        return _to_starlette(error_response(error))

    @staticmethod
    def refused() -> Response:
        return _to_starlette(error_response(AccessDeniedError(
            "The /_cosell admin endpoints need the admin token (X-Cosell-Admin-Token) in strict mode.")))

    def endpoint(self, action: Callable[[str, dict], Any]):
        """POST: the JSON body and the account it names go to `action(account_id, body)`, run on a thread."""

        async def serve(request: Request) -> Response:
            if not self.allowed(request):
                return self.refused()
            body = await self.body_reader.read(request.receive, request_headers(request.scope))
            try:
                document = awsjson.parse_body(body or b"")
                account_id = members.target_account(document, self.settings.account_id)
                result = await run_in_threadpool(action, account_id, document)
            except ServiceError as error:
                return _to_starlette(error_response(error))
            return Response(json.dumps(result, default=str), media_type="application/json")

        return serve

    def query(self, action: Callable[[dict[str, list[str]]], Any]):
        """GET: the query's parameters (each a list of its values) go to `action(parameters)`, on a thread."""

        async def serve(request: Request) -> Response:
            if not self.allowed(request):
                return self.refused()
            try:
                result = await run_in_threadpool(action, self.parameters(request))
            except ServiceError as error:
                return _to_starlette(error_response(error))
            return Response(json.dumps(result, default=str), media_type="application/json")

        return serve


def admin_routes(settings: Settings, gateway: Gateway, body_reader: BodyReader) -> list[Route]:
    store = gateway.store
    admin = AdminEndpoints(settings, body_reader)
    endpoint = admin.endpoint

    def solutions(account_id: str, body: dict) -> dict:
        """{Catalog, Name, Category, Status?} → the new solution, with an S-number id."""
        catalog = members.required(body, "Catalog", CATALOGS)
        name, category = members.required(body, "Name"), members.required(body, "Category")
        status = members.optional(body, "Status", enum_values("SolutionStatus")) or "Active"
        with store.write() as tx:
            return add_solution(tx, account_id, catalog, name, category, status, gateway.clock.now())

    def review(account_id: str, body: dict) -> dict:
        """{Catalog, Identifier, ReviewStatus, ReviewComments?, ReviewStatusReason?} → the review as stored."""
        catalog = members.required(body, "Catalog", CATALOGS)
        identifier = members.required(body, "Identifier")
        decision = members.required(body, "ReviewStatus", tuple(REVIEW_ACTIONS.values()))
        with store.write() as tx:
            opportunity = review_opportunity(tx, account_id, catalog, identifier, decision, body.get("ReviewComments"),
                                             body.get("ReviewStatusReason"), gateway.clock.now())
        return {"Id": identifier, "LifeCycle": opportunity["LifeCycle"],
                "LastModifiedDate": opportunity["LastModifiedDate"]}

    def faults(_account_id: str, body: dict) -> dict:
        return gateway.faults.configure(body, gateway.clock.now())

    def clock(_account_id: str, body: dict) -> dict:
        """{Action: show|advance|set|freeze|reset, By?, To?, Frozen?} → the clock afterwards."""
        return change_clock(gateway.clock, body)

    async def show_clock(_request: Request) -> Response:
        return JSONResponse(shown_clock(gateway.clock))

    def referral(account_id: str, body: dict) -> dict:
        """{AccountId, Catalog?, Opportunity?: a CreateOpportunity body} → AWS's invitation to the account."""
        catalog = members.catalog(body)
        return aws.create_referral(store, account_id, catalog, members.json_object(body, "Opportunity"), gateway.clock.now())

    def lead(account_id: str, body: dict) -> dict:
        """{AccountId, Catalog?, Lead?: a Lead context} → AWS's lead engagement and its invitation."""
        catalog = members.catalog(body)
        return aws.create_lead(store, account_id, catalog, members.json_object(body, "Lead"), gateway.clock.now())

    def summary(account_id: str, body: dict) -> dict:
        """{AccountId?, Catalog?, OpportunityIdentifier, Summary: AWS's changes to its summary (members of
        AwsOpportunitySummaryFullView)} → AWS's summary afterwards, and the owner's new revision of it."""
        catalog = members.catalog(body)
        identifier = members.required(body, "OpportunityIdentifier")
        changes = members.json_object(body, "Summary")
        if changes is None:
            members.refuse("Summary", "REQUIRED_FIELD_MISSING", "Summary is required: AWS's changes to its summary.")
        return aws.edit_summary(store, account_id, catalog, identifier, changes, gateway.clock.now())

    def reset(_account_id: str, body: dict) -> dict:
        """{AccountId?, Accounts?: bool} → a fresh start: everything (keeping accounts and keys unless
        Accounts is true), or only AccountId's data."""
        account_id = body.get("AccountId")
        if account_id is not None:
            account_id = members.target_account(body, settings.account_id)
        return start_over(gateway, account_id=account_id, accounts=bool(body.get("Accounts")))

    def account(_account_id: str, body: dict) -> dict:
        """{Name, WebsiteUrl?, Catalogs?, ReadOnly?} → a new account and its first key, the secret shown
        only now (as `cosell accounts create`, for a running server)."""
        catalogs = body.get("Catalogs") or list(CATALOGS)
        if not isinstance(catalogs, list) or any(catalog not in CATALOGS for catalog in catalogs):
            members.refuse("Catalogs", "INVALID_VALUE", f"Catalogs must be a list among {', '.join(CATALOGS)}.")
        website = members.optional(body, "WebsiteUrl")
        key = create_account(store, members.required(body, "Name"), tuple(catalogs), bool(body.get("ReadOnly")),
                             gateway.clock.now(), website)
        return {"AccountId": key.account_id, "Name": body["Name"], "WebsiteUrl": website,
                "AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key,
                "Catalogs": list(key.catalogs), "ReadOnly": key.read_only}

    def connection(account_id: str, body: dict) -> dict:
        """{AccountId, PartnerAccountId} → the two accounts are connected partners."""
        partner = members.target_account({"AccountId": members.required(body, "PartnerAccountId")}, settings.account_id)
        try:
            connect(store, account_id, partner, gateway.clock.now())
        except ValueError as error:
            members.refuse("PartnerAccountId", "INVALID_VALUE", str(error))
        return {"AccountId": account_id, "PartnerAccountId": partner, "Connected": True}

    async def health(_request: Request) -> Response:
        """200 once the server is ready, with the model it serves: botocore's version, the model's
        operations, and how many cosell implements."""
        served = service(PARTNER_CENTRAL_SELLING)
        implemented = gateway.registry.operations(PARTNER_CENTRAL_SELLING)
        return JSONResponse({"status": "ok", "botocore": botocore_version(), "model": {
            "service": served.name, "apiVersion": served.model.api_version,
            "operations": len(served.operation_names), "implemented": len(implemented),
            "notYetImplemented": len(NOT_YET_IMPLEMENTED.get(PARTNER_CENTRAL_SELLING, ()))}})

    return [
        Route("/_cosell/health", health, methods=["GET"]),
        Route("/_cosell/solutions", endpoint(solutions), methods=["POST"]),
        Route("/_cosell/review", endpoint(review), methods=["POST"]),
        Route("/_cosell/faults", endpoint(faults), methods=["POST"]),
        Route("/_cosell/reset", endpoint(reset), methods=["POST"]),
        Route("/_cosell/clock", show_clock, methods=["GET"]),
        Route("/_cosell/clock", endpoint(clock), methods=["POST"]),
        Route("/_cosell/aws/referrals", endpoint(referral), methods=["POST"]),
        Route("/_cosell/aws/leads", endpoint(lead), methods=["POST"]),
        Route("/_cosell/aws/summaries", endpoint(summary), methods=["POST"]),
        Route("/_cosell/accounts", endpoint(account), methods=["POST"]),
        Route("/_cosell/accounts/connections", endpoint(connection), methods=["POST"]),
        *event_routes(admin, gateway),
        *curation_routes(admin, gateway),
        *state_routes(admin, gateway),
        *kit_routes(admin, gateway),
    ]
