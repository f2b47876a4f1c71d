"""The automatic AWS reviewer (`cosell serve --review auto`): a background thread that moves
Submitted opportunities to In review, and In review ones to the decision of the review rules, each
after the configured delay. Decisions go through operations.review like every other review."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Callable

from cosell.domain import lifecycle
from cosell.domain.review import ReviewRule, decide
from cosell.operations.review import review_opportunity
from cosell.protocol.errors import ServiceError
from cosell.store import Store

log = logging.getLogger("cosell.reviewer")


class AutoReviewer:
    def __init__(self, store: Store, delay: dt.timedelta, rules: tuple[ReviewRule, ...],
                 clock: Callable[[], dt.datetime]):
        self.store, self.delay, self.rules, self.clock = store, delay, rules, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def review_due(self) -> int:
        """Take every decision that is due now; returns how many were taken."""
        now = self.clock()
        with self.store.read() as tx:
            due = tx.opportunities_awaiting_review(now - self.delay)
        taken = 0
        for account_id, catalog, identifier, status in due:
            try:
                if status == lifecycle.SUBMITTED:
                    review_opportunity(self.store, account_id, catalog, identifier, lifecycle.IN_REVIEW, None, None, now)
                else:
                    with self.store.read() as tx:
                        opportunity = tx.get_opportunity(account_id, catalog, identifier)
                    decision = decide(opportunity, self.rules)
                    review_opportunity(self.store, account_id, catalog, identifier, decision.status,
                                       decision.comments, decision.reason, now)
                taken += 1
            except ServiceError as error:  # changed meanwhile (a partner edit, a manual review): next round
                log.info("review of %s skipped: %s", identifier, error.message)
        return taken

    def _run(self) -> None:
        interval = min(max(self.delay.total_seconds() / 4, 0.05), 1.0)
        while not self._stop.wait(interval):
            try:
                self.review_due()
            except Exception:
                log.exception("automatic review failed; retrying")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cosell-reviewer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
