"""Login throttling: a username locks after a few failures, an address after many, for a cool-off.

Every test goes through the real login page with django-axes switched on, as in production.
The test client's REMOTE_ADDR is 127.0.0.1 unless a test says otherwise.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, StudentFactory

LOGIN = "/accounts/login/"


def log_in(client: Client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def is_locked_out(response) -> bool:
    return response.status_code == 429 and "Too many failed attempts" in response.text


@pytest.fixture
def limits(settings) -> dict[str, int]:
    """Small, explicit limits so that each test reads on its own and stays short."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 8
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.TRUSTED_PROXY_COUNT = 0
    return {"username": 5, "address": 8}


@pytest.fixture
def ana(db):
    return StudentFactory(username="ana")


@pytest.fixture
def bob(db):
    return StudentFactory(username="bob")


def test_the_default_limits_lock_a_username_sooner_than_an_address(settings):
    """A class behind one school address must survive its typos; one account must not."""
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS == 50
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_username_with_a_clear_page(client, ana, limits):
    for _ in range(limits["username"] - 1):
        response = log_in(client, "ana", "wrong")
        assert response.status_code == 200
        assert 'role="alert"' in response.text

    response = log_in(client, "ana", "wrong")

    assert is_locked_out(response)
    assert "Try again in 15 minutes" in response.text
    assert response["Retry-After"] == "900"
    assert '<html lang="en">' in response.text  # the site's page, not a bare message


@pytest.mark.django_db
def test_the_right_password_is_refused_while_locked_and_accepted_after_the_cool_off(
    client, ana, limits
):
    for _ in range(limits["username"]):
        log_in(client, "ana", "wrong")

    response = log_in(client, "ana", PASSWORD)
    assert is_locked_out(response)
    assert "_auth_user_id" not in client.session
    # Attempts while locked out do not count, so the cool-off is not pushed further away.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 5

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    response = log_in(client, "ana", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.session["_auth_user_id"] == str(ana.pk)


@pytest.mark.django_db
def test_another_username_from_the_same_address_is_not_locked(client, ana, bob, limits):
    for _ in range(limits["username"]):
        log_in(client, "ana", "wrong")
    assert is_locked_out(log_in(client, "ana", PASSWORD))

    assert log_in(client, "bob", "wrong").status_code == 200
    response = log_in(client, "bob", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


@pytest.mark.django_db
def test_a_username_locks_whatever_address_the_guesses_come_from(ana, limits):
    for number in range(limits["username"]):
        log_in(Client(REMOTE_ADDR=f"198.51.100.{number}"), "ana", "wrong")

    assert is_locked_out(log_in(Client(REMOTE_ADDR="203.0.113.50"), "ana", PASSWORD))


@pytest.mark.django_db
def test_many_failures_from_one_address_lock_every_username_there(client, bob, limits):
    """Password spraying: one guess at each of many accounts, never a username's limit."""
    for number in range(limits["address"] - 1):
        assert log_in(client, f"user{number}", "Summer2026!").status_code == 200

    assert is_locked_out(log_in(client, "user-last", "Summer2026!"))
    assert is_locked_out(log_in(client, "bob", PASSWORD))
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert log_in(elsewhere, "bob", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_wrong_sign_in_codes_count_like_wrong_passwords(client, ana, limits):
    sign_in_code = reverse("sign_in_code")
    for _ in range(limits["username"] - 1):
        response = client.post(sign_in_code, {"username": "ana", "code": "ABCD-EFGH-JKMN"})
        assert response.status_code == 422

    response = client.post(sign_in_code, {"username": "ana", "code": "ABCD-EFGH-JKMN"})

    assert is_locked_out(response)
    assert is_locked_out(log_in(client, "ana", PASSWORD))


@pytest.mark.django_db
def test_a_successful_login_resets_the_usernames_failures(client, ana, limits):
    for _ in range(limits["username"] - 1):
        log_in(client, "ana", "wrong")
    assert log_in(client, "ana", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    for _ in range(limits["username"] - 1):
        assert log_in(client, "ana", "wrong").status_code == 200
    assert is_locked_out(log_in(client, "ana", "wrong"))


@pytest.mark.django_db
def test_a_successful_login_does_not_reset_the_addresss_failures(client, bob, limits):
    """Else anyone with an account could log in between guesses and never reach the limit."""
    for number in range(limits["address"] - 1):
        log_in(client, f"user{number}", "Summer2026!")
    assert log_in(client, "bob", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    assert is_locked_out(log_in(client, "user-last", "Summer2026!"))


@pytest.mark.django_db
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(bob, limits, settings):
    """The proxy appends the address it saw; entries to its left come from the client."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for number in range(limits["address"]):
        forged = f"192.0.2.{number}, 203.0.113.5"  # a new forged address each time
        log_in(proxy, f"user{number}", "wrong", HTTP_X_FORWARDED_FOR=forged)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}

    assert is_locked_out(log_in(proxy, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5"))
    response = log_in(proxy, "bob", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert response.status_code == 302


@pytest.mark.django_db
def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(client, limits):
    for number in range(limits["address"] - 1):
        log_in(client, f"user{number}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert is_locked_out(log_in(client, "x", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.200"))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["", "not-an-address", "203.0.113.5:443", " , ,"])
def test_a_malformed_x_forwarded_for_falls_back_to_the_proxy_address(
    bob, limits, settings, forwarded
):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    assert log_in(proxy, "bob", "wrong", HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.2"]


@pytest.mark.django_db
def test_a_nul_in_the_headers_axes_stores_is_recorded_not_a_server_error(client, ana, limits):
    response = log_in(client, "ana", "wrong", HTTP_USER_AGENT="bot\0", HTTP_ACCEPT="text/\0")
    assert response.status_code == 200
    attempt = AccessAttempt.objects.get()
    assert (attempt.user_agent, attempt.http_accept) == ("bot\ufffd", "text/\ufffd")


@pytest.mark.django_db
def test_the_test_clients_login_and_force_login_still_work(client, ana):
    """Axes wants a request to authenticate; the test client's login() has none to give."""
    assert client.login(username="ana", password=PASSWORD)
    client.logout()
    client.force_login(ana)
    assert client.get(reverse("dashboard")).status_code == 200
