"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
from pathlib import Path

import pytest

from tests import images

# Playwright's sync API keeps an event loop running in this thread; the tests' own ORM calls are still
# plain synchronous code, so Django's async-safety guard would only get in the way.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a long enough passphrase 42"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """The system Chromium, never a downloaded one."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 860}}


# Reports every Content-Security-Policy violation of every page (and frame) to Python. Playwright injects it
# through the browser's devtools protocol, so the policy it watches does not block it.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation({directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
                         line: e.lineNumber, sample: e.sample, page: document.location.href});
});
"""


def watch_csp(context, violations: list) -> None:
    """Collect the CSP violations of a browser context: securitypolicyviolation events and console reports."""
    context.expose_function("__cspViolation", lambda violation: violations.append(violation))
    context.add_init_script(_CSP_LISTENER)
    context.on(
        "console",
        lambda message: (
            violations.append({"console": message.text}) if "Content Security Policy" in message.text else None
        ),
    )


@pytest.fixture
def csp_violations():
    """The CSP violations seen in this test's browser contexts; any at all fails the test (CSP stays on)."""
    seen = []
    yield seen
    if seen:
        pytest.fail(f"Content-Security-Policy violations: {seen}")


@pytest.fixture
def context(context, csp_violations):
    watch_csp(context, csp_violations)
    return context


@pytest.fixture
def page(page):
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot under test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(name: str, target=None):
        path = ARTIFACTS / f"{name}.png"
        target = target or page
        target.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn mid-page
        target.screenshot(path=path, full_page=True)
        return path

    return save


@pytest.fixture
def photo_files(tmp_path):
    """Real photos written to files, as a user would pick them."""

    def write(name: str, content: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


@pytest.fixture
def sign_up(page, live_server, settings):
    settings.SIGNUP = "open"  # several strangers sign up; tests/accounts/test_signup.py covers the other modes

    def sign_up(username: str):
        page.goto(f"{live_server.url}/accounts/signup/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password confirmation").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/upload/")

    return sign_up


@pytest.fixture
def log_in(page, live_server):
    def log_in(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")

    return log_in


@pytest.fixture
def chelsea_twin(photo_files):
    """Chelsea again, as different bytes: a smaller PNG a user might paste or drop."""
    picture = images.sample("chelsea")
    return photo_files("query.png", images.encode(picture.resize((picture.width // 2, picture.height // 2)), "PNG"))


@pytest.fixture
def axe(page):
    """Run axe-core on the page (or a given one) and fail on any violation, with axe's report."""
    from axe_playwright_python.sync_playwright import Axe

    engine = Axe()

    def check(target=None):
        results = engine.run(target or page)
        assert results.violations_count == 0, results.generate_report()

    return check


@pytest.fixture
def ready_photos(transactional_db):
    """The owner's photos made searchable in this process with the real model (no worker needed)."""
    from search.pipeline import photos_process
    from tests.factories import PhotoFactory

    def make(owner, names: list[str]) -> list:
        photos = [PhotoFactory(owner=owner, name=f"{name}.jpg", content=images.jpeg(name)) for name in names]
        photos_process(photo_ids=[photo.id for photo in photos])
        for photo in photos:
            photo.refresh_from_db()
        return photos

    return make
