"""Partners acting through the real API, in process: a botocore client of partnercentral-selling whose
requests go through the gateway (cosell.mock.attach), signed with the account's own key, so what seeds and
triggers build passes the same validation, rules and events as any client's request."""

from __future__ import annotations

import uuid
from typing import Any

from botocore.config import Config
from botocore.session import get_session

from cosell.mock import attach
from cosell.protocol.errors import NotFoundError
from cosell.protocol.model import PARTNER_CENTRAL_SELLING

SANDBOX = "Sandbox"


def _key_of(store, account_id: str) -> tuple[str, str] | None:
    """(access key id, secret) of one of the account's usable keys."""
    with store.read() as tx:
        for account in tx.accounts.list():
            if account["AccountId"] != account_id:
                continue
            for listed in account["AccessKeys"]:
                key = tx.accounts.get_key(listed["AccessKeyId"])
                if key is not None and not key.revoked and not key.read_only:
                    return key.access_key_id, key.secret_access_key
    return None


class Actor:
    """One account calling the API: `actor.call("CreateOpportunity", **request)` answers what boto3 would."""

    def __init__(self, gateway, account_id: str):
        key = _key_of(gateway.store, account_id)
        if key is None and account_id != gateway.settings.account_id:
            raise NotFoundError(f"Account {account_id} has no usable access key: create it with `cosell accounts "
                                "create`, or act as the server's default account.")
        access_key_id, secret = key or ("cosell-seed", "cosell-seed")
        self.account_id = account_id
        self.client = get_session().create_client(
            PARTNER_CENTRAL_SELLING, region_name="us-east-1", endpoint_url="http://cosell.internal",
            aws_access_key_id=access_key_id, aws_secret_access_key=secret,
            config=Config(retries={"total_max_attempts": 1}))
        attach(self.client, gateway)

    def call(self, operation: str, **request: Any) -> dict:
        method = getattr(self.client, _snake(operation))
        answer = method(**request)
        answer.pop("ResponseMetadata", None)
        return answer


def token() -> str:
    return str(uuid.uuid4())


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() and index else char.lower() for index, char in enumerate(name))
