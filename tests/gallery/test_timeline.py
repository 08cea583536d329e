"""The gallery as a timeline: newest taken first, headed by month, a year scrubber; the photo page shows the place."""

import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from gallery import services
from tests import images

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def stored(owner, name, taken, gps=None):
    return services.photo_create(
        owner=owner, file=ContentFile(images.with_exif(name, taken=taken, gps=gps), name=f"{name}.jpg")
    )


def test_gallery_is_ordered_by_when_taken_with_month_headings(signed_in, user):
    stored(user, "chelsea", "2021:03:05 10:00:00")
    stored(user, "coffee", "2023:07:14 10:00:00")
    stored(user, "rocket", "2023:07:01 10:00:00")
    page = signed_in.get(reverse("gallery:home")).content.decode()
    names = ("July 2023", "coffee.jpg (no preview", "rocket.jpg (no preview", "March 2021", "chelsea.jpg (no preview")
    order = [page.index(name) for name in names]
    assert order == sorted(order)
    assert page.count("July 2023</span>") == 1


def test_a_month_going_on_from_the_previous_page_gets_no_second_heading(signed_in, user, monkeypatch):
    from gallery import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for day, name in ((14, "coffee"), (9, "rocket"), (1, "chelsea")):
        stored(user, name, f"2023:07:{day:02d} 10:00:00")
    first = signed_in.get(reverse("gallery:home")).content.decode()
    second = signed_in.get(reverse("gallery:home") + "?page=2").content.decode()
    assert first.count("July 2023</span>") == 1
    assert "July 2023</span>" not in second and 'id="y2023"' not in second


def test_year_scrubber_links_to_the_page_and_anchor_of_each_year(signed_in, user, monkeypatch):
    from gallery import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for i, name in enumerate(("chelsea", "coffee", "rocket")):
        stored(user, name, f"202{3 - i}:01:0{i + 1} 10:00:00")  # 2023, 2022, 2021: one a year
    page = signed_in.get(reverse("gallery:home")).content.decode()
    links = dict(re.findall(r'href="\?page=(\d)[^"]*#y(\d{4})"', page)[i][::-1] for i in range(3))
    assert links == {"2023": "1", "2022": "1", "2021": "2"}
    second = signed_in.get(reverse("gallery:home") + "?page=2").content.decode()
    assert 'id="y2021"' in second


def test_photo_page_shows_the_place(signed_in, user):
    photo = stored(user, "chelsea", "2021:03:05 10:00:00", gps=(48.8566, 2.3522))
    page = signed_in.get(reverse("gallery:photo", args=[photo.id])).content.decode()
    assert "48.85660, 2.35220" in page


def with_thumbnail(photo):
    claimed = services.photos_claim(photo_ids=[photo.id], worker="test")
    services.photos_thumbnail(decoded=services.photos_decode(photos=claimed, model_side=224))
    return photo


def test_on_this_day_lists_earlier_years_on_this_date_only(signed_in, user, other_user):
    from django.utils.timezone import localdate

    from gallery import selectors

    today = localdate()
    day = f"{today.month:02d}:{today.day:02d} 12:00:00"
    two_years = with_thumbnail(stored(user, "chelsea", f"{today.year - 2}:{day}"))
    five_years = with_thumbnail(stored(user, "coffee", f"{today.year - 5}:{day}"))
    with_thumbnail(stored(user, "rocket", f"{today.year}:{day}"))  # today itself is not a memory
    with_thumbnail(stored(user, "astronaut", f"{today.year - 1}:{'02:03' if today.month != 2 else '03:04'} 12:00:00"))
    with_thumbnail(stored(other_user, "camera", f"{today.year - 3}:{day}"))  # not mine
    assert selectors.on_this_day(owner=user, day=today) == [two_years, five_years]

    page = signed_in.get(reverse("gallery:home")).content.decode()
    assert "On this day" in page and "2 years ago" in page and "5 years ago" in page
    assert page.index("On this day") < page.index('id="photo-grid"')
    assert "On this day" not in signed_in.get(reverse("gallery:home") + "?favourite=1").content.decode()


def test_no_memories_no_section(signed_in, user):
    stored(user, "chelsea", "2021:03:05 10:00:00")
    assert "On this day" not in signed_in.get(reverse("gallery:home")).content.decode()
