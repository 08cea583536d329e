"""Files dropped on the page: the upload drop zone and the search bar."""

import base64

import pytest
from playwright.sync_api import expect

from tests import images

pytestmark = pytest.mark.browser

DROP = """([selector, name, type, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type }));
  const target = document.querySelector(selector);
  for (const kind of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(new DragEvent(kind, { dataTransfer: data, bubbles: true, cancelable: true }));
  }
}"""


def drop(page, selector: str, name: str, mime: str, content: bytes):
    page.evaluate(DROP, [selector, name, mime, base64.b64encode(content).decode()])


def test_dropped_file_that_is_not_an_image_is_rejected_with_its_reason(page, sign_up):
    sign_up("gina")
    drop(page, "#dropzone", "notes.jpg", "image/jpeg", b"just some words, not a picture\n" * 10)
    item = page.locator(".upload-item")
    expect(item).to_have_attribute("data-outcome", "rejected")
    expect(item.locator(".reason")).to_contain_text("not an image")
    expect(page.locator(".batch-head")).to_contain_text("0 stored · 1 rejected")


def test_image_dropped_on_the_search_bar_searches_by_that_image(page, sign_up):
    sign_up("hank")
    drop(page, "#searchbar", "cat.png", "image/png", images.encode(images.sample("chelsea"), "PNG"))
    page.wait_for_url("**/search/?image=1")
    expect(page.get_by_role("img", name="Query image: cat.png")).to_be_visible()
    expect(page.get_by_role("heading", name="No matches")).to_be_visible(timeout=90_000)


def test_files_dropped_anywhere_on_the_gallery_are_uploaded(page, sign_up, live_server):
    from gallery.models import Photo

    sign_up("hana")
    page.goto(f"{live_server.url}/")
    drop(page, "main", "cat.jpg", "image/jpeg", images.jpeg("chelsea"))
    # The first upload of a fresh server warms up its validators: allow for it.
    expect(page.locator('#photo-grid .card[data-name="cat.jpg"]')).to_be_visible(timeout=60_000)
    assert Photo.objects.filter(owner__username="hana", original_name="cat.jpg").exists()


def test_upload_page_offers_the_next_steps(page, sign_up):
    sign_up("ines")
    drop(page, "#dropzone", "cup.jpg", "image/jpeg", images.jpeg("coffee"))
    expect(page.get_by_role("link", name="Go to gallery")).to_be_visible()
    expect(page.get_by_role("link", name="Try a search")).to_be_visible()
    expect(page.locator(".page-head")).to_contain_text("HEIC")
