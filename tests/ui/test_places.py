"""Places in a browser: the viewer says where a photo was taken, and the Places page leads to its photos."""

import pytest
from playwright.sync_api import expect

from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser

LEUVEN = dict(place_city="Leuven", place_region="Flanders", place_country="Belgium", place_country_code="BE")


@pytest.fixture
def travelled(transactional_db):
    owner = UserFactory(username="tess", password=PASSWORD)
    chelsea = PhotoFactory(owner=owner, name="chelsea.jpg", content=images.jpeg("chelsea"))
    coffee = PhotoFactory(owner=owner, name="coffee.jpg", content=images.jpeg("coffee"))  # newest: shown first
    Photo.objects.filter(id=chelsea.id).update(**LEUVEN)
    return {"chelsea": chelsea, "coffee": coffee}


def test_the_viewer_shows_where_the_photo_was_taken(page, live_server, log_in, travelled, axe):
    log_in("tess")
    page.locator("#photo-grid .card-link").first.click()
    viewer = page.get_by_role("dialog", name="coffee.jpg")
    expect(viewer.locator("#viewer-position")).to_have_text("1 of 2")  # no place: only the position
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("dialog", name="chelsea.jpg").locator("#viewer-position")).to_have_text(
        "Leuven, Belgium · 2 of 2"
    )
    axe()


def test_the_places_page_leads_to_the_photos_taken_there(page, live_server, log_in, travelled, axe):
    log_in("tess")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Places").click()
    places = page.get_by_role("list", name="Places")
    expect(places).to_contain_text("Leuven, Belgium")
    expect(places).to_contain_text("1 photo")
    axe()
    places.get_by_role("link", name="Leuven, Belgium").click()
    expect(page.locator("#photo-grid .card")).to_have_count(1)
    expect(page.locator("#photo-grid .card").first).to_have_attribute("data-place", "Leuven, Belgium")
