"""The text read from a photo, on its page and in the viewer, with "Copy text"."""

import pytest
from playwright.sync_api import expect

from ocr import services
from tests.factories import PhotoFactory, UserFactory
from tests.ocr.conftest import ready
from tests.ocr.images import text_jpeg
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_photo_page_and_viewer_show_the_text_and_copy_it(page, context, live_server, log_in, shoot):
    owner = UserFactory(username="tess", password=PASSWORD)
    photo = ready(
        PhotoFactory(owner=owner, name="sign.jpg", content=text_jpeg(["harbour", "segmentation"], background="rocket"))
    )
    services.photo_text_read(photo_id=photo.id)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in("tess")

    page.goto(f"{live_server.url}/photos/{photo.id}/")
    panel = page.locator("#text-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("pre")).to_contain_text("segmentation")
    panel.get_by_role("button", name="Copy text").click()
    expect(panel.get_by_role("status")).to_have_text("Copied.")
    assert "segmentation" in page.evaluate("navigator.clipboard.readText()").lower()
    shoot("photo-text")

    page.locator(".photo-stage .card-link").click()
    in_viewer = page.locator("#viewer-text")
    expect(in_viewer).to_be_visible()
    expect(in_viewer.locator("pre")).to_contain_text("harbour")
    expect(in_viewer.get_by_role("button", name="Copy text")).to_be_visible()


def test_a_search_result_highlights_the_words_it_matched(page, live_server, log_in, shoot):
    owner = UserFactory(username="hal", password=PASSWORD)
    content = text_jpeg(["harbour", "segmentation"], background="rocket")
    photo = ready(PhotoFactory(owner=owner, name="sign.jpg", content=content))
    services.photo_text_read(photo_id=photo.id)
    log_in("hal")
    page.goto(f"{live_server.url}/search/?q=segmentation&view={photo.id}")
    mark = page.locator(".text-match[data-word]")
    expect(mark).to_have_count(1)
    expect(mark).to_have_attribute("data-word", "segmentation")
    box = mark.bounding_box()
    image = page.locator("#viewer-image").bounding_box()
    assert box["width"] > 3 * box["height"] > 0  # a long word, boxed
    assert image["x"] <= box["x"] and box["x"] + box["width"] <= image["x"] + image["width"] + 1
    shoot("search-text-highlight")
