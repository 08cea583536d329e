"""Tagging on the photo page without a reload, with keyboard focus kept on the next suggestion."""

import pytest
from playwright.sync_api import expect

from gallery import services
from gallery.models import PhotoTag
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_accept_reject_and_add_without_reload_keep_focus(page, live_server, log_in, shoot, axe):
    owner = UserFactory(username="tig", password=PASSWORD)
    photo = PhotoFactory(owner=owner, name="chelsea.jpg")
    services.tags_suggest(suggestions={photo: [("tabby cat", 0.6), ("egyptian cat", 0.2), ("lynx", 0.1)]})
    log_in("tig")
    page.goto(f"{live_server.url}/photos/{photo.id}/")
    page.evaluate("window.notReloaded = true")
    suggestions = page.get_by_role("list", name="Suggested tags")

    suggestions.get_by_role("button", name="Accept tag tabby cat").click()
    # Eager Celery retrains the projection inside this first request (a worker does it in production).
    expect(page.get_by_role("list", name="Your tags")).to_contain_text("tabby cat", timeout=120_000)
    next_accept = suggestions.get_by_role("button", name="Accept tag egyptian cat")
    expect(next_accept).to_be_focused()  # the next suggestion, ready for the next decision
    page.keyboard.press("Enter")  # accept it by keyboard
    expect(page.get_by_role("list", name="Your tags")).to_contain_text("egyptian cat")
    expect(suggestions.get_by_role("button", name="Accept tag lynx")).to_be_focused()
    page.keyboard.press("Tab")  # to "Reject tag lynx"
    expect(suggestions.get_by_role("button", name="Reject tag lynx")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("list", name="Suggested tags")).to_have_count(0)
    expect(page.get_by_label("New tag")).to_be_focused()  # nothing left to decide: on to adding one

    page.keyboard.type("sofa")
    page.keyboard.press("Enter")
    expect(page.get_by_role("list", name="Your tags")).to_contain_text("sofa")
    expect(page.get_by_label("New tag")).to_be_focused()
    page.keyboard.type("!!")
    page.keyboard.press("Enter")
    expect(page.locator("#tags-status")).to_contain_text("Tags are 1–63 letters")
    assert page.evaluate("window.notReloaded") is True
    states = dict(PhotoTag.objects.filter(photo=photo).values_list("tag__name", "state"))
    assert states == {"tabby cat": "accepted", "egyptian cat": "accepted", "lynx": "rejected", "sofa": "accepted"}
    axe()
    shoot("photo-tagging")
