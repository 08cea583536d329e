"""The main journey in a real browser, with a real worker making the uploads searchable."""

import re

import pytest
from playwright.sync_api import expect

from tests import images
from tests.ui.conftest import watch_csp

pytestmark = pytest.mark.browser

READY_TIMEOUT = 180_000  # the first batch loads the model in the worker
SEARCH_TIMEOUT = 90_000  # the first query loads the model and word space in the web process


def result_names(page) -> list[str]:
    return page.locator("#results .card-name").all_inner_texts()


def wait_for_results(page):
    """Until results are on the page; weak ones are there, folded away, when nothing is close."""
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true", timeout=SEARCH_TIMEOUT)
    expect(page.locator("#results .card").first).to_be_attached()


@pytest.mark.worker
def test_sign_up_upload_search_tag_and_trash(
    page, browser, live_server, celery_worker, sign_up, photo_files, shoot, chelsea_twin, csp_violations
):
    sign_up("alice")
    expect(page.get_by_role("heading", name="Upload photos")).to_be_visible()

    # Upload three real photos at once; each reports its outcome, then its processing, live.
    files = [photo_files(f"{name}.jpg", images.jpeg(name)) for name in ("chelsea", "coffee", "rocket")]
    page.locator("#id_files").set_input_files(files)
    items = page.locator(".upload-item")
    expect(items).to_have_count(3)
    expect(page.locator('.upload-item[data-outcome="stored"]')).to_have_count(3)
    expect(page.locator('.upload-item[data-status="ready"]')).to_have_count(3, timeout=READY_TIMEOUT)
    expect(page.locator(".batch-head")).to_contain_text("3 stored")
    shoot("upload")

    # The same photo again is reported as a duplicate, not stored twice.
    page.locator("#id_files").set_input_files(files[0])
    expect(page.locator('.upload-item[data-outcome="duplicate"]')).to_have_count(1)

    page.get_by_role("link", name="Photos", exact=True).click()
    cards = page.locator("#photo-grid .card")
    expect(cards).to_have_count(3)
    expect(page.locator('#photo-grid .card[data-status="ready"]')).to_have_count(3)
    for img in page.locator("#photo-grid img").all():
        expect(img).to_have_attribute("alt", re.compile(r"\.jpg$"))
    shoot("gallery")

    # Word search: "cat" ranks the cat first, as a strong match.
    page.get_by_label("Search your photos by words").fill("cat")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=cat")
    wait_for_results(page)
    assert result_names(page)[0] == "chelsea.jpg"
    expect(page.locator("#results .score").first).to_have_text("Strong match")
    shoot("results")

    # Search by picture: a different file of the same cat finds the stored one first.
    page.locator("#search-image").set_input_files(chelsea_twin)
    page.wait_for_url("**/search/?image=1*")
    expect(page.locator("#query-image")).to_be_visible()
    wait_for_results(page)
    assert result_names(page)[0] == "chelsea.jpg"
    shoot("results-image")

    # A class picked with the autocomplete (by keyboard) refines the image search; without the image
    # it is a plain class search.
    page.get_by_text("Refine").click()  # the kind of thing waits behind "Refine": results come first
    picker = page.get_by_role("combobox", name="Kind of thing")
    picker.fill("tabby")
    expect(page.get_by_role("option", name="tabby cat")).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    page.wait_for_url(re.compile(r"image=1&class=tabby"))
    expect(page.locator("#results-status")).to_contain_text("· class “tabby cat”", timeout=SEARCH_TIMEOUT)
    assert result_names(page)[0] == "chelsea.jpg"
    page.get_by_role("button", name="Stop searching by this image").click()
    page.wait_for_url(re.compile(r"/search/\?class=tabby"))
    status = page.locator("#results-status")
    expect(status).to_contain_text("Best matches for class “tabby cat”", timeout=SEARCH_TIMEOUT)
    assert result_names(page)[0] == "chelsea.jpg"
    shoot("results-class")

    # The photo page: accept an automatic tag; it becomes one of the photo's own tags.
    page.locator("#results .card-link").first.click()  # the viewer; Details in its info panel leads to the photo page
    page.get_by_role("dialog", name="chelsea.jpg").get_by_role("button", name="Info").click()
    page.get_by_role("dialog", name="chelsea.jpg").get_by_role("link", name="Details").click()
    expect(page.get_by_role("heading", name="chelsea.jpg")).to_be_visible()
    suggestion = page.locator(".suggestion").first
    tag = suggestion.locator(".suggestion-name").inner_text()
    suggestion.get_by_role("button", name=f"Accept tag {tag}").click()
    expect(page.get_by_role("list", name="Your tags")).to_contain_text(tag)
    expect(page.locator("#similar-list")).to_be_attached()
    show_more(page)  # only strong and possible matches show at first
    expect(page.locator("#similar .card").first).to_be_visible()
    shoot("photo")

    # "More like this", then delete a photo after confirming.
    page.locator(".photo-actions").get_by_role("link", name="More like this").click()
    wait_for_results(page)
    assert "chelsea.jpg" not in result_names(page)
    expect(page.get_by_role("img", name="Query photo: chelsea.jpg")).to_be_visible()
    expect(page.get_by_role("heading", name="No close matches")).to_be_visible()  # a cat among a cup and a page
    expect(page.locator("#results .card:not([hidden])")).to_have_count(2)  # the nearest still show, labelled weak
    shoot("results-more-like-this")
    page.get_by_role("link", name="coffee.jpg").first.click()
    page.get_by_role("dialog", name="coffee.jpg").get_by_role("button", name="Info").click()
    page.get_by_role("dialog", name="coffee.jpg").get_by_role("link", name="Details").click()
    page.get_by_role("link", name="Move to trash…").click()
    dialog = page.get_by_role("dialog", name="Move this photo to the trash?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Move to trash").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".message")).to_contain_text("Moved “coffee.jpg” to the trash")
    expect(cards).to_have_count(2)

    # The same pages on a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state())
    watch_csp(phone, csp_violations)
    small = phone.new_page()
    small.goto(f"{live_server.url}/")
    expect(small.locator("#photo-grid .card")).to_have_count(2)
    shoot("gallery-phone", small)
    small.get_by_role("link", name="chelsea.jpg").click()
    small.get_by_role("dialog", name="chelsea.jpg").get_by_role("button", name="Info").click()
    small.get_by_role("dialog", name="chelsea.jpg").get_by_role("link", name="Details").click()
    expect(small.get_by_role("heading", name="chelsea.jpg")).to_be_visible()
    expect(small.locator("#similar-list")).to_be_attached()
    show_more(small)
    similar = small.locator("#similar img").first
    similar.scroll_into_view_if_needed()  # lazy images load only near the viewport
    small.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=similar.element_handle())
    shoot("photo-phone", small)
    phone.close()


def show_more(page):
    more = page.locator("#similar").get_by_role("button", name=re.compile("more, less alike"))
    if more.count():
        more.click()
