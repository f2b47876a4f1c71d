"""Events and where they go: the outbox `tx.events` (each event written in the transaction of its change),
the EventBridge rules and targets of each account `tx.event_rules`, webhooks and Lambda handler mappings
`tx.event_sinks`, and deliveries with every attempt `tx.deliveries`.

The outbox's `seq` orders the log and is the cursor of its readers. An event is *dispatched* once the
delivery worker has matched it against the rules and webhooks and written a delivery per destination;
a delivery is pending until an attempt succeeds or its attempts run out (cosell/delivery/).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    insert,
    or_,
    select,
    text,
    update,
)

from cosell import json_text
from cosell.domain import events as catalogue
from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

_SERIAL = BigInteger().with_variant(Integer, "sqlite")

events = Table(
    "events",
    metadata,
    Column("seq", _SERIAL, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False),  # the envelope's id (a redelivery keeps it; a re-emission has its own)
    Column("account_id", String(12), nullable=False),  # the envelope's account: who receives it
    Column("catalog", String(16), nullable=False),
    Column("detail_type", String(64), nullable=False),
    Column("time_ms", BigInteger, nullable=False),  # on cosell's clock
    Column("resources", Text, nullable=False),  # JSON list
    Column("detail", Text, nullable=False),  # JSON object; the envelope is built from these columns when read
    Column("copy_of", BigInteger),  # a re-emission (`--event-duplicates`) names its original's seq
    Column("state", SmallInteger, nullable=False),  # WAITING until a worker has dispatched it, then DISPATCHED
    Column("lease_ms", BigInteger),  # a worker sending it holds it until then (wall clock); another takes it after
)
# Only the waiting events are indexed (partial index): it stays a few pages however long the log grows,
# and a publish costs one small index entry. The log is read by seq; an event's id is looked up only
# by admin commands, by a scan (a random-UUID index would cost every publish a random page).
Index("events_waiting", events.c.seq, sqlite_where=text("state = 0"), postgresql_where=text("state = 0"))

event_rules = Table(
    "event_rules",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), primary_key=True),  # on the default event bus, the only one
    Column("event_pattern", Text),
    Column("schedule_expression", String(256)),
    Column("state", String(32), nullable=False),
    Column("description", String(512)),
    Column("role_arn", String(1600)),
    Column("created_ms", BigInteger, nullable=False),
)

event_targets = Table(
    "event_targets",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("rule_name", String(64), primary_key=True),
    Column("target_id", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False),
    Column("document", Text, nullable=False),  # the Target as PutTargets took it, JSON
    Column("created_ms", BigInteger, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2048), nullable=False),
    Column("secret", String(128), nullable=False),  # whsec_..., Standard Webhooks' form
    Column("event_pattern", Text),  # None: every event
    Column("account_id", String(12)),  # None: every account's events
    Column("created_ms", BigInteger, nullable=False),
)

lambda_functions = Table(
    "lambda_functions",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("handler", String(512), nullable=False),  # module:function, or path/to/file.py:function
    Column("created_ms", BigInteger, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", _SERIAL, primary_key=True, autoincrement=True),
    Column("event_seq", BigInteger, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("destination", String(256), nullable=False),  # "rule <account>/<rule>/<target>" or "webhook <id>"
    Column("target", String(2048), nullable=False),  # the target's ARN, or the webhook's URL
    Column("body", Text),  # what is sent when it is not the event itself (a target's Input/InputPath/transformer)
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),  # wall clock: retries are real waits
    Column("redelivery", Boolean, nullable=False),  # a second delivery of the same event (redeliver, duplicates)
    Column("attempt_log", Text, nullable=False),  # JSON list: each attempt's time, outcome, status code, error, ms
    Column("created_ms", BigInteger, nullable=False),
)
# Only pending deliveries (retries, redeliveries) are looked for; the rest are history, read by event.
Index("deliveries_due", deliveries.c.next_attempt_ms, sqlite_where=text("status = 'pending'"),
      postgresql_where=text("status = 'pending'"))
Index("deliveries_by_event", deliveries.c.event_seq)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
WAITING, DISPATCHED = 0, 1

_e, _r, _t, _w, _d = events.c, event_rules.c, event_targets.c, webhooks.c, deliveries.c
_ENVELOPE_COLUMNS = (_e.seq, _e.id, _e.account_id, _e.detail_type, _e.time_ms, _e.resources, _e.detail)
_APPEND = Query(insert(events).values({name: bindparam(name) for name in
                                       ("id", "account_id", "catalog", "detail_type", "time_ms", "resources", "detail",
                                        "copy_of", "state")}))
# What a worker may take: waiting, and not held by another worker's lease. On PostgreSQL several workers
# (one per server process) each lock different events (SKIP LOCKED) for the transaction that leases them.
_WAITING = Query(select(*_ENVELOPE_COLUMNS, _e.catalog, _e.copy_of)
                 .where(text("state = 0"), or_(_e.lease_ms.is_(None), _e.lease_ms < bindparam("now_ms")))
                 .order_by(_e.seq).limit(bindparam("limit")).with_for_update(skip_locked=True))

# Run once per event of a round (executemany: one prepared statement).
_SET_STATE = Query(update(events).where(_e.seq == bindparam("event_seq"))
                   .values(state=bindparam("state"), lease_ms=bindparam("lease_ms")))
_ANY_WAITING = Query(select(_e.seq).where(text("state = 0"), or_(_e.lease_ms.is_(None), _e.lease_ms < bindparam("now_ms")))
                     .limit(1))
_WAITING_SEQS = Query(select(_e.seq).where(text("state = 0"), or_(_e.lease_ms.is_(None), _e.lease_ms < bindparam("now_ms")))
                      .order_by(_e.seq).limit(bindparam("limit")).with_for_update(skip_locked=True))
_BY_ID = Query(select(*_ENVELOPE_COLUMNS).where(_e.id == bindparam("id")).order_by(_e.seq))
_LAST_SEQ = Query(select(_e.seq).order_by(_e.seq.desc()).limit(1))

_RULE = Query(select(event_rules).where(_r.account_id == bindparam("account_id"), _r.name == bindparam("name")))
_RULE_KEY = (_r.account_id == bindparam("account_id"), _r.name == bindparam("name"))
_INSERT_RULE = Query(insert(event_rules))
_UPDATE_RULE = Query(update(event_rules).where(*_RULE_KEY).values(
    event_pattern=bindparam("event_pattern"), schedule_expression=bindparam("schedule_expression"),
    state=bindparam("state"), description=bindparam("description"), role_arn=bindparam("role_arn")))
_SET_RULE_STATE = Query(update(event_rules).where(*_RULE_KEY).values(state=bindparam("state")))
_DELETE_RULE = Query(delete(event_rules).where(*_RULE_KEY))
_ENABLED_RULES = Query(select(_r.name, _r.event_pattern).where(_r.account_id == bindparam("account_id"),
                                                                 _r.state == "ENABLED", _r.event_pattern.is_not(None)))
_ANY_ENABLED_RULE = Query(select(_r.name).where(_r.state == "ENABLED", _r.event_pattern.is_not(None)).limit(1))
_TARGET_KEY = (_t.account_id == bindparam("account_id"), _t.rule_name == bindparam("rule_name"))
_TARGETS = Query(select(_t.target_id, _t.arn, _t.document).where(*_TARGET_KEY).order_by(_t.target_id))
_DELETE_TARGET = Query(delete(event_targets).where(*_TARGET_KEY, _t.target_id == bindparam("target_id")))
_INSERT_TARGET = Query(insert(event_targets))

_WEBHOOKS = Query(select(webhooks).order_by(_w.created_ms, _w.id))
_INSERT_WEBHOOK = Query(insert(webhooks))
_DELETE_WEBHOOK = Query(delete(webhooks).where(_w.id == bindparam("id")))
_LAMBDA = Query(select(lambda_functions.c.handler).where(lambda_functions.c.arn == bindparam("arn")))
_LAMBDAS = Query(select(lambda_functions).order_by(lambda_functions.c.arn))
_DELETE_LAMBDA = Query(delete(lambda_functions).where(lambda_functions.c.arn == bindparam("arn")))
_INSERT_LAMBDA = Query(insert(lambda_functions))

_INSERT_DELIVERY = Query(insert(deliveries).values({name: bindparam(name) for name in
                                                   ("event_seq", "event_id", "destination", "target", "body", "status",
                                                    "attempts", "next_attempt_ms", "redelivery", "attempt_log",
                                                    "created_ms")}))
_DUE = Query(select(_d.id, _d.event_seq, _d.event_id, _d.destination, _d.target, _d.body, _d.attempts, _d.redelivery,
                    _d.attempt_log)
             .where(text("status = 'pending'"), _d.next_attempt_ms <= bindparam("now_ms"))
             .order_by(_d.next_attempt_ms, _d.id).limit(bindparam("limit")).with_for_update(skip_locked=True))
_ANY_DUE = Query(select(_d.id).where(text("status = 'pending'"), _d.next_attempt_ms <= bindparam("now_ms")).limit(1))
_RECORD = Query(update(deliveries).where(_d.id == bindparam("id"), _d.status == PENDING).values(
    status=bindparam("status"), attempts=bindparam("attempts"), next_attempt_ms=bindparam("next_attempt_ms"),
    attempt_log=bindparam("attempt_log")))



def _envelope(row) -> dict:
    seq, event_id, account, detail_type, time_ms, resources, detail = row[:7]
    return catalogue.envelope(detail_type, account, from_ms(time_ms), json_text.loads(resources),
                              json_text.loads(detail), event_id)


@repository("events")
class EventRepository:
    """The outbox."""

    def __init__(self, tx):
        self._db = tx.db

    def append(self, event_id: str, account: str, catalog: str, detail_type: str, time: dt.datetime,
               resources: list[str], detail: Mapping[str, Any], copy_of: int | None = None) -> None:
        """An event, as the columns its envelope is built from when read (domain/events.py: `envelope`)."""
        self._db.execute(_APPEND, {"id": event_id, "account_id": account, "catalog": catalog,
                                   "detail_type": detail_type, "time_ms": to_ms(time),
                                   "resources": json_text.compact(resources), "detail": json_text.compact(detail),
                                   "copy_of": copy_of, "state": WAITING})

    def waiting(self, limit: int, now: dt.datetime) -> list[tuple[int, str, dict, int | None]]:
        """(seq, catalog, envelope, copy_of) of events no worker has dispatched or holds, oldest first."""
        return [(row[0], row[7], _envelope(row), row[8])
                for row in self._db.tuples(_WAITING, {"limit": limit, "now_ms": to_ms(now)})]

    def waiting_seqs(self, limit: int, now: dt.datetime) -> list[int]:
        """The seqs of what `waiting` would return, without reading the events (when nothing listens)."""
        return [seq for (seq,) in self._db.tuples(_WAITING_SEQS, {"limit": limit, "now_ms": to_ms(now)})]

    def any_waiting(self, now: dt.datetime) -> bool:
        return self._db.value(_ANY_WAITING, {"now_ms": to_ms(now)}) is not None

    def by_seqs(self, seqs: list[int]) -> dict[int, dict]:
        statement = select(*_ENVELOPE_COLUMNS).where(_e.seq.in_(seqs))
        return {row[0]: _envelope(row) for row in self._db.tuples(statement)}

    def lease(self, seqs: list[int], until: dt.datetime) -> None:
        if seqs:
            self._set(seqs, WAITING, to_ms(until))

    def release(self, seqs: list[int]) -> None:
        """Leased events this worker will not send now: any worker may take them again."""
        if seqs:
            self._set(seqs, WAITING, None)

    def mark_dispatched(self, seqs: list[int]) -> None:
        if seqs:
            self._set(seqs, DISPATCHED, None)

    def _set(self, seqs: list[int], state: int, lease_ms: int | None) -> None:
        self._db.execute_many(_SET_STATE, [{"event_seq": seq, "state": state, "lease_ms": lease_ms} for seq in seqs])

    def page(self, after: int, limit: int, detail_types: list[str] | None = None, account_id: str | None = None,
             catalog: str | None = None, newest_first: bool = False) -> list[tuple[int, dict]]:
        """(seq, envelope) of the events after `after`, oldest (or newest) first, filtered (the log)."""
        conditions: list[Any] = [_e.seq > after]
        if detail_types:
            conditions.append(_e.detail_type.in_(detail_types))
        if account_id:
            conditions.append(_e.account_id == account_id)
        if catalog:
            conditions.append(_e.catalog == catalog)
        order = _e.seq.desc() if newest_first else _e.seq
        statement = select(*_ENVELOPE_COLUMNS).where(and_(*conditions)).order_by(order).limit(limit)
        return [(row[0], _envelope(row)) for row in self._db.tuples(statement)]

    def by_id(self, event_id: str) -> list[tuple[int, dict]]:
        """(seq, envelope) of the event (and of its copies' deliveries' originals): a scan, for admin commands."""
        return [(row[0], _envelope(row)) for row in self._db.tuples(_BY_ID, {"id": event_id})]

    def last_seq(self) -> int:
        return self._db.value(_LAST_SEQ) or 0


@repository("event_rules")
class EventRuleRepository:
    """EventBridge rules and their targets, per account, on the default bus."""

    def __init__(self, tx):
        self._db = tx.db

    def get(self, account_id: str, name: str) -> dict | None:
        row = self._db.first(_RULE, {"account_id": account_id, "name": name})
        return None if row is None else row._asdict()

    def put(self, account_id: str, name: str, values: dict, now: dt.datetime) -> None:
        params = {"account_id": account_id, "name": name, **values}
        if self._db.execute(_UPDATE_RULE, params).rowcount == 0:
            self._db.execute(_INSERT_RULE, {**params, "created_ms": to_ms(now)})

    def set_state(self, account_id: str, name: str, state: str) -> bool:
        return self._db.execute(_SET_RULE_STATE, {"account_id": account_id, "name": name, "state": state}).rowcount == 1

    def delete(self, account_id: str, name: str) -> None:
        self._db.execute(_DELETE_RULE, {"account_id": account_id, "name": name})

    def list_rules(self, account_id: str, prefix: str | None, after: str | None, limit: int) -> list[dict]:
        conditions: list[Any] = [_r.account_id == account_id]
        if prefix:
            conditions.append(_r.name.startswith(prefix, autoescape=True))
        if after is not None:
            conditions.append(_r.name > after)
        statement = select(event_rules).where(and_(*conditions)).order_by(_r.name).limit(limit)
        return [row._asdict() for row in self._db.all(statement)]

    def enabled(self, account_id: str) -> list[tuple[str, str]]:
        """(name, pattern) of the account's enabled rules with an event pattern."""
        return self._db.tuples(_ENABLED_RULES, {"account_id": account_id})

    def any_enabled(self) -> bool:
        """Whether any account has an enabled rule with an event pattern."""
        return self._db.value(_ANY_ENABLED_RULE) is not None

    def targets(self, account_id: str, rule_name: str) -> list[dict]:
        return [json_text.loads(document) for _target_id, _arn, document in
                self._db.tuples(_TARGETS, {"account_id": account_id, "rule_name": rule_name})]

    def put_target(self, account_id: str, rule_name: str, target: dict, now: dt.datetime) -> None:
        key = {"account_id": account_id, "rule_name": rule_name, "target_id": target["Id"]}
        self._db.execute(_DELETE_TARGET, key)
        self._db.execute(_INSERT_TARGET, {**key, "arn": target["Arn"], "document": json_text.compact(target),
                                          "created_ms": to_ms(now)})

    def remove_target(self, account_id: str, rule_name: str, target_id: str) -> bool:
        return self._db.execute(_DELETE_TARGET, {"account_id": account_id, "rule_name": rule_name,
                                                 "target_id": target_id}).rowcount == 1


