"""Join codes as students type them or follow them in a link, and how guessing is kept hard.

A code is 8 characters of a 32-letter alphabet: 2^40 codes, of which a school has a few hundred
open. Until join links, a code was looked up only by a signed-in user's POST to /join/, without
limit; a join link (GET /join/<code>/) also names the class before anyone joins it, which would
let a guesser read class names without joining. So every lookup, by link or by form, counts the
user's wrong codes: after FAILURE_LIMIT of them in FAILURE_WINDOW_S, the user's lookups are
refused, right codes included, until the window has passed. Accounts are made by teachers and
roster imports, not by anyone who signs up, so a limit per account binds a guesser: at 10 codes
a quarter of an hour, finding one open class among 300 takes about 10,000 years.

The counts live in the shared cache (Redis, or files on one machine). A cache that fails lets
lookups through, logged: the limit is a brake on guessing, not a lock a broken cache should
turn against every student joining a class.
"""

import logging
import re

from django.core.cache import cache

from courses.models import Classroom

logger = logging.getLogger(__name__)

FAILURE_LIMIT = 10
FAILURE_WINDOW_S = 15 * 60
_CODE = re.compile(r"\A[A-Z0-9]{1,12}\Z")  # a join code's column holds at most 12 characters


class TooManyGuesses(Exception):
    """The user has typed FAILURE_LIMIT wrong codes within FAILURE_WINDOW_S."""


def normalise(code: str) -> str | None:
    """The code as stored (upper case, without the spaces and dashes people type), or None
    for text that cannot be a code."""
    text = code.strip().upper().replace(" ", "").replace("-", "")
    return text if _CODE.match(text) else None


def _key(user_id: int) -> str:
    return f"join-code-failures:{user_id}"


def _failures(user_id: int) -> int:
    try:
        return cache.get(_key(user_id), 0)
    except Exception:
        logger.error("join codes: could not read the failure count", exc_info=True)
        return 0


def _failure_record(user_id: int) -> None:
    key = _key(user_id)
    try:
        # The window starts at the first failure: `add` sets the expiry only if the key is new.
        cache.add(key, 0, timeout=FAILURE_WINDOW_S)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=FAILURE_WINDOW_S)
    except Exception:
        logger.error("join codes: could not count a failure", exc_info=True)


def open_class_for(*, code: str, user_id: int) -> Classroom | None:
    """The open (not archived) class whose join code `code` is, looked up for the user who
    typed it or followed its link; None, counted against the user, if there is none.

    Raises TooManyGuesses, without looking the code up, once the user has had FAILURE_LIMIT
    wrong codes within FAILURE_WINDOW_S.
    """
    if _failures(user_id) >= FAILURE_LIMIT:
        raise TooManyGuesses
    normal = normalise(code)
    classroom = None
    if normal is not None:
        classroom = Classroom.objects.filter(join_code=normal, archived_at__isnull=True).first()
    if classroom is None:
        _failure_record(user_id)
    return classroom
