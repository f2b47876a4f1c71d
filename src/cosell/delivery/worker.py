"""The delivery worker: takes published events and delivers them, at least once.

Each round:
1. **Take** the waiting events (oldest first, in a write transaction): match each against its account's
   enabled rules and the webhooks. An event nothing listens for is marked dispatched at once; the others
   are leased to this worker for a minute (another worker, on PostgreSQL, skips them meanwhile).
2. **Send** each matching event to each destination, outside any transaction (a network call never holds
   the database).
3. **Record**, in one write transaction: a delivery per destination with its first attempt (delivered,
   or due again after a backoff with jitter), and the events marked dispatched. With `--event-duplicates`,
   an "Opportunity Updated" gets a twin with its own id (the pairs partners see on AWS) and each delivered
   delivery is due once more, same id.
Then the deliveries due again (retries, redeliveries) are leased, sent and recorded the same way, until a
delivery is delivered or runs out of attempts (failed).

Nothing is lost by a crash: an event stays waiting until its deliveries are recorded, so a worker that
dies mid-round leaves it to be taken again when its lease ends or the server restarts (and some
destinations then get it twice: at-least-once, as AWS). As a thread of the server, the worker yields to
the API: while requests are being answered, its rounds are short (100 events) and it sleeps nineteen
times as long as each took, so it takes at most a twentieth of the interpreter from them; the backlog
is delivered when the load eases.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook

from cosell import json_text
from cosell.delivery import targets
from cosell.domain import events as catalogue
from cosell.domain.event_patterns import EventPattern, InvalidPattern
from cosell.operations.eventbridge import rule_arn
from cosell.store import Store
from cosell.store.events import DELIVERED, FAILED, PENDING
from cosell.timestamps import format_timestamp, utc_now

log = logging.getLogger("cosell.delivery")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0
LEASE_SECONDS = 20.0  # how long a worker holds what it is sending (a worker killed mid-round delays it this long)
SEND_BUDGET_SECONDS = 5.0  # a round starts no send after this; what it did not send is released at once
# (a round thus ends within the budget plus one send's time-out, well inside its lease)
IDLE_POLL_SECONDS = 0.2
BUSY_POLL_SECONDS = 0.005
YIELD_FACTOR = 19.0  # while the API is busy: sleep this many times as long as a round took,
BUSY_API_PAUSE_SECONDS = 0.05  # and at least this long,
BUSY_API_ROUND = 100  # and take at most this many events a round (short rounds: short waits for the API)


def retry_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of min(1 s x 2^(attempt-1), 5 min)."""
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** (attempt - 1), MAX_RETRY_SECONDS)
    return ceiling * (0.5 + rng.random() / 2)


