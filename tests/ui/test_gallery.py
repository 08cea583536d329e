"""The gallery's live status: a failed photo shows its reason, and a retry turns it ready in place."""

import pytest
from playwright.sync_api import expect

from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.worker
def test_failed_photo_shows_its_reason_and_retry_makes_it_ready(page, celery_worker, log_in, shoot):
    owner = UserFactory(username="ivy", password=PASSWORD)
    photo = PhotoFactory(owner=owner, name="cat.jpg")
    Photo.objects.filter(id=photo.id).update(
        status=Photo.Status.FAILED, error="Processing was interrupted 3 times; giving up.", attempts=3
    )
    log_in("ivy")
    card = page.locator(f'.card[data-photo-id="{photo.id}"]')
    expect(card).to_have_attribute("data-status", "failed")
    expect(card).to_contain_text("Processing was interrupted 3 times")
    shoot("gallery-failed")

    card.get_by_role("button", name="Retry").click()
    expect(page.locator(".message")).to_contain_text("queued again")
    expect(card.locator('[data-role="status"]')).to_have_text("Ready", timeout=180_000)
    expect(card.get_by_role("button", name="Retry")).to_be_hidden()
    expect(card.get_by_role("img", name="cat.jpg")).to_be_visible()


def test_scrolling_down_appends_the_next_page(page, log_in, monkeypatch):
    monkeypatch.setattr("gallery.views.PAGE_SIZE", 2)
    owner = UserFactory(username="jo", password=PASSWORD)
    for name in ("chelsea", "coffee", "rocket"):
        PhotoFactory(owner=owner, name=f"{name}.jpg", content=images.jpeg(name))
    log_in("jo")
    cards = page.locator("#photo-grid .card")
    expect(cards).to_have_count(3)  # the page is short, so the next page is already in view
    expect(page.locator(".pagination")).to_have_count(0)
    assert [card.get_attribute("data-name") for card in cards.all()] == ["rocket.jpg", "coffee.jpg", "chelsea.jpg"]


def test_slash_focuses_the_search_bar(page, log_in):
    UserFactory(username="kim", password=PASSWORD)
    log_in("kim")
    page.keyboard.press("/")
    expect(page.get_by_label("Search your photos by words")).to_be_focused()
