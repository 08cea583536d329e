"""A selection searches "more like these" (and refines it with "less like these") and is trashed in one go."""

import re

import pytest
from playwright.sync_api import expect

from gallery.models import Photo
from tests.factories import UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser

SLOW = 90_000  # the first query loads the model in the web process


def test_more_like_these_then_less_like_these_then_trash(page, log_in, ready_photos, shoot, axe):
    owner = UserFactory(username="like", password=PASSWORD)
    photos = {p.original_name: p for p in ready_photos(owner, ["chelsea", "coffee", "rocket", "astronaut"])}
    log_in("like")
    cards = page.locator("#photo-grid .card")
    bar = page.get_by_role("region", name="Selected photos")
    for name in ("chelsea.jpg", "coffee.jpg"):
        card = cards.filter(has=page.get_by_role("checkbox", name=f"Select {name}"))
        card.hover()
        card.get_by_role("checkbox").click()
    expect(bar).to_contain_text("2 selected")
    expect(bar.get_by_role("button", name="Less like these")).to_be_hidden()  # nothing to refine yet
    bar.get_by_role("button", name="More like these").click()

    like = f"{photos['chelsea.jpg'].id},{photos['coffee.jpg'].id}"
    expect(page).to_have_url(re.compile(rf"/search/\?like={like}$".replace(",", "%2C")))
    results = page.locator("#results .card")
    expect(results).to_have_count(2, timeout=SLOW)  # the examples themselves are left out
    # A cat and a cup have nothing else in common here: the other two photos show, labelled weak.
    status = page.locator("#results-status")
    expect(status).to_contain_text("No photo is a sure match for photos like these 2")
    expect(results.locator(".score")).to_have_text(["Weak match"] * 2)
    axe()
    shoot("more-like-these")

    rocket = results.filter(has=page.get_by_role("checkbox", name="Select rocket.jpg"))
    rocket.hover()
    rocket.get_by_role("checkbox").click()
    bar.get_by_role("button", name="Less like these").click()
    expect(page).to_have_url(re.compile(rf"unlike={photos['rocket.jpg'].id}$"))
    expect(results).to_have_count(1, timeout=SLOW)
    expect(results.first).to_contain_text("astronaut.jpg")
    expect(page.locator("#results-status")).to_contain_text("unlike 1")

    astronaut = results.first
    astronaut.hover()
    astronaut.get_by_role("checkbox").click()
    bar.get_by_role("button", name="Move to trash").click()  # deleting a selection is undoable
    expect(bar.get_by_role("status")).to_contain_text("Moved 1 photo to the trash")
    axe()
    expect(results).to_have_count(0)
    assert Photo.objects.get(id=photos["astronaut.jpg"].id).trashed_at is not None
    assert Photo.objects.filter(owner=owner, trashed_at__isnull=True).count() == 3
