"""URLs for many rows at the cost of one `reverse()`.

A `reverse()` costs about 50 µs here, more than the rest of a table row or of the review card's
links: pages that link every row, and the review card on every request, reverse each pattern once
(per process) and fill in the last argument.
"""

import functools
from collections.abc import Callable

from django.urls import get_script_prefix, reverse

_MARKER = str(10**17 + 1)  # an id no table reaches, and a valid slug


def url_for_each(name: str, *args: int | str) -> Callable[[int | str], str]:
    """A function giving `reverse(name, args=[*args, last])` for one more, last, argument: an id,
    or a slug as the pattern's converter admits it (no quoting needed)."""
    head, tail = _parts(name, args, get_script_prefix())
    return lambda last: f"{head}{last}{tail}"


@functools.lru_cache(maxsize=256)
def _parts(name: str, args: tuple, prefix: str) -> tuple[str, str]:
    head, tail = reverse(name, args=[*args, _MARKER]).split(_MARKER)
    return head, tail