def webhook_headers(secret: str, event_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """Standard Webhooks' headers: the message id (the event's, so a redelivery keeps it), the timestamp, and
    the signature of `id.timestamp.body` with the endpoint's secret."""
    return {"webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(event_id, now, body)}


@dataclass(frozen=True)
class _Destination:
    name: str  # what deliveries record: "rule <account>/<rule>/<target id>" or "webhook <id>"
    target: str  # ARN or URL
    body: str | None  # None: the event itself


@dataclass
class _Sent:
    event_seq: int
    event_id: str
    destination: _Destination
    outcome: targets.Outcome
    at: dt.datetime
    duration_ms: int


class DeliveryWorker:
    def __init__(self, store: Store, settings, wall=utc_now, rng: random.Random | None = None,
                 api_activity: Callable[[], int] | None = None):
        """`api_activity`: a count that grows with each API request answered (the server's), so the worker
        yields while it grows; None for a worker of its own process."""
        self.store, self.settings, self.wall = store, settings, wall
        self.rng = rng or random.Random()
        self.api_activity = api_activity
        self.sqs = targets.SqsSender(settings.sqs_endpoint_url)
        self.http = targets.HttpSender()
        self._patterns: dict[str, EventPattern | None] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round -------------------------------------------------------------------------------------

    def run_once(self, limit: int = 500) -> int:
        """Takes, sends and records what was published, then what is due again; how many it handled."""
        return self.dispatch(limit) + self.deliver_due(min(limit, 50))

    def dispatch(self, limit: int = 500) -> int:
        now = self.wall()
        with self.store.read() as tx:
            if not tx.events.any_waiting(now):
                return 0
        with self.store.write() as tx:
            webhooks = tx.event_sinks.webhooks()
            if not webhooks and not self.settings.event_duplicates and not tx.event_rules.any_enabled():
                nobody_listens = tx.events.waiting_seqs(limit, now)  # no event needs reading
                tx.events.mark_dispatched(nobody_listens)
                return len(nobody_listens)
            waiting = tx.events.waiting(limit, now)
            if not waiting:
                return 0
            rules_of: dict[str, list[tuple[str, EventPattern, list[dict]]]] = {}
            planned: list[tuple[int, dict, list[_Destination]]] = []
            quiet: list[tuple[int, str, dict, int | None]] = []
            for seq, catalog, event, copy_of in waiting:
                account = event["account"]
                if account not in rules_of:
                    rules_of[account] = [(name, pattern, tx.event_rules.targets(account, name))
                                         for name, text in tx.event_rules.enabled(account)
                                         if (pattern := self._pattern(text)) is not None]
                destinations = self._destinations(event, account, rules_of[account], webhooks)
                if destinations:
                    planned.append((seq, event, destinations))
                else:
                    quiet.append((seq, catalog, event, copy_of))
            tx.events.mark_dispatched([seq for seq, *_ in quiet])
            self._twins(tx, quiet)
            tx.events.lease([seq for seq, _event, _destinations in planned], now + dt.timedelta(seconds=LEASE_SECONDS))
            secrets, handlers = self._credentials(tx, [d for _s, _e, found in planned for d in found], webhooks)
        sent: list[_Sent] = []
        done: list[int] = []
        started = time.monotonic()
        for seq, event, destinations in planned:
            if time.monotonic() - started > SEND_BUDGET_SECONDS:
                break
            event_json = json_text.compact(event)
            sent += [self._send(seq, event, destination, event_json, secrets, handlers) for destination in destinations]
            done.append(seq)
        if planned:
            with self.store.write() as tx:
                tx.deliveries.add_many([self._first_attempt(result) for result in sent], self.wall())
                tx.events.mark_dispatched(done)
                tx.events.release([seq for seq, _event, _destinations in planned[len(done):]])
                copies = {seq: (seq, catalog, event, copy_of) for seq, catalog, event, copy_of in waiting}
                self._twins(tx, [copies[seq] for seq in done])
                self._redeliveries(tx, sent)
        return len(quiet) + len(done)

    def _twins(self, tx, dispatched: list[tuple[int, str, dict, int | None]]) -> None:
        """--event-duplicates: AWS's "Opportunity Updated" pairs, a second event with its own id."""
        if not self.settings.event_duplicates:
            return
        for seq, catalog, event, copy_of in dispatched:
            if copy_of is None and event["detail-type"] == catalogue.OPPORTUNITY_UPDATED:
                time_of = dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
                tx.events.append(catalogue.event_id(), event["account"], catalog, event["detail-type"], time_of,
                                 event["resources"], event["detail"], copy_of=seq)

    def _redeliveries(self, tx, sent: list[_Sent]) -> None:
        """--event-duplicates: a delivered event is due once more, same id (AWS's target retries)."""
        if not self.settings.event_duplicates:
            return
        now = self.wall()
        tx.deliveries.add_many([
            {"event_seq": result.event_seq, "event_id": result.event_id, "destination": result.destination.name,
             "target": result.destination.target, "body": result.destination.body, "redelivery": True}
            for result in sent if result.outcome.delivered], now)

    def _credentials(self, tx, destinations: list[_Destination], webhooks: list[dict]):
        secrets = {f"webhook {webhook['id']}": webhook["secret"] for webhook in webhooks}
        handlers = {d.target: tx.event_sinks.lambda_handler(d.target) for d in destinations
                    if targets.target_kind(d.target) == targets.LAMBDA}
        return secrets, handlers

    def _pattern(self, text: str | None) -> EventPattern | None:
        if text is None:
            return None
        if text not in self._patterns:
            try:
                self._patterns[text] = EventPattern(text)
            except InvalidPattern:  # refused when put; kept out of dispatch if one slips through
                self._patterns[text] = None
        return self._patterns[text]

    def _destinations(self, event: dict, account: str, rules: list, webhooks: list[dict]) -> list[_Destination]:
        found = []
        for name, pattern, rule_targets in rules:
            if pattern.matches(event):
                for target in rule_targets:
                    body = targets.rendered_body(target, event, name, rule_arn(account, name))
                    found.append(_Destination(f"rule {account}/{name}/{target['Id']}", target["Arn"], body))
        for webhook in webhooks:
            if webhook["account_id"] not in (None, account):
                continue
            pattern = self._pattern(webhook["event_pattern"])
            if webhook["event_pattern"] is None or (pattern is not None and pattern.matches(event)):
                found.append(_Destination(f"webhook {webhook['id']}", webhook["url"], None))
        return found

    def _send(self, seq: int, event: dict, destination: _Destination, event_json: str, secrets: dict[str, str],
              handlers: dict[str, str | None]) -> _Sent:
        at, started = self.wall(), time.monotonic()
        body = event_json if destination.body is None else destination.body
        outcome = self._sent_to(destination, event["id"], body, secrets, handlers)
        return _Sent(seq, event["id"], destination, outcome, at, int((time.monotonic() - started) * 1000))

    def _sent_to(self, destination: _Destination, event_id: str, body: str, secrets: dict[str, str],
                 handlers: dict[str, str | None]) -> targets.Outcome:
        target = destination.target
        if destination.name.startswith("webhook "):
            secret = secrets.get(destination.name)
            if secret is None:
                return targets.Outcome(False, None, "the webhook was removed")
            return self.http.post(target, body, webhook_headers(secret, event_id, body, self.wall()))
        kind = targets.target_kind(target)
        if kind == targets.SQS:
            return self.sqs.send(target, body)
        if kind == targets.LAMBDA:
            return targets.invoke_lambda(target, handlers.get(target), body)
        if kind == targets.HTTP:
            return self.http.post(target, body, {})
        if kind == targets.LOGS:
            return targets.Outcome(True)  # recorded: cosell serves no CloudWatch Logs to write to
        return targets.Outcome(False, None, f"cosell cannot deliver to {target}")

    @staticmethod
    def _attempt(number: int, result: _Sent) -> dict:
        return {"Attempt": number, "At": format_timestamp(result.at),
                "Outcome": "delivered" if result.outcome.delivered else "error",
                "StatusCode": result.outcome.status_code, "Error": result.outcome.error, "DurationMs": result.duration_ms}

    def _next_state(self, attempt: int, outcome: targets.Outcome) -> tuple[str, dt.datetime]:
        now = self.wall()
        if outcome.delivered:
            return DELIVERED, now
        if attempt >= self.settings.event_attempts:
            return FAILED, now
        return PENDING, now + dt.timedelta(seconds=retry_delay(attempt, self.rng))

    def _first_attempt(self, result: _Sent) -> dict:
        status, next_attempt = self._next_state(1, result.outcome)
        self._warn_if_failed(status, result, 1)
        return {"event_seq": result.event_seq, "event_id": result.event_id, "destination": result.destination.name,
                "target": result.destination.target, "body": result.destination.body, "status": status,
                "attempts": 1, "next_attempt": next_attempt, "attempt_log": [self._attempt(1, result)]}

    @staticmethod
    def _warn_if_failed(status: str, result: _Sent, attempts: int) -> None:
        if status == FAILED:
            log.warning("delivery of event %s to %s failed after %d attempts: %s", result.event_id,
                        result.destination.target, attempts, result.outcome.error)

    def deliver_due(self, limit: int = 50) -> int:
        """The deliveries due again: leased, sent, each attempt recorded."""
        now = self.wall()
        with self.store.read() as tx:
            if not tx.deliveries.any_due(now):
                return 0
        with self.store.write() as tx:
            due = tx.deliveries.take_due(now, limit, now + dt.timedelta(seconds=LEASE_SECONDS))
            if not due:
                return 0
            events = tx.events.by_seqs(sorted({delivery["event_seq"] for delivery in due}))
            webhooks = tx.event_sinks.webhooks()
            destinations = [_Destination(d["destination"], d["target"], d["body"]) for d in due]
            secrets, handlers = self._credentials(tx, destinations, webhooks)
        sent = []
        for delivery, destination in zip(due, destinations, strict=True):
            event = events.get(delivery["event_seq"])
            if event is None:
                continue
            sent.append((delivery, self._send(delivery["event_seq"], event, destination, json_text.compact(event),
                                              secrets, handlers)))
        with self.store.write() as tx:
            for delivery, result in sent:
                attempt = delivery["attempts"] + 1
                status, next_attempt = self._next_state(attempt, result.outcome)
                if tx.deliveries.record(delivery["id"], attempt, status, next_attempt,
                                        [*delivery["attempt_log"], self._attempt(attempt, result)]):
                    self._warn_if_failed(status, result, attempt)
                    if not delivery["redelivery"]:
                        self._redeliveries(tx, [result])
        return len(due)

    # --- running ---------------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, parent_pid: int | None = None) -> None:
        """Rounds until `stop` is set (or the parent process is gone), sleeping a little when idle."""
        stop = stop or self._stopping
        last_activity = self.api_activity() if self.api_activity else None
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.info("the server is gone: the delivery worker stops")
                break
            activity = self.api_activity() if self.api_activity else None
            api_busy = activity is not None and activity != last_activity
            last_activity = activity
            started = time.monotonic()
            try:
                handled = self.run_once(BUSY_API_ROUND if api_busy else 500)
            except Exception:
                log.exception("the delivery round failed; trying again")
                handled = 0
            pause = BUSY_POLL_SECONDS if handled else IDLE_POLL_SECONDS
            if handled and self.api_activity is not None and self.api_activity() != activity:
                pause = max(BUSY_API_PAUSE_SECONDS, (time.monotonic() - started) * YIELD_FACTOR)
            stop.wait(pause)
        self.http.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="cosell-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
