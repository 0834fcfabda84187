"""Reads that may come from a read replica, and only those.

A replica lags behind the primary by up to its replication delay, so only code that can show
data a few seconds old asks for it, by name: the teacher reports, after the view has checked
who may see them.

    with reading_from_replica():
        book = results.gradebook(classroom=classroom, now=now)

`ReplicaRouter` is installed only when DATABASE_REPLICA_URL is set (config/settings); without it
`reading_from_replica()` changes nothing and every query goes to the default database.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Inside this block (or a function decorated with it), reads go to the replica.

    Writes still go to the default database, and so does every read made inside a transaction
    on it: that transaction may have written rows the replica has not seen, nor ever will if it
    rolls back. Only for reads that may be a few seconds old; never for a permission check.
    """
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """Default for everything except reads inside `reading_from_replica()`."""

    def db_for_read(self, model, **hints) -> str:
        if _reading_from_replica.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The two aliases hold the same rows: a classroom read from the replica may be given
        # to an assignment saved on the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        # The replica copies the primary's schema; migrations run on the primary alone.
        return db == DEFAULT_DB_ALIAS
