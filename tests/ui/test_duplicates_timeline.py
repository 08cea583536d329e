"""The timeline (month headings, jump to a year) and the duplicates page (keep-best to the trash with Undo,
choosing the copy), in Chromium."""

import re

import pytest
from playwright.sync_api import expect

from bench.duplicates import near_copies, real_photo
from gallery.models import Photo
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def dated_copies(transactional_db):
    """Chelsea and two near-copies taken in 2021, coffee in 2023 and rocket in 2019, processed in-process."""
    from search.pipeline import photos_process

    owner = UserFactory(username="dup", password=PASSWORD)
    cat = real_photo("chelsea")
    copies = near_copies(cat)
    files = {
        "chelsea": images.with_exif(image=cat, taken="2021:06:01 12:00:00"),
        "chelsea-small": copies["resized"],
        "chelsea-grey": copies["grey"],
        "coffee": images.with_exif("coffee", taken="2023:03:01 08:00:00"),
        "rocket": images.with_exif("rocket", taken="2019:05:05 05:05:05"),
    }
    photos = {name: PhotoFactory(owner=owner, name=f"{name}.jpg", content=data) for name, data in files.items()}
    photos_process(photo_ids=[p.id for p in photos.values()])
    return photos


def test_timeline_and_duplicates_page(page, live_server, log_in, dated_copies, shoot, axe):
    log_in("dup")
    grid = page.get_by_role("list", name="Photos, newest taken first")
    heads = grid.get_by_role("heading", level=2)
    current = heads.first.inner_text()  # the two copies have no EXIF date: they are dated by their upload
    expect(heads).to_have_count(4)
    assert [h.evaluate("h => h.querySelector('.month-long').textContent") for h in heads.all()] == [
        current,
        "March 2023",
        "June 2021",
        "May 2019",
    ]
    scrubber = page.get_by_role("navigation", name="Jump to year")
    scrubber.get_by_role("link", name="2019").click()
    expect(page).to_have_url(re.compile(r"#y2019$"))
    expect(page.locator("#y2019")).to_be_in_viewport()
    axe()
    shoot("gallery-timeline")

    page.get_by_role("link", name="Duplicates").click()
    group = page.get_by_role("region", name=re.compile(r"^3 copies of chelsea.jpg · best: "))
    expect(group).to_be_visible()
    expect(group.get_by_role("list", name="Copies, best first").get_by_role("listitem")).to_have_count(3)
    expect(group.get_by_role("listitem").first).to_contain_text("Best")
    expect(group.get_by_role("radio", name="Keep chelsea.jpg this one")).to_be_checked()
    axe()
    shoot("duplicates")

    # Keep-best sends the other copies to the trash, and Undo brings them back.
    group.get_by_role("button", name="Keep the chosen copy, trash 2").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 2 copies to the trash")
    expect(page.get_by_role("heading", name="No near-duplicates")).to_be_visible()
    assert Photo.objects.filter(owner__username="dup").count() == 5  # nothing deleted for good
    visible = set(Photo.objects.filter(owner__username="dup", trashed_at=None).values_list("original_name", flat=True))
    assert visible == {"chelsea.jpg", "coffee.jpg", "rocket.jpg"}  # the largest copy of the cat stayed
    axe()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("Restored 2 photos")
    expect(group).to_be_visible()
    assert not Photo.objects.filter(owner__username="dup", trashed_at__isnull=False).exists()

    # Choosing another copy keeps that one instead.
    group.get_by_role("radio", name="Keep chelsea-small.jpg this one").check()
    group.get_by_role("button", name="Keep the chosen copy, trash 2").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 2 copies to the trash")
    visible = set(Photo.objects.filter(owner__username="dup", trashed_at=None).values_list("original_name", flat=True))
    assert visible == {"chelsea-small.jpg", "coffee.jpg", "rocket.jpg"}
