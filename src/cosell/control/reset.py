"""A fresh Partner Central, fast (`cosell reset`, POST /_cosell/reset, and the developer kit between tests):
everything goes but the accounts, their keys and connections (unless `accounts`), and the defaults every
start has come back: the Sandbox's test solution of each account, AWS's default engagement groups, the
wall clock, no faults. One account's reset leaves the others' data as it is (store/reset.py says what is
the account's)."""

from __future__ import annotations

import time

from cosell.control.groups import ensure_default_groups
from cosell.control.solutions import ensure_default_solutions
from cosell.timestamps import utc_now


def reset(gateway, *, account_id: str | None = None, accounts: bool = False) -> dict:
    """Resets the gateway's store; what was reset and how long it took."""
    started = time.perf_counter()
    now = utc_now() if account_id is None else gateway.clock.now()
    with gateway.store.write() as tx:
        if account_id is None:
            tx.reset.everything(accounts=accounts)
            ensure_default_groups(tx, now)
            for account in {gateway.settings.account_id, *(listed["AccountId"] for listed in tx.accounts.list())}:
                ensure_default_solutions(tx, account, now)
        else:
            tx.reset.account(account_id)
            ensure_default_solutions(tx, account_id, now)
    if account_id is None:
        gateway.clock.reset()
        gateway.faults.board.mark_stale()
    return {"Reset": "account" if account_id else "everything", "AccountId": account_id,
            "AccountsKept": account_id is not None or not accounts,
            "Milliseconds": round((time.perf_counter() - started) * 1000, 1)}