@repository("event_sinks")
class EventSinkRepository:
    """Webhooks, and the Python handlers that play Lambda functions."""

    def __init__(self, tx):
        self._db = tx.db

    def webhooks(self) -> list[dict]:
        return [row._asdict() for row in self._db.all(_WEBHOOKS)]

    def add_webhook(self, webhook_id: str, url: str, secret: str, pattern: str | None, account_id: str | None,
                    now: dt.datetime) -> None:
        self._db.execute(_INSERT_WEBHOOK, {"id": webhook_id, "url": url, "secret": secret, "event_pattern": pattern,
                                           "account_id": account_id, "created_ms": to_ms(now)})

    def remove_webhook(self, webhook_id: str) -> bool:
        return self._db.execute(_DELETE_WEBHOOK, {"id": webhook_id}).rowcount == 1

    def lambda_handler(self, arn: str) -> str | None:
        return self._db.value(_LAMBDA, {"arn": arn})

    def map_lambda(self, arn: str, handler: str, now: dt.datetime) -> None:
        self._db.execute(_DELETE_LAMBDA, {"arn": arn})
        self._db.execute(_INSERT_LAMBDA, {"arn": arn, "handler": handler, "created_ms": to_ms(now)})

    def lambdas(self) -> list[dict]:
        return [row._asdict() for row in self._db.all(_LAMBDAS)]


