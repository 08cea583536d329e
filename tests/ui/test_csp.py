"""The Content-Security-Policy in a real browser: the pages run under it, and the watcher really sees violations."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_csp_watcher_reports_a_blocked_inline_script(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "document.body.dataset.injected = 'ran'";
        document.head.append(script);
    }""")
    expect(page.locator("body")).not_to_have_attribute("data-injected", "ran")
    page.wait_for_function("() => true")  # let the violation event reach Python
    page.wait_for_timeout(200)
    assert any(v.get("directive", "").startswith("script-src") for v in csp_violations), csp_violations
    csp_violations.clear()  # this test's violation was the point


def test_api_docs_render_under_the_policy(page, live_server, sign_up):
    sign_up("docs")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("searchsite API")
    expect(page.locator(".opblock").first).to_be_visible()
