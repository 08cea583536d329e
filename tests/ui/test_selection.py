"""Selecting photos in the gallery and on search results, tagging them in bulk, and searching by that tag."""

import re

import pytest
from playwright.sync_api import expect

from gallery.models import PhotoTag
from tests.factories import UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser

SLOW = 90_000  # the first query loads the model and word space in the web process


def test_select_with_click_and_shift_click_tag_in_bulk_then_search_by_that_tag(page, log_in, ready_photos, shoot, axe):
    owner = UserFactory(username="sel", password=PASSWORD)
    photos = ready_photos(owner, ["chelsea", "coffee", "rocket", "astronaut"])
    log_in("sel")
    grid = page.locator("#photo-grid")
    cards = grid.locator(".card")
    expect(cards).to_have_count(4)  # newest first: astronaut, rocket, coffee, chelsea
    bar = page.get_by_role("region", name="Selected photos")
    expect(bar).to_be_hidden()

    cards.nth(0).hover()
    cards.nth(0).get_by_role("checkbox").click()
    expect(bar).to_be_visible()
    cards.nth(2).get_by_role("checkbox").click(modifiers=["Shift"])  # a range: the first three
    expect(bar).to_contain_text("3 selected")
    cards.nth(1).locator(".card-link").click()  # while selecting, a click on a photo toggles it
    expect(bar).to_contain_text("2 selected")
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])  # still on the gallery
    cards.nth(1).locator(".card-link").click()
    expect(bar).to_contain_text("3 selected")
    expect(page.locator(".card.selected")).to_have_count(3)
    axe()
    shoot("gallery-selection")

    bar.get_by_label("Tag for the selected photos").fill("Xmasparty")
    bar.get_by_role("button", name="Add tag").click()
    expect(bar.get_by_role("status")).to_contain_text("Tagged “Xmasparty” on 3 photos")
    tagged = set(
        PhotoTag.objects.filter(tag__name="xmasparty", state=PhotoTag.State.ACCEPTED).values_list(
            "photo__original_name", flat=True
        )
    )
    assert tagged == {"astronaut.jpg", "rocket.jpg", "coffee.jpg"}
    assert photos[0].original_name not in tagged

    # A suggestion shared by the selection is accepted for all of it in one click.
    chip = bar.get_by_role("list", name="Tags suggested for the selected photos").get_by_role("button").first
    expect(chip).to_be_visible()
    accepted = chip.get_attribute("data-tag")
    chip.click()
    expect(bar.get_by_role("status")).to_contain_text(f"Accepted “{accepted}”")

    # The tag is a query now, even though no word list knows it.
    page.get_by_label("Search your photos by words").fill("xmasparty")
    page.keyboard.press("Enter")
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true", timeout=SLOW)
    expect(page.locator("#results .card")).to_have_count(3)  # an unknown word finds its tagged photos only
    assert set(page.locator("#results .card-name").all_inner_texts()) == {"astronaut.jpg", "rocket.jpg", "coffee.jpg"}


def test_tag_these_results_tags_every_result_in_one_go(page, log_in, ready_photos, shoot, axe):
    owner = UserFactory(username="res", password=PASSWORD)
    ready_photos(owner, ["chelsea", "coffee"])
    log_in("res")
    page.goto(page.url + "search/?q=cat")
    expect(page.locator("#results .card").first).to_be_visible(timeout=SLOW)
    page.get_by_role("button", name="Show 1 more, less alike").click()  # the coffee, folded below the cat
    page.get_by_role("button", name="Tag these results").click()
    bar = page.get_by_role("region", name="Selected photos")
    expect(bar).to_contain_text("2 selected")
    expect(bar.get_by_label("Tag for the selected photos")).to_be_focused()
    page.keyboard.type("mine")
    page.keyboard.press("Enter")
    expect(bar.get_by_role("status")).to_contain_text("Tagged “mine” on 2 photos")
    axe()
    shoot("results-tag-these")
    bar.get_by_role("link", name=re.compile("Show")).click()
    expect(page.locator("#photo-grid .card")).to_have_count(2)
