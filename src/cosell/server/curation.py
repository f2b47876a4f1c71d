"""/_cosell/aws/groups and /_cosell/aws/prospecting-failures: what AWS curates for SearchEngagements and
prospecting tasks, as `cosell aws group …` and `cosell aws prospecting …` set it (control/groups.py,
control/prospecting.py).

    GET  /_cosell/aws/groups?catalog=C
    POST /_cosell/aws/groups {Catalog?, Id?, Name, Description?, ReadinessLevel?, Keyword?, Filter?}
    POST /_cosell/aws/groups/remove {Catalog?, Id}
    GET  /_cosell/aws/prospecting-failures
    POST /_cosell/aws/prospecting-failures {Catalog?, EngagementId, ReasonCode?, Message?}
    POST /_cosell/aws/prospecting-failures/remove {Catalog?, EngagementId}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from cosell.control import groups, prospecting
from cosell.server import admin_members as members

if TYPE_CHECKING:
    from cosell.gateway import Gateway
    from cosell.server.admin import AdminEndpoints


def curation_routes(admin: AdminEndpoints, gateway: Gateway) -> list[Route]:
    store = gateway.store

    def list_groups(parameters: dict[str, list[str]]) -> dict:
        catalog = parameters.get("catalog")
        return {"Groups": groups.list_groups(store, members.catalog({"Catalog": catalog[-1]}) if catalog else None)}

    def define_group(_account_id: str, body: dict) -> dict:
        return groups.define_group(store, members.catalog(body), name=members.optional(body, "Name"),
                                   description=members.optional(body, "Description"),
                                   readiness_level=members.optional(body, "ReadinessLevel"),
                                   keyword=members.optional(body, "Keyword"), node=members.json_object(body, "Filter"),
                                   group_id=members.optional(body, "Id"), now=gateway.clock.now())

    def remove_group(_account_id: str, body: dict) -> dict:
        return groups.remove_group(store, members.catalog(body), members.required(body, "Id"), gateway.clock.now())

    def list_failures(_parameters: dict[str, list[str]]) -> dict:
        return {"ProspectingFailures": prospecting.failures(store)}

    def mark_failure(_account_id: str, body: dict) -> dict:
        return prospecting.mark_failure(store, members.catalog(body), members.required(body, "EngagementId"),
                                        members.optional(body, "ReasonCode"), members.optional(body, "Message"))

    def clear_failure(_account_id: str, body: dict) -> dict:
        return prospecting.clear_failure(store, members.catalog(body), members.required(body, "EngagementId"))

    return [
        Route("/_cosell/aws/groups", admin.query(list_groups), methods=["GET"]),
        Route("/_cosell/aws/groups", admin.endpoint(define_group), methods=["POST"]),
        Route("/_cosell/aws/groups/remove", admin.endpoint(remove_group), methods=["POST"]),
        Route("/_cosell/aws/prospecting-failures", admin.query(list_failures), methods=["GET"]),
        Route("/_cosell/aws/prospecting-failures", admin.endpoint(mark_failure), methods=["POST"]),
        Route("/_cosell/aws/prospecting-failures/remove", admin.endpoint(clear_failure), methods=["POST"]),
    ]
