"""The event log, webhooks and Lambda mappings: what `cosell events …` and `cosell webhooks …` do, and what
the /_cosell/events and /_cosell/webhooks endpoints call (server/events.py). Not AWS operations: AWS
has no webhooks and no log of the events it sent; a partner only ever sees them arrive.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

from cosell import json_text
from cosell.delivery.targets import LAMBDA, target_kind
from cosell.domain.event_patterns import EventPattern, InvalidPattern
from cosell.protocol.errors import NotFoundError, ValidationError
from cosell.store import Store

MAX_PAGE = 1000
DEFAULT_PAGE = 100
_HANDLER = re.compile(r"[^:\s]+:[A-Za-z_][A-Za-z0-9_]*")


def event_log(store: Store, after: int = 0, limit: int = DEFAULT_PAGE, detail_types: list[str] | None = None,
              account_id: str | None = None, catalog: str | None = None) -> dict[str, Any]:
    """The events published after the cursor `after`, oldest first, each exactly as EventBridge delivers
    it, and the cursor to ask from next (the same when nothing new came)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError.of_field("limit", f"limit must be between 1 and {MAX_PAGE}.")
    with store.read() as tx:
        page = tx.events.page(after, limit, detail_types, account_id, catalog)
    return {"Events": [envelope for _seq, envelope in page],
            "Cursor": str(page[-1][0] if page else after)}


def cursor_before_last(store: Store, count: int, detail_types: list[str] | None = None,
                       account_id: str | None = None, catalog: str | None = None) -> int:
    """The cursor from which the log shows its last `count` events (of the filters)."""
    if not 1 <= count <= MAX_PAGE:
        raise ValidationError.of_field("tail", f"tail must be between 1 and {MAX_PAGE}.")
    with store.read() as tx:
        newest = tx.events.page(0, count, detail_types, account_id, catalog, newest_first=True)
    return newest[-1][0] - 1 if newest else 0


def log_page(store: Store, after: int, limit: int, detail_types: list[str] | None, account_id: str | None,
             catalog: str | None) -> list[tuple[int, str]]:
    """(cursor, envelope JSON) pairs, for the stream."""
    with store.read() as tx:
        page = tx.events.page(after, limit, detail_types, account_id, catalog)
    return [(seq, json_text.compact(envelope)) for seq, envelope in page]


def last_cursor(store: Store) -> int:
    with store.read() as tx:
        return tx.events.last_seq()


def _pattern(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        EventPattern(text)
    except InvalidPattern as reason:
        raise ValidationError.of_field("EventPattern", f"Event pattern is not valid. Reason: {reason}") from None
    return text


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _shown(webhook: dict) -> dict[str, Any]:
    return {"Id": webhook["id"], "Url": webhook["url"], "Secret": webhook["secret"],
            "EventPattern": webhook["event_pattern"], "AccountId": webhook["account_id"]}


def add_webhook(store: Store, url: str, event_pattern: str | None, account_id: str | None,
                now: dt.datetime) -> dict[str, Any]:
    """A webhook: every event (of `account_id`, matching `event_pattern`) is POSTed to `url`, signed with
    the secret returned here."""
    if target_kind(url) != "http":
        raise ValidationError.of_field("Url", f"A webhook URL is http:// or https://, not {url!r}.")
    webhook = {"id": "we_" + secrets.token_hex(8), "url": url, "secret": new_webhook_secret(),
               "event_pattern": _pattern(event_pattern), "account_id": account_id}
    with store.write() as tx:
        tx.event_sinks.add_webhook(webhook["id"], url, webhook["secret"], webhook["event_pattern"], account_id, now)
    return _shown(webhook)


def list_webhooks(store: Store) -> dict[str, Any]:
    with store.read() as tx:
        return {"Webhooks": [_shown(webhook) for webhook in tx.event_sinks.webhooks()]}


def remove_webhook(store: Store, webhook_id: str) -> dict[str, Any]:
    with store.write() as tx:
        if not tx.event_sinks.remove_webhook(webhook_id):
            raise NotFoundError(f"No webhook has the id {webhook_id}.")
    return {"Id": webhook_id, "Removed": True}


def redeliver(store: Store, event_id: str, webhook_id: str | None, now: dt.datetime) -> dict[str, Any]:
    """The event delivered once more (same id, as AWS's redeliveries) to each webhook it matches now, or to
    `webhook_id` alone."""
    with store.write() as tx:
        found = tx.events.by_id(event_id)
        if not found:
            raise NotFoundError(f"No event has the id {event_id}.")
        seq, event = found[0]
        webhooks = tx.event_sinks.webhooks()
        if webhook_id is not None:
            webhooks = [webhook for webhook in webhooks if webhook["id"] == webhook_id]
            if not webhooks:
                raise NotFoundError(f"No webhook has the id {webhook_id}.")
        chosen = [webhook for webhook in webhooks if webhook["account_id"] in (None, event["account"])
                  and (webhook_id is not None or webhook["event_pattern"] is None
                       or EventPattern(webhook["event_pattern"]).matches(event))]
        tx.deliveries.add_many([{"event_seq": seq, "event_id": event_id, "destination": f"webhook {webhook['id']}",
                                 "target": webhook["url"], "redelivery": True} for webhook in chosen], now)
    return {"EventId": event_id, "Webhooks": [webhook["id"] for webhook in chosen]}


def deliveries(store: Store, event_id: str) -> dict[str, Any]:
    """Every delivery of an event, with each attempt."""
    with store.read() as tx:
        found = tx.events.by_id(event_id)
        if not found:
            raise NotFoundError(f"No event has the id {event_id}.")
        rows = tx.deliveries.of_events([seq for seq, _event in found])
    return {"EventId": event_id, "Deliveries": [
        {"Destination": row["destination"], "Target": row["target"], "Status": row["status"],
         "Attempts": row["attempt_log"], "Redelivery": bool(row["redelivery"])} for row in rows]}


def map_lambda(store: Store, arn: str, handler: str, now: dt.datetime) -> dict[str, Any]:
    """`handler` (module:function or path/to/file.py:function) plays the Lambda function `arn`: a rule target
    with that ARN calls it with the event and a Lambda-like context."""
    if target_kind(arn) != LAMBDA:
        raise ValidationError.of_field("FunctionArn", f"Not a Lambda function ARN: {arn!r} "
                                                      "(arn:aws:lambda:REGION:ACCOUNT:function:NAME).")
    if not _HANDLER.fullmatch(handler):
        raise ValidationError.of_field("Handler", "A handler is module:function or path/to/file.py:function, "
                                                  f"not {handler!r}.")
    with store.write() as tx:
        tx.event_sinks.map_lambda(arn, handler, now)
    return {"FunctionArn": arn, "Handler": handler}


def list_lambdas(store: Store) -> dict[str, Any]:
    with store.read() as tx:
        return {"Functions": [{"FunctionArn": row["arn"], "Handler": row["handler"]} for row in tx.event_sinks.lambdas()]}
