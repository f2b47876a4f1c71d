"""/_cosell/seed and /_cosell/trigger: realistic data and events on demand, built through the real
operations (control/seeds.py), for `cosell seed` and `cosell trigger`.

    POST /_cosell/seed     {Scenario, Count?, Seed?, Start?, PartnerAccountId?, AccountId?, Catalog?}
    POST /_cosell/trigger  {DetailType, AccountId?, Catalog?}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.routing import Route

from cosell.control import seeds
from cosell.server import admin_members as members

if TYPE_CHECKING:
    from cosell.gateway import Gateway
    from cosell.server.admin import AdminEndpoints


def _number(body: dict, name: str, default: int) -> int:
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        members.refuse(name, "INVALID_VALUE", f"{name} must be a whole number.")
    return value


def kit_routes(admin: AdminEndpoints, gateway: Gateway) -> list[Route]:
    def seed(account_id: str, body: dict) -> dict[str, Any]:
        return seeds.seed(gateway, members.required(body, "Scenario", seeds.SCENARIOS), account_id=account_id,
                          count=_number(body, "Count", 10), seed_value=_number(body, "Seed", 0), start=_number(body, "Start", 0),
                          partner_account_id=members.optional(body, "PartnerAccountId"), catalog=members.catalog(body))

    def trigger(account_id: str, body: dict) -> dict[str, Any]:
        return seeds.trigger(gateway, members.required(body, "DetailType"), account_id=account_id,
                             catalog=members.catalog(body))

    return [Route("/_cosell/seed", admin.endpoint(seed), methods=["POST"]),
            Route("/_cosell/trigger", admin.endpoint(trigger), methods=["POST"])]
