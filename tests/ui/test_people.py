"""People in the browser: naming a person on the People page, and "Who is this?" from a face box on the photo page,
on a desktop and a phone."""

import pytest
from playwright.sync_api import expect

from people import services
from people.models import Person
from tests.factories import UserFactory
from tests.people.conftest import found, ready_photo  # noqa: F401  (fixtures)
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def two_people(transactional_db, found, ready_photo):  # noqa: F811
    """Grace Hopper and the astronaut, five photos each, their faces grouped into two unnamed persons."""
    owner = UserFactory(username="pat", password=PASSWORD)
    photos = {}
    for name in ("grace", "astronaut"):
        for index, (image, face) in enumerate(found[name]):
            photo = ready_photo(owner, image, name=f"{name}-{index}.jpg")
            services._faces_store(photo=photo, found=[face], version=services.model_version())
            photos.setdefault(name, []).append(photo)
    services.faces_cluster(owner_id=owner.id)
    return owner, photos


def test_naming_a_person_on_the_people_page(page, live_server, log_in, two_people, shoot, axe):
    _, photos = two_people
    log_in("pat")
    page.get_by_role("link", name="People").click()
    unnamed = page.get_by_role("list", name="Unnamed people")
    expect(unnamed.get_by_role("listitem")).to_have_count(2)
    axe()
    grace = Person.objects.get(faces__photo=photos["grace"][0])
    tile = page.locator(f'.person-tile[data-person-id="{grace.id}"]')
    tile.get_by_label("Name this person").fill("Grace Hopper")
    tile.get_by_role("button", name="Save").click()
    named = page.get_by_role("list", name="Named people")
    expect(named.get_by_text("Grace Hopper")).to_be_visible()
    expect(unnamed.get_by_role("listitem")).to_have_count(1)
    shoot("people-page")
    named.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", name="Grace Hopper")).to_be_visible()
    expect(page.locator(".grid .card")).to_have_count(5)


def test_who_is_this_from_a_face_box_on_a_phone(page, live_server, log_in, two_people, shoot):
    _, photos = two_people
    page.set_viewport_size({"width": 390, "height": 844})
    log_in("pat")
    photo = photos["astronaut"][0]
    page.goto(f"{live_server.url}/photos/{photo.id}/")
    box = page.locator(".face-box")
    expect(box).to_have_count(1)
    box.click()
    row = page.locator(f'.face-row[data-face-id="{photo.faces.get().id}"]')
    expect(row).to_have_class("face-row is-active")
    expect(row.get_by_label("Who is this?")).to_be_focused()
    row.get_by_label("Who is this?").fill("Eileen Collins")
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Eileen Collins")).to_be_visible()
    expect(page.locator(".face-label")).to_have_text("Eileen Collins")
    shoot("photo-faces-phone")
    astronaut = Person.objects.get(faces__photo=photo)
    assert astronaut.name == "Eileen Collins" and astronaut.faces.count() == 5  # the whole person was named
    page.goto(f"{live_server.url}/people/")
    # Nothing wider than the phone, the header's extra People link included.
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    expect(page.get_by_role("list", name="Named people").get_by_text("Eileen Collins")).to_be_visible()
