"""Search results explain themselves: one search box that offers kinds of thing, "Did you mean", a relevance
cutoff with plain match labels, and paging past the first page."""

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from search.pipeline import photos_process
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser

SLOW = 90_000  # the first query loads the word space and the model in the web process
SAMPLES = ["chelsea", "coffee", "rocket", "astronaut"]


@pytest.fixture
def searcher(page, log_in, ready_photos):
    ready_photos(UserFactory(username="grace", password=PASSWORD), SAMPLES)
    log_in("grace")
    return page


def search(page, words: str):
    page.get_by_label("Search your photos by words").fill(words)
    page.keyboard.press("Enter")
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true", timeout=SLOW)


def test_a_word_that_names_a_kind_of_thing_offers_it_and_the_two_narrow_each_other(searcher, shoot, axe):
    search(searcher, "cat")
    expect(searcher.locator("#results-status")).to_contain_text("Best matches for “cat”", timeout=SLOW)
    first = searcher.locator("#results .card").first
    expect(first).to_contain_text("chelsea.jpg")
    expect(first.locator(".score")).to_have_text("Strong match")
    offers = searcher.locator("#class-offers")
    expect(offers).to_contain_text("Narrow to a kind of thing")
    searcher.get_by_text("Refine").click()  # the offers wait behind "Refine": results come first
    offers.get_by_role("link", name="tabby cat").click()
    expect(searcher).to_have_url(re.compile(r"q=cat&class=tabby\+cat"))
    expect(searcher.locator("#results-status")).to_contain_text("“cat” · class “tabby cat”", timeout=SLOW)
    expect(offers).to_contain_text("Narrowed to “tabby cat”")
    expect(searcher.locator("#results .card").first).to_contain_text("chelsea.jpg")
    axe()
    shoot("results-class-offered")
    offers.get_by_role("link", name="Any kind").click()
    expect(searcher).to_have_url(re.compile(r"\?q=cat$"))


def test_a_typo_shows_the_results_for_the_word_meant(searcher, shoot, axe):
    search(searcher, "coffe")
    expect(searcher.locator("#spelling")).to_contain_text("Showing results for coffee.", timeout=SLOW)
    expect(searcher.locator("#results .card").first).to_contain_text("coffee.jpg")
    expect(searcher.get_by_role("alert")).to_have_count(0)
    axe()
    shoot("results-typo")
    searcher.get_by_role("link", name="Search instead for coffe").click()
    expect(searcher).to_have_url(re.compile(r"\?q=coffe&exact=1$"))


def test_nothing_close_says_so_shows_the_four_nearest_and_folds_the_rest(searcher, ready_photos, shoot, axe):
    ready_photos(User.objects.get(username="grace"), ["camera"])  # five photos: one more than the nearest shown
    search(searcher, "giraffe")
    expect(searcher.get_by_role("heading", name="No close matches")).to_be_visible(timeout=SLOW)
    expect(searcher.locator("#results-status")).to_contain_text("The nearest are shown, labelled weak")
    cards = searcher.locator("#results .card")
    expect(cards).to_have_count(5)
    shown = searcher.locator("#results .card:not([hidden])")
    expect(shown).to_have_count(4)
    expect(shown.locator(".score")).to_have_text(["Weak match"] * 4)
    axe()
    shoot("results-no-close-matches")
    toggle = searcher.get_by_role("button", name="Show 1 more, less alike")
    toggle.click()
    expect(shown).to_have_count(5)
    expect(cards.last.locator(".score")).to_have_text("Weak match")
    expect(toggle).to_be_hidden()


def test_show_more_results_pages_past_the_first_page(page, log_in, shoot):
    owner = UserFactory(username="many", password=PASSWORD)
    photos = [
        PhotoFactory(owner=owner, name=f"cat-{i}.jpg", content=content)
        for i, content in enumerate(images.variants("chelsea", 26))
    ]
    photos_process(photo_ids=[photo.id for photo in photos])
    log_in("many")
    search(page, "cat")
    cards = page.locator("#results .card")
    expect(cards).to_have_count(24, timeout=SLOW)
    page.get_by_role("button", name="Show more results").click()
    expect(cards).to_have_count(26, timeout=SLOW)
    expect(page.get_by_role("button", name="Show more results")).to_be_hidden()
    shoot("results-more")


def test_a_word_in_the_kind_picker_lists_the_kinds_it_names(searcher, live_server, axe):
    searcher.goto(f"{live_server.url}/search/")
    searcher.get_by_text("Refine").click()  # the kind of thing waits behind "Refine": results come first
    picker = searcher.get_by_role("combobox", name="Kind of thing")
    picker.fill("cat")
    picker.press("Escape")
    searcher.get_by_role("button", name="Apply").click()
    alert = searcher.get_by_role("alert")
    expect(alert).to_contain_text("“cat” names several kinds of thing", timeout=SLOW)
    axe()
    alert.get_by_role("link", name="tabby cat").click()
    expect(searcher.locator("#results .card").first).to_contain_text("chelsea.jpg", timeout=SLOW)


def test_words_typed_on_a_more_like_this_page_keep_its_photo(searcher):
    # Caption-free cards: "More like this" is on the photo page (through the viewer's Details).
    searcher.locator('#photo-grid .card[data-name="astronaut.jpg"] .card-link').click()
    viewer = searcher.get_by_role("dialog", name="astronaut.jpg")
    viewer.get_by_role("button", name="Info").click()
    viewer.get_by_role("link", name="Details").click()
    searcher.locator(".photo-actions").get_by_role("link", name="More like this").click()
    expect(searcher.get_by_role("img", name="Query photo: astronaut.jpg")).to_be_visible()
    # The page's own search has answered (its script holds the photo) before words are typed: on a loaded machine
    # an Enter pressed earlier submits the bare form.
    expect(searcher.locator("#results")).not_to_have_attribute("aria-busy", "true", timeout=SLOW)
    search(searcher, "space")
    expect(searcher).to_have_url(re.compile(r"\?q=space&photo=\d+$"))
    expect(searcher.get_by_role("img", name="Query photo: astronaut.jpg")).to_be_visible()
    expect(searcher.locator("#results-status")).to_contain_text("photos like this one · “space”", timeout=SLOW)
    expect(searcher.locator("#results .card").first).to_contain_text("rocket.jpg")
