"""Login throttling on top of django-axes: the rules axes's settings alone cannot express.

- Two limits. A username locks after AXES_FAILURE_LIMIT failures (from anywhere); an address
  after LOGIN_FAILURE_LIMIT_PER_ADDRESS (for any username). Axes compares every lockout
  parameter with one limit, and the address limit must be much larger: a whole class signs in
  from one school address and makes typos.
- A successful login forgets the username's failures, not the address's.
- The client's address behind TRUSTED_PROXY_COUNT reverse proxies.
- The lockout page: the site's own page, status 429, saying when to try again.
"""

import ipaddress
from math import ceil

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes's check before the other backends, except for a call without a request.

    Without a request there is no client to throttle and nothing to lock: that is code running
    on the server (the test client's `login()`, a shell), never a login over the web, where
    Django's login view always passes the request.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LoginThrottleHandler(AxesDatabaseHandler):
    def user_login_failed(
        self, sender, credentials: dict, request: HttpRequest | None = None, **kwargs
    ) -> None:
        """Record the failure, with the headers axes stores made safe for every database.

        The client chooses its headers, and PostgreSQL refuses a NUL in text. gunicorn answers
        400 to such a header before the app sees it; another server might pass it on.
        """
        if request is not None:
            for name in ("axes_user_agent", "axes_http_accept", "axes_path_info"):
                setattr(request, name, getattr(request, name).replace("\0", "\ufffd"))
        super().user_login_failed(sender, credentials, request, **kwargs)

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """The failures that count against this login, compared by axes with AXES_FAILURE_LIMIT.

        The username's own failures within the cool-off; or, once the address has reached its
        own larger limit, at least AXES_FAILURE_LIMIT, so that every username there is locked.
        """
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_username = _total(recent.filter(username=username))
        by_address = _total(recent.filter(ip_address=request.axes_ip_address))
        if by_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_username, get_failure_limit(request, credentials))
        return by_username

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """On a successful login, forget the username's failures and keep the address's.

        Forgetting the address's too would let anyone with an account log in between guesses
        at other accounts and never reach the address's limit.
        """
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def _total(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind proxies the address the outermost one saw.

    Each of the TRUSTED_PROXY_COUNT proxies appends the address it received the request from
    to X-Forwarded-For, so the client's is that many entries from the right; entries further
    left come from the client and can say anything. A header that does not fit falls back to
    REMOTE_ADDR (the nearest proxy), which is safe: it throttles more, never less.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < proxies:
        return remote_addr
    try:
        return str(ipaddress.ip_address(forwarded[-proxies].strip()))
    except ValueError:
        return remote_addr


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    cool_off_s = int(get_cool_off(request).total_seconds())
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": ceil(cool_off_s / 60)},
        status=429,
    )
    response["Retry-After"] = str(cool_off_s)
    return response
