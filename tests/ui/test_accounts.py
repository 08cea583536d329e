"""Account pages in the browser: sign-up errors and the API token page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sign_up_reports_mismatched_passwords(page, live_server):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill("dave")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
    page.get_by_label("Password confirmation").fill("something else entirely 42")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field-error")).to_contain_text("didn’t match")


def test_token_page_creates_regenerates_and_revokes_the_token(page, live_server, playwright, sign_up, shoot):
    sign_up("erin")
    page.get_by_label("Account menu for erin").click()
    page.get_by_role("link", name="API token").click()
    expect(page.locator("#token-status")).to_have_text("You have no API token.")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("Your API token")
    first = token.input_value()
    assert len(first) == 40
    shoot("token")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Regenerate token").click()
    expect(page.locator(".message")).to_contain_text("A new token was issued")
    second = token.input_value()
    assert second not in ("", first)
    script = playwright.request.new_context(base_url=live_server.url)  # no session cookie: a script
    assert script.get("/api/photos/", headers={"Authorization": f"Token {first}"}).status == 401
    assert script.get("/api/photos/", headers={"Authorization": f"Token {second}"}).status == 200
    page.goto(f"{live_server.url}/accounts/token/")
    expect(page.locator("#token-status")).to_contain_text(f"starting {second[:6]}…")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke token").click()
    expect(page.locator(".message")).to_contain_text("was revoked")
    assert script.get("/api/photos/", headers={"Authorization": f"Token {second}"}).status == 401
    script.dispose()
