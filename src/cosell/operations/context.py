"""What an operation gets besides its request: who calls, when, and where things are kept.

Handlers are typed with the request TypedDicts of mypy-boto3-partnercentral-selling (imported for type
checking only: it is a development dependency). Its newest release (1.43.83) is built from the
45-operation model, so the 18 newer operations (customer accounts, bulk jobs, SearchOpportunities,
SearchEngagements, engagement groups, prospecting) have no TypedDict there: their handlers take
`UntypedRequest`. Responses are `Response`, a plain dict: mypy-boto3's response TypedDicts describe
what the client returns (with the ResponseMetadata botocore adds, and datetimes where the wire has
text), not what a server writes; the output shape of the model decides what is written (awsjson).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cosell.auth import Principal
    from cosell.settings import Settings
    from cosell.store import Store

Response = dict[str, Any]
UntypedRequest = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """One request's caller and moment. `now` is the clock's reading when the request arrived: every
    time the operation writes is derived from it."""

    principal: Principal
    request_id: str
    now: dt.datetime
    store: Store
    settings: Settings = field(repr=False)

    @property
    def account_id(self) -> str:
        return self.principal.account_id
