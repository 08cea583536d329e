"""Albums end to end, favourites, and the trash (restore, undo, empty), each page checked with axe-core."""

import re

import pytest
from playwright.sync_api import expect

from gallery.models import Album, Photo
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def owner(transactional_db):
    user = UserFactory(username="ada", password=PASSWORD)
    # Oldest first; the gallery shows newest first: astronaut, rocket, coffee, chelsea.
    for name in ("chelsea", "coffee", "rocket", "astronaut"):
        PhotoFactory(owner=user, name=f"{name}.jpg", content=images.jpeg(name))
    return user


def card(page, name):
    return page.locator(f'.card[data-name="{name}"]')


def select(page, *names):
    for name in names:
        card(page, name).hover()
        card(page, name).get_by_role("checkbox").check()


def test_albums_end_to_end(page, live_server, log_in, owner, shoot, axe):
    log_in("ada")
    select(page, "rocket.jpg", "astronaut.jpg")
    bar = page.get_by_role("region", name="Selected photos")
    bar.get_by_label("Album", exact=True).select_option("new")
    bar.get_by_label("New album name").fill("Space")
    bar.get_by_role("button", name="Add to album").click()
    expect(bar.get_by_role("status")).to_contain_text("Added 2 photos to “Space”")
    select(page, "coffee.jpg")  # a third one, to the album that now exists
    bar.get_by_label("Album", exact=True).select_option(label="Space")
    bar.get_by_role("button", name="Add to album").click()
    expect(bar.get_by_role("status")).to_contain_text("Added 3 photos to “Space”")  # already-in ones count once

    page.get_by_role("link", name="Albums").click()
    expect(page.get_by_role("heading", name="Albums")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"Space\s+3 photos"))).to_be_visible()
    axe()
    shoot("albums")
    page.get_by_role("link", name=re.compile("Space")).click()
    grid = page.get_by_role("list", name="Photos in Space")
    expect(grid.locator(".card")).to_have_count(3)

    # The album page has the viewer over its photos.
    grid.locator(".card-link").first.click()
    expect(page.locator("#viewer-position")).to_have_text("1 of 3")
    page.keyboard.press("Escape")

    select(page, "coffee.jpg")
    bar.get_by_role("button", name="Set as cover").click()
    expect(bar.get_by_role("status")).to_contain_text("cover")
    album = Album.objects.get(owner=owner)
    assert album.cover.original_name == "coffee.jpg"
    select(page, "rocket.jpg")
    bar.get_by_role("button", name="Clear").click()
    select(page, "rocket.jpg")
    bar.get_by_role("button", name="Remove from album").click()
    expect(grid.locator(".card")).to_have_count(2)
    axe()
    shoot("album")

    page.get_by_label("Album name", exact=True).fill("Space trip")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", name="Space trip")).to_be_visible()
    page.reload()
    expect(grid.locator(".card")).to_have_count(2)  # the removal was saved
    page.get_by_role("button", name="Delete album").click()
    expect(page.locator(".message")).to_contain_text("its photos are still in your gallery")
    assert Photo.objects.filter(owner=owner).count() == 4


def test_favourites_heart_on_cards_in_the_viewer_and_filter(page, live_server, log_in, owner, shoot, axe):
    log_in("ada")
    heart = card(page, "coffee.jpg").get_by_role("button", name="Favourite coffee.jpg")
    card(page, "coffee.jpg").hover()
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    assert page.url == f"{live_server.url}/"  # no reload
    # In the viewer: the heart shows the same, and marks another photo.
    card(page, "rocket.jpg").locator(".card-link").click()
    viewer_heart = page.get_by_role("dialog").get_by_role("button", name="Favourite")
    expect(viewer_heart).to_have_attribute("aria-pressed", "false")
    viewer_heart.click()
    expect(viewer_heart).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("dialog", name="coffee.jpg")).to_be_visible()
    expect(viewer_heart).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Escape")
    expect(card(page, "rocket.jpg").get_by_role("button", name="Favourite rocket.jpg")).to_have_attribute(
        "aria-pressed", "true"
    )

    page.get_by_role("link", name="Favourites").click()
    expect(page.locator("#photo-grid .card")).to_have_count(2)
    assert {c.get_attribute("data-name") for c in page.locator("#photo-grid .card").all()} == {
        "coffee.jpg",
        "rocket.jpg",
    }
    axe()
    shoot("favourites")


def test_trash_undo_restore_and_empty(page, live_server, log_in, owner, shoot, axe):
    log_in("ada")
    select(page, "coffee.jpg", "chelsea.jpg")
    bar = page.get_by_role("region", name="Selected photos")
    bar.get_by_role("button", name="Move to trash").click()
    expect(page.locator("#photo-grid .card")).to_have_count(2)
    expect(bar.get_by_role("status")).to_contain_text("Moved 2 photos to the trash")
    bar.get_by_role("button", name="Undo").click()
    expect(page.locator("#photo-grid .card")).to_have_count(4)

    select(page, "coffee.jpg", "chelsea.jpg", "rocket.jpg")
    bar.get_by_role("button", name="Move to trash").click()
    expect(page.locator("#photo-grid .card")).to_have_count(1)
    page.get_by_label("Account menu for ada").click()
    page.get_by_role("link", name="Trash").click()
    trash = page.get_by_role("list", name="Photos in the trash")
    expect(trash.locator(".card")).to_have_count(3)
    expect(trash).to_contain_text("Deleted for good on")
    axe()
    shoot("trash")

    select(page, "coffee.jpg")
    bar.get_by_role("button", name="Restore").click()
    expect(trash.locator(".card")).to_have_count(2)
    select(page, "rocket.jpg")
    bar.get_by_role("button", name="Delete forever").click()
    confirm = page.get_by_role("dialog", name="Are you sure?")
    expect(confirm).to_contain_text("Delete 1 photo for good?")
    axe()
    confirm.get_by_role("button", name="Delete forever").click()
    expect(trash.locator(".card")).to_have_count(1)
    page.get_by_role("button", name="Empty trash").click()
    confirm.get_by_role("button", name="Empty trash").click()
    expect(page.get_by_role("heading", name="The trash is empty")).to_be_visible()
    assert set(Photo.objects.filter(owner=owner).values_list("original_name", flat=True)) == {
        "astronaut.jpg",
        "coffee.jpg",
    }
    page.goto(f"{live_server.url}/")
    expect(page.locator("#photo-grid .card")).to_have_count(2)
