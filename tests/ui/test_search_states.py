"""The search page's empty states, error messages and word suggestions."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SLOW = 90_000  # the first query loads the word space in the web process


@pytest.fixture
def searcher(page, sign_up):
    sign_up("frank")
    return page


def test_search_page_without_a_query_explains_the_three_ways(searcher, live_server):
    searcher.goto(f"{live_server.url}/search/")
    expect(searcher.get_by_role("heading", name="Search your photos")).to_be_visible()
    expect(searcher.locator("#search-empty")).to_contain_text("A kind of thing")


def test_unknown_word_is_named_in_the_error(searcher, shoot):
    searcher.get_by_label("Search your photos by words").fill("xyzzyqq")
    searcher.keyboard.press("Enter")
    expect(searcher.get_by_role("alert")).to_contain_text("xyzzyqq", timeout=SLOW)
    shoot("results-unknown-word")


def test_word_search_in_an_empty_gallery_says_so(searcher):
    searcher.get_by_label("Search your photos by words").fill("ocean")
    searcher.keyboard.press("Enter")
    expect(searcher.get_by_role("heading", name="No matches")).to_be_visible(timeout=SLOW)


def test_typing_a_word_suggests_its_neighbours(searcher):
    searcher.get_by_label("Search your photos by words").press_sequentially("beach ocean", delay=30)
    options = searcher.locator("#word-suggestions option")
    expect(options.first).to_be_attached(timeout=SLOW)
    assert all(value.startswith("beach ") for value in (o.get_attribute("value") for o in options.all()))


def test_class_picker_autocompletes_and_rejects_unknown_classes(searcher, live_server):
    searcher.goto(f"{live_server.url}/search/")
    searcher.get_by_text("Refine").click()  # the kind of thing is behind "Refine": results come first
    picker = searcher.get_by_role("combobox", name="Kind of thing")
    picker.fill("siam")
    expect(searcher.get_by_role("option", name="Siamese cat")).to_be_visible()
    picker.fill("no such thing at all")
    expect(searcher.get_by_role("option", name="No class matches")).to_be_visible()
    picker.press("Enter")
    expect(searcher.get_by_role("alert")).to_be_visible(timeout=SLOW)
