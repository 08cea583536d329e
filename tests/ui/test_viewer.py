"""The lightbox viewer: its own URL, keyboard, swipe, zoom, full screen and preloading of the next photo."""

import re

import pytest
from playwright.sync_api import expect

from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def three_photos(transactional_db):
    owner = UserFactory(username="vic", password=PASSWORD)
    # Created oldest first; the gallery shows newest first: rocket, coffee, chelsea.
    return [
        PhotoFactory(owner=owner, name=f"{name}.jpg", content=images.jpeg(name))
        for name in ("chelsea", "coffee", "rocket")
    ]


def image_shown(page):
    page.wait_for_function(
        "() => { const i = document.getElementById('viewer-image'); return i.complete && i.naturalWidth > 0; }"
    )
    return page.locator("#viewer-image").get_attribute("src")


def test_viewer_opens_over_the_gallery_and_moves_with_the_keyboard(page, live_server, log_in, three_photos, shoot, axe):
    _chelsea, coffee, rocket = three_photos
    log_in("vic")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.locator("#photo-grid .card-link").first.click()
    viewer = page.get_by_role("dialog", name="rocket.jpg")
    expect(viewer).to_be_visible()
    expect(page).to_have_url(re.compile(rf"\?view={rocket.id}$"))
    expect(viewer.locator("#viewer-position")).to_have_text("1 of 3")
    assert image_shown(page) == f"/photos/{rocket.id}/original"  # the original, inside the app's page
    assert any(url.endswith(f"/photos/{coffee.id}/original") for url in requested)  # the next one, preloaded
    expect(viewer.get_by_role("button", name="Previous photo")).to_be_hidden()
    axe()
    shoot("viewer")

    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"\?view={coffee.id}$"))
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("dialog", name="chelsea.jpg")).to_be_visible()
    expect(page.get_by_role("button", name="Next photo")).to_be_hidden()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()

    page.reload()  # the URL alone reopens the viewer on the same photo
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    expect(page.locator("#viewer-position")).to_have_text("2 of 3")
    page.keyboard.press("Escape")
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/")


def test_back_closes_the_viewer_and_forward_reopens_it(page, live_server, log_in, three_photos):
    log_in("vic")
    page.locator("#photo-grid .card-link").nth(1).click()
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    page.keyboard.press("ArrowRight")  # moving inside the viewer does not add history entries
    page.go_back()
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/")
    page.go_forward()
    expect(page.get_by_role("dialog", name="chelsea.jpg")).to_be_visible()


def test_swipe_changes_photo_and_zoom_by_double_click_wheel_and_keys(page, log_in, three_photos):
    log_in("vic")
    page.locator("#photo-grid .card-link").first.click()
    expect(page.get_by_role("dialog", name="rocket.jpg")).to_be_visible()
    image_shown(page)
    box = page.locator("#viewer-stage").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.8, y)  # a swipe to the left: the next photo
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=5)
    page.mouse.up()
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    image_shown(page)

    zoom = page.get_by_role("button", name="Zoom")
    page.locator("#viewer-stage").dblclick()
    expect(zoom).to_have_attribute("aria-pressed", "true")
    assert "scale(2.5)" in page.locator("#viewer-image").evaluate("i => i.style.transform")
    # Zoomed, a drag pans the photo instead of changing it.
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=5)
    page.mouse.up()
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    page.keyboard.press("0")
    expect(zoom).to_have_attribute("aria-pressed", "false")
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.wheel(0, -300)
    expect(zoom).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="Full screen").click()
    page.wait_for_function("() => document.fullscreenElement === document.documentElement")
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    page.keyboard.press("Escape")  # leaves full screen first, then closes
    page.wait_for_function("() => !document.fullscreenElement")


def test_photo_page_shows_the_original_in_the_viewer(page, live_server, log_in, three_photos):
    chelsea = three_photos[0]
    log_in("vic")
    page.goto(f"{live_server.url}/photos/{chelsea.id}/")
    page.get_by_role("link", name="View chelsea.jpg larger").click()
    expect(page.get_by_role("dialog", name="chelsea.jpg")).to_be_visible()
    assert image_shown(page) == f"/photos/{chelsea.id}/original"
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#viewer")).to_be_hidden()
    expect(page).to_have_url(f"{live_server.url}/photos/{chelsea.id}/")
