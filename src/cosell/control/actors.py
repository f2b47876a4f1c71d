"""Partners acting through the real API, in process: a botocore client of partnercentral-selling whose
requests go through the gateway (cosell.mock.attach), signed with the account's own key, so what seeds and
triggers build passes the same validation, rules and events as any client's request."""

from __future__ import annotations

import uuid
from typing import Any

from botocore import xform_name
from botocore.config import Config
from botocore.session import get_session

from cosell.mock import attach
from cosell.protocol.errors import NotFoundError
from cosell.protocol.model import PARTNER_CENTRAL_SELLING


class Actor:
    """One account calling the API: `actor.call("CreateOpportunity", **request)` answers what boto3 would."""

    def __init__(self, gateway, account_id: str):
        with gateway.store.read() as tx:
            key = tx.accounts.writing_key(account_id)
        if key is None and account_id != gateway.settings.account_id:
            raise NotFoundError(f"Account {account_id} has no usable access key: create it with `cosell accounts "
                                "create`, or act as the server's default account.")
        access_key_id, secret = (key.access_key_id, key.secret_access_key) if key else ("cosell-seed", "cosell-seed")
        self.account_id = account_id
        self.client = get_session().create_client(
            PARTNER_CENTRAL_SELLING, region_name="us-east-1", endpoint_url="http://cosell.internal",
            aws_access_key_id=access_key_id, aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}))
        attach(self.client, gateway)

    def call(self, operation: str, **request: Any) -> dict:
        method = getattr(self.client, xform_name(operation))
        answer = method(**request)
        answer.pop("ResponseMetadata", None)
        return answer


def token() -> str:
    return str(uuid.uuid4())

