"""StoreTransaction: the operations' view of storage inside one transaction, `tx.<repository>`.

Each resource's repository is declared in its own module, beside its tables, with
`@repository("opportunities")`, and is built the first time a transaction asks for it (then kept for
the transaction: on SQLite's writer, for the whole group-commit batch). Adding a family adds its
module; nothing here changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from cosell.store.execution import Database

T = TypeVar("T")

_REPOSITORIES: dict[str, Callable[[StoreTransaction], Any]] = {}


def repository(name: str) -> Callable[[type[T]], type[T]]:
    """Decorator: the class, built with the transaction, is `tx.<name>`."""

    def register(cls: type[T]) -> type[T]:
        if name in _REPOSITORIES:
            raise ValueError(f"two repositories are called {name}")
        _REPOSITORIES[name] = cls
        return cls

    return register


class StoreTransaction:
    """One transaction's repositories, on its database connection. `batch`: the group-commit batch this
    transaction belongs to (SQLite's writer), None elsewhere."""

    def __init__(self, database: Database, batch: Any = None):
        self.db = database
        self.batch = batch

    def __getattr__(self, name: str) -> Any:
        """The repository `name`, built on first use (only called for attributes not yet set)."""
        try:
            build = _REPOSITORIES[name]
        except KeyError:
            raise AttributeError(f"the store has no repository {name!r}") from None
        built = build(self)
        setattr(self, name, built)
        return built
