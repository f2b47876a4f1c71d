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

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from cosell.control import groups, prospecting
from cosell.protocol.errors import FieldError, ValidationError
from cosell.protocol.facts import CATALOGS, SANDBOX_CATALOG

if TYPE_CHECKING:
    from cosell.gateway import Gateway
    from cosell.server.admin import AdminEndpoints


def _refuse(name: str, message: str, code: str = "INVALID_VALUE") -> ValidationError:
    return ValidationError.from_errors(ValidationError.REQUEST, [FieldError(name, code, message)])


def _catalog(value: Any) -> str:
    catalog = value or SANDBOX_CATALOG
    if catalog not in CATALOGS:
        raise _refuse("Catalog", f"Catalog must be one of {', '.join(CATALOGS)}.")
    return catalog


def _text(body: dict, name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise _refuse(name, f"{name} is required, as text." if required else f"{name} must be text.",
                      "REQUIRED_FIELD_MISSING" if value is None else "INVALID_VALUE")
    return value


def curation_routes(admin: AdminEndpoints, gateway: Gateway) -> list[Route]:
    store = gateway.store

    def list_groups(parameters: dict[str, list[str]]) -> dict:
        catalog = parameters.get("catalog")
        return {"Groups": groups.list_groups(store, _catalog(catalog[-1]) if catalog else None)}

    def define_group(_account_id: str, body: dict) -> dict:
        node = body.get("Filter")
        if node is not None and not isinstance(node, dict):
            raise _refuse("Filter", "Filter must be a JSON object: a SearchEngagements filter tree.")
        return groups.define_group(store, _catalog(body.get("Catalog")), name=_text(body, "Name"),
                                   description=_text(body, "Description"),
                                   readiness_level=_text(body, "ReadinessLevel"), keyword=_text(body, "Keyword"),
                                   node=node, group_id=_text(body, "Id"), now=gateway.clock.now())

    def remove_group(_account_id: str, body: dict) -> dict:
        return groups.remove_group(store, _catalog(body.get("Catalog")), _text(body, "Id", required=True) or "",
                                   gateway.clock.now())

    def list_failures(_parameters: dict[str, list[str]]) -> dict:
        return {"ProspectingFailures": prospecting.failures(store)}

    def mark_failure(_account_id: str, body: dict) -> dict:
        return prospecting.mark_failure(store, _catalog(body.get("Catalog")),
                                        _text(body, "EngagementId", required=True) or "",
                                        _text(body, "ReasonCode"), _text(body, "Message"))

    def clear_failure(_account_id: str, body: dict) -> dict:
        return prospecting.clear_failure(store, _catalog(body.get("Catalog")),
                                         _text(body, "EngagementId", required=True) or "")

    return [
        Route("/_cosell/aws/groups", admin.query(list_groups), methods=["GET"]),
        Route("/_cosell/aws/groups", admin.endpoint(define_group), methods=["POST"]),
        Route("/_cosell/aws/groups/remove", admin.endpoint(remove_group), methods=["POST"]),
        Route("/_cosell/aws/prospecting-failures", admin.query(list_failures), methods=["GET"]),
        Route("/_cosell/aws/prospecting-failures", admin.endpoint(mark_failure), methods=["POST"]),
        Route("/_cosell/aws/prospecting-failures/remove", admin.endpoint(clear_failure), methods=["POST"]),
    ]