@repository("deliveries")
class DeliveryRepository:
    """Each delivery of an event to one destination, with every attempt in its attempt log."""

    def __init__(self, tx):
        self._db = tx.db

    def add_many(self, rows: list[dict], now: dt.datetime) -> None:
        """Deliveries as dicts: event_seq, event_id, destination, target, body (None: the event), status,
        attempts, next_attempt (datetime), redelivery, attempt_log (list)."""
        if rows:
            self._db.execute_many(_INSERT_DELIVERY, [{
                "event_seq": row["event_seq"], "event_id": row["event_id"], "destination": row["destination"],
                "target": row["target"], "body": row.get("body"), "status": row.get("status", PENDING),
                "attempts": row.get("attempts", 0), "next_attempt_ms": to_ms(row.get("next_attempt", now)),
                "redelivery": row.get("redelivery", False), "attempt_log": json_text.compact(row.get("attempt_log", [])),
                "created_ms": to_ms(now)} for row in rows])

    def any_due(self, now: dt.datetime) -> bool:
        return self._db.value(_ANY_DUE, {"now_ms": to_ms(now)}) is not None

    def take_due(self, now: dt.datetime, limit: int, lease_until: dt.datetime) -> list[dict]:
        """Pending deliveries that are due, leased to the caller until `lease_until` (another worker skips them)."""
        due = [row._asdict() for row in self._db.all(_DUE, {"now_ms": to_ms(now), "limit": limit})]
        if due:
            self._db.execute(update(deliveries).where(_d.id.in_([row["id"] for row in due]))
                             .values(next_attempt_ms=to_ms(lease_until)))
        for row in due:
            row["attempt_log"] = json_text.loads(row["attempt_log"])
        return due

    def record(self, delivery_id: int, attempts: int, status: str, next_attempt: dt.datetime,
               attempt_log: list[dict]) -> bool:
        """A pending delivery's attempt; False when another worker recorded it first."""
        return self._db.execute(_RECORD, {"id": delivery_id, "status": status, "attempts": attempts,
                                          "next_attempt_ms": to_ms(next_attempt),
                                          "attempt_log": json_text.compact(attempt_log)}).rowcount == 1

    def of_events(self, seqs: list[int]) -> list[dict]:
        statement = select(deliveries).where(_d.event_seq.in_(seqs)).order_by(_d.id)
        found = [row._asdict() for row in self._db.all(statement)]
        for row in found:
            row["attempt_log"] = json_text.loads(row["attempt_log"])
        return found
