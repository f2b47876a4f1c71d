"""Partner accounts and access keys (`cosell accounts create|list|revoke`), kept in the database.

A secret access key is shown once, when it is created; it is stored as issued (SigV4 verification
needs it) in a database file only its owner can read.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string

from cosell.control.solutions import ensure_default_solutions
from cosell.protocol.facts import CATALOGS
from cosell.store import Store
from cosell.store.accounts import AccessKey

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "/+"


def new_access_key_id() -> str:
    """20 characters starting AKIA, like an AWS long-term access key id."""
    return "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def _new_account_id(tx) -> str:
    while True:
        candidate = str(secrets.randbelow(9 * 10**11) + 10**11)  # 12 digits, no leading zero
        if not tx.accounts.exists(candidate):
            return candidate


def create_account(store: Store, name: str, catalogs: tuple[str, ...], read_only: bool,
                   now: dt.datetime, website_url: str | None = None) -> AccessKey:
    """A new account with its first access key; the key (with its secret) is returned once. `name` and
    `website_url` are the company name and website engagement members and invitations show."""
    unknown = [catalog for catalog in catalogs if catalog not in CATALOGS]
    if unknown or not catalogs:
        raise ValueError(f"catalogs must be among {', '.join(CATALOGS)}")
    with store.write() as tx:
        account_id = _new_account_id(tx)
        tx.accounts.insert(account_id, name, now, website_url)
        key = AccessKey(new_access_key_id(), account_id, new_secret_access_key(), catalogs, read_only, False, now)
        tx.accounts.insert_key(key)
        ensure_default_solutions(tx, account_id, now)
    return key


def revoke(store: Store, access_key_id: str) -> bool:
    with store.write() as tx:
        return tx.accounts.revoke_key(access_key_id)


def list_accounts(store: Store) -> list[dict]:
    with store.read() as tx:
        return tx.accounts.list()


def connect(store: Store, account_id: str, partner_id: str, now: dt.datetime) -> None:
    """Connects two partners, who may then invite each other into engagements (DG-mp: partners "must
    first be connected in Partner Central"). Either may be an account never created (the default one)."""
    for value in (account_id, partner_id):
        if not re.fullmatch(r"[0-9]{12}", value):
            raise ValueError(f"an account id is 12 digits, not {value!r}")
    if account_id == partner_id:
        raise ValueError("an account cannot be connected to itself")
    with store.write() as tx:
        tx.accounts.connect(account_id, partner_id, now)
