"""The search page at a phone's size and a desktop's: a typo shows the corrected results with "Search instead",
the page fits the screen, results come first, and nothing shows a raw score. Screenshots to docs/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.ui.conftest import PASSWORD
from tests.ui.test_phone import SCREENSHOTS, SIZES, page_width

pytestmark = pytest.mark.browser

SLOW = 90_000  # the first query loads the word space in the web process


@pytest.fixture(params=SIZES)
def searcher(request, browser, live_server, csp_violations, ready_photos):
    from tests.ui.conftest import watch_csp

    owner = UserFactory(username="sam", password=PASSWORD)
    ready_photos(owner, ["coffee", "chelsea", "rocket", "astronaut"])
    context = browser.new_context(**SIZES[request.param])
    watch_csp(context, csp_violations)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    yield request.param, page
    context.close()


def test_a_typo_shows_the_corrected_results_and_offers_the_words_typed(searcher, live_server, axe):
    size, page = searcher
    page.goto(f"{live_server.url}/search/?q=coffe")
    results = page.get_by_role("list", name="Search results")
    expect(results.locator(".card").first).to_have_attribute("data-photo-id", str(_id("coffee")), timeout=SLOW)
    notice = page.locator("#spelling")
    expect(notice).to_contain_text("Showing results for coffee.")
    expect(page.get_by_role("alert")).to_have_count(0)  # results, not an error
    assert page_width(page) == page.viewport_size["width"]
    # Results come first: the kind-of-thing picker waits behind "Refine".
    expect(page.get_by_role("combobox", name="Kind of thing")).to_be_hidden()
    assert results.bounding_box()["y"] < page.viewport_size["height"] / 2
    assert not re.search(r"\b[01]\.\d\d", page.locator("main").inner_text())  # no raw scores like 0.97
    page.wait_for_function(
        "() => [...document.querySelectorAll('#results .card:not([hidden]) img')].slice(0, 3)"
        ".every(i => i.complete && i.naturalWidth)"
    )
    axe(page)
    page.screenshot(path=SCREENSHOTS / f"search-{size}.png")

    notice.get_by_role("link", name="Search instead for coffe").click()
    expect(page).to_have_url(f"{live_server.url}/search/?q=coffe&exact=1")
    expect(page.locator("#spelling")).to_be_hidden(timeout=SLOW)


def _id(name: str) -> int:
    from gallery.models import Photo

    return Photo.objects.get(original_name=f"{name}.jpg").id


def test_photo_page_shows_close_matches_first_and_lines_up_with_the_header(searcher, live_server, axe):
    size, page = searcher
    page.goto(f"{live_server.url}/photos/{_id('chelsea')}/")
    similar = page.locator("#similar-list")
    expect(similar).to_be_attached(timeout=SLOW)
    cards = similar.locator(".card")
    shown = similar.locator(".card:not([hidden])")
    labels = shown.locator(".score").all_inner_texts()
    assert all(label in ("Strong match", "Possible match") for label in labels)
    hidden = cards.count() - shown.count()
    if hidden:
        page.get_by_role("button", name=f"Show {hidden} more, less alike").click()
        expect(shown).to_have_count(cards.count())
    if size == "desktop":
        brand = page.locator(".header-inner").bounding_box()
        main = page.locator("#main").bounding_box()
        assert abs(brand["x"] - main["x"]) <= 1 and abs(brand["width"] - main["width"]) <= 1
    assert page_width(page) == page.viewport_size["width"]
    axe(page)


def test_similar_photos_show_the_possible_and_strong_ones_and_fold_the_weak_ones(searcher, live_server):
    """A crop of the cat is close to it; the coffee, the rocket and the astronaut are not: one card shows, the
    three weak ones wait behind the button."""
    from gallery.models import Photo
    from search.pipeline import photos_process
    from tests import images
    from tests.factories import PhotoFactory

    _, page = searcher
    owner = Photo.objects.get(original_name="chelsea.jpg").owner
    crop = images.encode(images.sample("chelsea").crop((30, 20, 420, 280)), "JPEG", quality=90)
    copy = PhotoFactory(owner=owner, name="chelsea-crop.jpg", content=crop)
    photos_process(photo_ids=[copy.id])
    page.goto(f"{live_server.url}/photos/{_id('chelsea')}/")
    similar = page.locator("#similar-list")
    shown = similar.locator(".card:not([hidden])")
    expect(shown).to_have_count(1, timeout=SLOW)
    expect(shown).to_have_attribute("data-photo-id", str(copy.id))
    assert shown.get_attribute("data-match") in ("strong", "possible")
    folded = similar.locator(".card[hidden]")
    assert sorted(folded.evaluate_all("cards => cards.map(card => card.dataset.match)")) == ["weak"] * 3
    page.get_by_role("button", name="Show 3 more, less alike").click()
    expect(shown).to_have_count(4)


@pytest.fixture(params=SIZES)
def traveller(request, browser, live_server, csp_violations, transactional_db):
    """Chelsea taken in Paris in 2019 and coffee in 2021 (no place), processed with the real model."""
    from search.pipeline import photos_process
    from tests import images
    from tests.factories import PhotoFactory
    from tests.ui.conftest import watch_csp

    owner = UserFactory(username="tia", password=PASSWORD)
    photos = [
        PhotoFactory(
            owner=owner,
            name="chelsea.jpg",
            content=images.with_exif("chelsea", taken="2019:06:01 12:00:00", gps=(48.8566, 2.3522)),
        ),
        PhotoFactory(owner=owner, name="coffee.jpg", content=images.with_exif("coffee", taken="2021:03:01 08:00:00")),
    ]
    photos_process(photo_ids=[p.id for p in photos])
    context = browser.new_context(**SIZES[request.param])
    watch_csp(context, csp_violations)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("tia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    yield request.param, page
    context.close()


def test_a_year_alone_lists_that_years_photos_with_a_date_chip(traveller, live_server, axe):
    _size, page = traveller
    page.goto(f"{live_server.url}/search/?q=2019")
    results = page.get_by_role("list", name="Search results")
    expect(results.locator(".card").first).to_have_attribute("data-photo-id", str(_id("chelsea")), timeout=SLOW)
    expect(results.locator(".card:not([hidden])")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    chips = page.get_by_role("list", name="Your search, word by word")
    expect(chips.get_by_role("listitem")).to_have_count(1)
    expect(chips.get_by_role("listitem").first).to_contain_text("Date")
    expect(chips.get_by_role("listitem").first).to_contain_text("2019")
    axe(page)


def test_place_and_date_chips_can_be_removed(traveller, live_server):
    _size, page = traveller
    page.goto(f"{live_server.url}/search/?q=cat%20paris%202019")
    chips = page.get_by_role("list", name="Your search, word by word")
    expect(chips.get_by_role("listitem")).to_have_count(3, timeout=SLOW)
    place = chips.get_by_role("listitem").filter(has_text="Place")
    expect(place).to_contain_text("Paris")
    expect(page.get_by_role("list", name="Search results").locator(".card").first).to_have_attribute(
        "data-photo-id", str(_id("chelsea"))
    )
    place.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page).to_have_url(re.compile(r"q=cat\+2019$"))
    expect(chips.get_by_role("listitem")).to_have_count(2, timeout=SLOW)
    chips.get_by_role("listitem").filter(has_text="Date").get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"q=cat$"))
    expect(page.locator("#search-q")).to_have_value("cat")
