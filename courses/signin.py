"""One-time sign-in codes for the accounts a teacher creates from a roster.

A roster of 30 or 1,000 students must not cost one slow password hash per student (PBKDF2 takes
about a second here). New accounts get an unusable password and a sign-in code that is an HMAC,
checked the way Django checks its password-reset tokens: nothing is stored, and the code dies as
soon as it is used, because it is computed from the account's password field and last login,
both of which signing in changes. The slow hash happens once, when the student chooses their
own password at first sign-in.
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "courses.signin.code"
VALID_DAYS = 14  # a teacher hands codes out in the next lessons, not always the same day
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread
_LENGTH = 12  # 31^12 ≈ 2^59: guessing is hopeless, and failures are throttled like passwords


def _day(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=at.tzinfo)).days


def _code_for(user, day: int) -> str:
    last_login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
    digest = salted_hmac(
        SALT, f"{user.pk}|{user.password}|{last_login}|{day}", algorithm="sha256"
    ).digest()
    number = int.from_bytes(digest[:16])
    chars = []
    for _ in range(_LENGTH):
        number, index = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[index])
    code = "".join(chars)
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def sign_in_code(user, *, now: datetime | None = None) -> str:
    """The code that signs `user` in once, valid for VALID_DAYS from `now`."""
    return _code_for(user, _day(now or timezone.now()))


def normalise(code: str) -> str:
    text = "".join(ch for ch in code.upper() if ch.isalnum())[:_LENGTH]
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def sign_in_code_is_valid(user, code: str, *, now: datetime | None = None) -> bool:
    """Whether `code` is one of the codes issued for `user` in the last VALID_DAYS days.

    Only for accounts that have never chosen a password (an unusable password).
    """
    if user.has_usable_password() or not code:
        return False
    wanted = normalise(code)
    today = _day(now or timezone.now())
    found = False
    for day in range(today - VALID_DAYS + 1, today + 1):
        # No early exit: the time taken says nothing about which day matched.
        found |= constant_time_compare(_code_for(user, day), wanted)
    return found


class SignInCodeBackend(ModelBackend):
    """`authenticate(request, username=..., sign_in_code=...)`.

    Going through `authenticate` means failures are counted and throttled like wrong passwords.
    """

    def authenticate(self, request, username=None, sign_in_code=None, **kwargs):
        if username is None or sign_in_code is None:
            return None
        user = (
            get_user_model()
            .objects.filter(username__iexact=username.strip(), is_active=True)
            .first()
        )
        if user is None or not sign_in_code_is_valid(user, sign_in_code):
            return None
        return user if self.user_can_authenticate(user) else None


def valid_until(now: datetime | None = None) -> datetime:
    """When a code issued at `now` stops working: the start of the day, UTC, after its last
    valid day (sign_in_code_is_valid accepts codes of the last VALID_DAYS days)."""
    now = now or timezone.now()
    return datetime(1970, 1, 1, tzinfo=now.tzinfo) + timedelta(days=_day(now) + VALID_DAYS)
