import pytest
from django.core.management import call_command


@pytest.fixture
def demo(bundle):
    """The bundled course and the demo accounts, as `make run` sets them up."""
    call_command("load_content", str(bundle), verbosity=0)
    call_command("seed_demo", "--force", verbosity=0)


@pytest.fixture
def log_in(page, live_server):
    def log_in_as(username: str, password: str = "learn-2026"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        return page

    return log_in_as


@pytest.fixture
def two_people(browser):
    """A teacher's and a student's browser, each with its own cookies."""
    contexts = [browser.new_context(accept_downloads=True), browser.new_context()]
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()
