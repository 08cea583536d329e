"""A second user sees none of the first user's photos and cannot open their URLs."""

import pytest
from playwright.sync_api import expect

from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_second_user_sees_nothing_of_the_first(page, live_server, sign_up, shoot):
    alice = UserFactory(username="alice", password=PASSWORD)
    photo = PhotoFactory(owner=alice, name="alices-cat.jpg")

    sign_up("bob")
    page.get_by_role("link", name="Photos", exact=True).click()
    expect(page.get_by_role("heading", name="Your gallery is empty")).to_be_visible()
    expect(page.get_by_text("alices-cat.jpg")).to_have_count(0)
    shoot("gallery-empty")

    for path in (
        f"/photos/{photo.id}/",
        f"/photos/{photo.id}/original",
        f"/photos/{photo.id}/delete/",
        f"/search/?photo={photo.id}",
        f"/api/photos/{photo.id}/",
        f"/api/photos/{photo.id}/original",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
    listing = page.request.get(f"{live_server.url}/api/photos/").json()
    assert listing["count"] == 0


def test_log_out_and_back_in(page, live_server, log_in, axe):
    UserFactory(username="carol", password=PASSWORD)
    log_in("carol")
    page.get_by_label("Account menu for carol").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto(f"{live_server.url}/")  # a visitor sees what this is
    expect(page.get_by_role("heading", name="Your photos, found by what is in them.")).to_be_visible()
    expect(page.get_by_role("link", name="Sign up").first).to_be_visible()
    axe()
    log_in("carol")
    expect(page.get_by_role("heading", name="Your gallery is empty")).to_be_visible()
