"""Races against a live server: real threads released together by a barrier, each with its own
HTTP session, as a double click or two tabs would send them.

Every test here runs on a flushed (transactional) database that the server's threads share, on
SQLite and on PostgreSQL alike.
"""

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.test import Client

TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def _committed(transactional_db):
    """Every test here commits for real: requests on other threads must see its rows. (The
    roles the flush between tests drops come back with it: courses.apps.)"""


class Browser:
    """One signed-in user's cookies, from which each thread opens its own HTTP session (a tab)."""

    def __init__(self, base_url: str, user) -> None:
        client = Client()
        client.force_login(user)
        self.base_url = base_url
        self.cookies = {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value
        }
        first = self.tab()
        # Any page with a form sets the CSRF cookie; the sign-in page is the cheapest.
        first.get(self.url("/accounts/login/"), timeout=TIMEOUT_S).raise_for_status()
        self.cookies[settings.CSRF_COOKIE_NAME] = first.cookies[settings.CSRF_COOKIE_NAME]

    def url(self, path: str) -> str:
        return self.base_url + path

    def tab(self) -> requests.Session:
        session = requests.Session()
        session.cookies.update(self.cookies)
        if settings.CSRF_COOKIE_NAME in self.cookies:
            session.headers["X-CSRFToken"] = self.cookies[settings.CSRF_COOKIE_NAME]
        return session

    def get(self, path: str) -> requests.Response:
        return self.tab().get(self.url(path), allow_redirects=False, timeout=TIMEOUT_S)

    def fields(self, path: str) -> dict[str, str]:
        """The page's form fields that carry a value (hidden inputs, radio buttons), by name;
        for a name that appears more than once, the first value."""
        response = self.get(path)
        response.raise_for_status()
        found: dict[str, str] = {}
        for name, value in re.findall(
            r'<input type="\w+" name="([^"]+)" value="([^"]*)"', response.text
        ):
            found.setdefault(name, value)
        return found

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        return self.tab().post(
            self.url(path), data=data, allow_redirects=False, timeout=TIMEOUT_S, **kwargs
        )


@pytest.fixture
def tabs_for(live_server) -> Callable[..., Browser]:
    return lambda user: Browser(live_server.url, user)


def _race(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=TIMEOUT_S)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def race() -> Callable[..., list[requests.Response]]:
    """`race(call, call, ...)` runs each call in a thread of its own, all released at the same
    moment by a barrier, and returns their responses in order."""
    return _race


@pytest.fixture
def server_errors(caplog) -> Callable[[], list[str]]:
    """The errors the server logged (a 500, such as SQLite's "database is locked")."""
    caplog.set_level(logging.ERROR, logger="django")

    def errors() -> list[str]:
        return [
            f"{record.getMessage()} {record.exc_info[1] if record.exc_info else ''}"
            for record in caplog.records
            if record.levelno >= logging.ERROR and record.name.startswith("django")
        ]

    return errors
