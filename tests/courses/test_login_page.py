"""The sign-in page offers roster students their one-time sign-in code (issue 11)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_links_to_signing_in_with_a_code(client):
    html = client.get(reverse("login")).content.decode()
    link = re.search(rf'<a href="{re.escape(reverse("sign_in_code"))}">([^<]+)</a>', html)
    assert link is not None
    assert "sign-in code" in link.group(1)
    # Visible: not inside a hidden element, and outside the form (no password needed).
    assert "visually-hidden" not in html[html.index("</form>") : link.start()]
    assert html.index("</form>") < link.start()
    assert client.get(reverse("sign_in_code")).status_code == 200
