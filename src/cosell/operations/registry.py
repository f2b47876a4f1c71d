"""Which function serves which operation: handlers declare it beside their code.

    @operation("GetOpportunity")
    def get_opportunity(ctx: Context, request: GetOpportunityRequestTypeDef) -> Response: ...

A handler takes the request context and the validated request (wire member names, nulls removed) and
returns the response members, or raises a ServiceError. The registry is keyed by service, so that
another service's operations (EventBridge's, for events) are served on the same endpoint:
`@operation("PutRule", service="events")`.

Every operation of a service's model is either registered here or listed in NOT_YET_IMPLEMENTED (it
then answers NotImplementedException); tests/test_registry.py fails when one is neither, or both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cosell.protocol.model import PARTNER_CENTRAL_SELLING

Handler = Callable[[Any, Any], Any]
H = TypeVar("H", bound=Handler)

# Operations of partnercentral-selling's model that cosell does not serve yet. An operation that lands
# is registered with @operation and taken off this list.
NOT_YET_IMPLEMENTED: dict[str, frozenset[str]] = {
    PARTNER_CENTRAL_SELLING: frozenset({
        # Customer accounts, bulk jobs, search
        "CreateCustomerAccount", "DeleteCustomerAccount", "GetCustomerAccount", "GetCustomerAccountBulkJob",
        "GetCustomerAccountBulkJobReportUrl", "GetCustomerAccountStatistics", "ListCustomerAccountBulkJobResults",
        "ListCustomerAccountBulkJobs", "SearchCustomerAccounts", "StartCustomerAccountBulkJob",
        "UpdateCustomerAccount", "GetOpportunityBulkJobReportUrl", "ListOpportunityBulkJobResults",
        "ListOpportunityBulkJobs", "StartOpportunityBulkJob", "SearchOpportunities",
    }),
}


class Registry:
    """Handlers by (service, operation name)."""

    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}

    def operation(self, name: str, service: str = PARTNER_CENTRAL_SELLING) -> Callable[[H], H]:
        """Decorator: the function serves `name` of `service`."""

        def register(handler: H) -> H:
            key = (service, name)
            if key in self._handlers:
                raise ValueError(f"{service} {name} is served twice: by {self._handlers[key].__qualname__} "
                                 f"and {handler.__qualname__}")
            self._handlers[key] = handler
            return handler

        return register

    def handler(self, service: str, name: str) -> Handler | None:
        return self._handlers.get((service, name))

    def operations(self, service: str) -> frozenset[str]:
        """The operations of `service` that have a handler."""
        return frozenset(name for served, name in self._handlers if served == service)

    def services(self) -> frozenset[str]:
        return frozenset({served for served, _ in self._handlers} | set(NOT_YET_IMPLEMENTED))

    def known(self, service: str) -> frozenset[str]:
        """Every operation cosell knows of `service`: served or listed as not yet implemented."""
        return self.operations(service) | NOT_YET_IMPLEMENTED.get(service, frozenset())


# The handlers of cosell's own modules (operations/__init__.py imports them all). A Gateway takes a
# registry, so that a test may serve one of its own.
REGISTRY = Registry()
operation = REGISTRY.operation
