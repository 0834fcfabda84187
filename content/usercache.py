"""Per-user values derived from rows that change rarely, kept in the shared cache.

The study pages need, on every request, what the student studies (their assigned lessons, their
time zone, their course's limits) and which questions their unfinished quizzes ask. Those change a
few times a term, so they are derived once and kept in Django's default cache, which every process
shares (Redis, or a file cache on one machine; see config/settings).

Invalidation is by tokens, not by deleting values: each entry records the global token and the
user's token current when its rows were read, and is valid only while both are still current.
A write changes a token (`forget_user`, `forget_all`) both at once and again when its transaction
commits, so a reader that read the rows before the commit cannot store a value that passes for
fresh afterwards. The tokens and the entry are read in one cache round trip.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

PREFIX = "usercache:v4"  # changed with the format of what it keeps
GLOBAL_TOKEN = f"{PREFIX}:all"
# A safety net only: every write that matters changes a token.
TIMEOUT = 60 * 60


def _user_token(user_id: int) -> str:
    return f"{PREFIX}:user:{user_id}"


def _entry(user_id: int, name: str) -> str:
    return f"{PREFIX}:entry:{name}:{user_id}"


def _new_token(key: str) -> None:
    try:
        cache.set(key, uuid.uuid4().hex, timeout=None)
    except Exception:
        # Not kept: entries stay what they were. Log it loudly, it means stale study pages
        # until the cache's entries expire (TIMEOUT).
        logger.error("usercache: could not change %s", key, exc_info=True)


def get_or_build(
    user_id: int, build: Callable[[], tuple[Any, float | None]], *, now: float, name: str = "main"
) -> Any:
    """The user's entry `name` if it is still valid at `now` (a POSIX timestamp), else
    `build()`'s. A user may have several entries (say, a small one for a hot path and a fuller
    one for a page): the same tokens invalidate them all.

    `build` returns the value and the moment (a POSIX timestamp) until which it holds, or None
    for as long as no row changes (an assignment that opens tomorrow changes the value tomorrow).
    """
    keys = [GLOBAL_TOKEN, _user_token(user_id)]
    try:
        found = cache.get_many([*keys, _entry(user_id, name)])
        if any(found.get(key) is None for key in keys):
            # A token never set, or evicted: make one before building, so that no entry is
            # ever stored under a missing token (an entry stored under None would pass for
            # fresh again if a later token were evicted in turn).
            for key in keys:
                if found.get(key) is None:
                    cache.add(key, uuid.uuid4().hex, timeout=None)
            found = {**found, **cache.get_many(keys)}
    except Exception:
        # The cache is down: the database has everything it had, at the price of the queries.
        logger.warning("usercache: the cache failed; reading from the database", exc_info=True)
        return build()[0]
    tokens = (found.get(GLOBAL_TOKEN), found.get(_user_token(user_id)))
    entry = found.get(_entry(user_id, name))
    if entry is not None and None not in tokens:
        entry_tokens, valid_until, value = entry
        if entry_tokens == tokens and (valid_until is None or now < valid_until):
            return value
    value, valid_until = build()
    try:
        cache.set(_entry(user_id, name), (tokens, valid_until, value), timeout=TIMEOUT)
    except Exception:
        logger.warning("usercache: the cache failed; the entry is not kept", exc_info=True)
    return value


def forget_user(user_id: int) -> None:
    """Invalidate one user's entry, now and when the current transaction commits."""
    _new_token(_user_token(user_id))
    transaction.on_commit(lambda: _new_token(_user_token(user_id)))


def forget_all(**kwargs) -> None:
    """Invalidate every user's entry, now and when the current transaction commits.

    Takes and ignores keyword arguments, so that it can be connected to model signals.
    """
    _new_token(GLOBAL_TOKEN)
    transaction.on_commit(lambda: _new_token(GLOBAL_TOKEN))
