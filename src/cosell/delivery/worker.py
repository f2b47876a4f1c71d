"""The delivery worker: dispatches published events and delivers them, at least once.

1. **Dispatch**: each event not yet dispatched (oldest first) is matched against its account's enabled
   rules and against the webhooks; a delivery is written per matching target or webhook, and the event
   is marked dispatched, in one write transaction. With `--event-duplicates`, an "Opportunity Updated"
   gets a twin with its own id (the pairs partners see on AWS).
2. **Deliver**: due deliveries are sent outside any transaction (a network call never holds the database),
   then each attempt is recorded: delivered, or due again after a backoff with jitter, or failed when its
   attempts run out. With `--event-duplicates`, a delivered event is delivered once more, same id.

Nothing is lost by a crash: an event or a delivery stays pending until its result is committed, and the
worker picks it up again when it starts (a delivery may then be sent twice: at-least-once, as AWS).
`run_once()` does one round deterministically (tests); `run()` loops, as a thread of the server or as the
`cosell-delivery` process beside it (`--event-delivery`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass

from standardwebhooks.webhooks import Webhook

from cosell.delivery import targets
from cosell.domain import events as catalogue
from cosell.domain.event_patterns import EventPattern, InvalidPattern
from cosell.operations.eventbridge import rule_arn
from cosell.store import Store
from cosell.store.events import DELIVERED, FAILED, PENDING
from cosell.timestamps import utc_now

log = logging.getLogger("cosell.delivery")

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 300.0
IDLE_POLL_SECONDS = 0.2
BUSY_POLL_SECONDS = 0.02


def retry_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter: between half and all of min(1 s x 2^(attempt-1), 5 min)."""
    ceiling = min(FIRST_RETRY_SECONDS * 2 ** (attempt - 1), MAX_RETRY_SECONDS)
    return ceiling * (0.5 + rng.random() / 2)


@dataclass(frozen=True)
class _Destination:
    name: str  # what deliveries record: "rule <account>/<rule>/<target id>" or "webhook <id>"
    target: str  # ARN or URL
    body: str


def webhook_headers(secret: str, event_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """Standard Webhooks' headers: the message id (the event's, so a redelivery keeps it), the timestamp, and
    the signature of `id.timestamp.body` with the endpoint's secret."""
    return {"webhook-id": event_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(event_id, now, body)}


class DeliveryWorker:
    def __init__(self, store: Store, settings, wall=utc_now, rng: random.Random | None = None):
        self.store, self.settings, self.wall = store, settings, wall
        self.rng = rng or random.Random()
        self.sqs = targets.SqsSender(settings.sqs_endpoint_url)
        self.http = targets.HttpSender()
        self._patterns: dict[str, EventPattern | None] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one round -------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Dispatches what was published and delivers what is due; how many events and deliveries it handled."""
        return self.dispatch() + self.deliver_due()

    def dispatch(self, limit: int = 200) -> int:
        with self.store.write() as tx:
            pending = tx.events.undispatched(limit)
            if not pending:
                return 0
            webhooks = tx.event_sinks.webhooks()
            rules_of: dict[str, list[tuple[str, EventPattern, list[dict]]]] = {}
            now = self.wall()
            for seq, account, event, copy_of in pending:
                if account not in rules_of:
                    rules_of[account] = [(name, pattern, tx.event_rules.targets(account, name))
                                         for name, text in tx.event_rules.enabled(account)
                                         if (pattern := self._pattern(text)) is not None]
                for destination in self._destinations(event, account, rules_of[account], webhooks):
                    tx.deliveries.add(seq, event["id"], destination.name, destination.target, destination.body, now, now)
                if (self.settings.event_duplicates and copy_of is None
                        and event["detail-type"] == catalogue.OPPORTUNITY_UPDATED):
                    tx.events.append({**event, "id": str(uuid.uuid4())}, event["detail"].get("catalog", ""),
                                     dt.datetime.fromisoformat(event["time"].replace("Z", "+00:00")), copy_of=seq)
                tx.events.mark_dispatched(seq)
        return len(pending)

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
                found.append(_Destination(f"webhook {webhook['id']}", webhook["url"], json.dumps(event)))
        return found

    def deliver_due(self, limit: int = 50) -> int:
        now = self.wall()
        with self.store.read() as tx:
            due = tx.deliveries.due(now, limit)
            if not due:
                return 0
            secrets = {f"webhook {webhook['id']}": webhook["secret"] for webhook in tx.event_sinks.webhooks()}
            handlers = {delivery["target"]: tx.event_sinks.lambda_handler(delivery["target"]) for delivery in due
                        if targets.target_kind(delivery["target"]) == targets.LAMBDA}
        results = []
        for delivery in due:
            started = time.monotonic()
            outcome = self._send(delivery, secrets, handlers)
            results.append((delivery, outcome, int((time.monotonic() - started) * 1000)))
        with self.store.write() as tx:
            for delivery, outcome, duration_ms in results:
                self._record(tx, delivery, outcome, duration_ms)
        return len(due)

    def _send(self, delivery: dict, secrets: dict[str, str], handlers: dict[str, str | None]) -> targets.Outcome:
        target, body = delivery["target"], delivery["body"]
        if delivery["destination"].startswith("webhook "):
            secret = secrets.get(delivery["destination"])
            if secret is None:
                return targets.Outcome(False, None, "the webhook was removed")
            return self.http.post(target, body, webhook_headers(secret, delivery["event_id"], body, self.wall()))
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

    def _record(self, tx, delivery: dict, outcome: targets.Outcome, duration_ms: int) -> None:
        attempt = delivery["attempts"] + 1
        now = self.wall()
        if outcome.delivered:
            status, next_attempt = DELIVERED, now
        elif attempt >= self.settings.event_attempts:
            status, next_attempt = FAILED, now
        else:
            status, next_attempt = PENDING, now + dt.timedelta(seconds=retry_delay(attempt, self.rng))
        if not tx.deliveries.record(delivery["id"], attempt, "delivered" if outcome.delivered else "error", status,
                                    outcome.status_code, outcome.error, now, duration_ms, next_attempt):
            return  # another worker recorded it
        if status == FAILED:
            log.warning("delivery %s of event %s to %s failed after %d attempts: %s", delivery["id"],
                        delivery["event_id"], delivery["target"], attempt, outcome.error)
        if outcome.delivered and self.settings.event_duplicates and not delivery["redelivery"]:
            # AWS redelivers now and then (same id): once each, so tests see it.
            tx.deliveries.add(delivery["event_seq"], delivery["event_id"], delivery["destination"], delivery["target"],
                              delivery["body"], now, now, redelivery=True)

    # --- running ---------------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, parent_pid: int | None = None) -> None:
        """Rounds until `stop` is set (or the parent process is gone), sleeping a little when idle."""
        stop = stop or self._stopping
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.info("the server is gone: the delivery worker stops")
                return
            try:
                handled = self.run_once()
            except Exception:
                log.exception("the delivery round failed; trying again")
                handled = 0
            stop.wait(BUSY_POLL_SECONDS if handled else IDLE_POLL_SECONDS)
        self.http.close()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="cosell-delivery", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
