"""The gallery and viewer at a phone's size (390×844, touch) and a desktop's (1440×900): the page fits the
screen, the first photo is above the fold, the phone viewer closes and swipes, and the grid is one tab stop
that arrow keys move through. Screenshots of both sizes go to docs/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench.duplicates import real_photo
from gallery import services
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.ui.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
SIZES = {"phone": PHONE, "desktop": DESKTOP}

# Real photos at varied shapes and dates, as a camera roll has them: (sample, crop box as fractions, taken).
ROLL = [
    ("astronaut", (0.0, 0.0, 1.0, 1.0), "2024:07:14 10:00:00"),
    ("coffee", (0.0, 0.0, 1.0, 1.0), "2024:07:02 08:10:00"),
    ("rocket", (0.2, 0.0, 0.8, 1.0), "2024:06:21 19:00:00"),
    ("chelsea", (0.0, 0.0, 1.0, 1.0), "2024:06:03 12:00:00"),
    ("hubble_deep_field", (0.0, 0.15, 1.0, 0.85), "2024:05:30 23:10:00"),
    ("camera", (0.1, 0.0, 0.7, 1.0), "2023:12:24 18:00:00"),
    ("retina", (0.0, 0.0, 1.0, 1.0), "2023:12:01 09:00:00"),
    ("immunohistochemistry", (0.0, 0.2, 1.0, 0.8), "2023:09:15 16:00:00"),
    ("coffee", (0.25, 0.0, 0.75, 1.0), "2023:09:02 07:45:00"),
    ("astronaut", (0.15, 0.0, 0.75, 1.0), "2023:08:20 11:30:00"),
    ("chelsea", (0.3, 0.0, 0.8, 1.0), "2022:04:11 14:00:00"),
    ("rocket", (0.0, 0.3, 1.0, 0.7), "2022:04:02 06:00:00"),
    ("camera", (0.0, 0.0, 1.0, 1.0), "2021:10:10 10:10:10"),
    ("hubble_deep_field", (0.3, 0.0, 0.7, 1.0), "2021:10:01 22:00:00"),
    ("retina", (0.1, 0.1, 0.9, 0.6), "2020:02:29 12:00:00"),
    ("chelsea", (0.0, 0.1, 0.6, 1.0), "2019:05:05 05:05:05"),
]


@pytest.fixture
def roll(transactional_db):
    """Sixteen photos with thumbnails and EXIF dates over six years (thumbnails made in-process; no model)."""
    owner = UserFactory(username="pat", password=PASSWORD)
    photos = []
    for n, (name, (left, top, right, bottom), taken) in enumerate(ROLL):
        picture = real_photo(name)
        w, h = picture.size
        picture = picture.crop((round(left * w), round(top * h), round(right * w), round(bottom * h)))
        photos.append(
            PhotoFactory(owner=owner, name=f"{name}-{n}.jpg", content=images.with_exif(image=picture, taken=taken))
        )
    claimed = services.photos_claim(photo_ids=[p.id for p in photos], worker="test")
    services.photos_thumbnail(decoded=services.photos_decode(photos=claimed, model_side=224))
    services.photos_ready(photo_ids=[p.id for p in photos])
    return photos


@pytest.fixture(params=SIZES)
def sized(request, browser, live_server, csp_violations, roll):
    """A page signed in as the roll's owner at one of the two sizes; yields (size name, page)."""
    from tests.ui.conftest import watch_csp

    context = browser.new_context(**SIZES[request.param])
    watch_csp(context, csp_violations)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    yield request.param, page
    context.close()


def page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def thumbnails_loaded(page):
    page.wait_for_function(
        "() => [...document.querySelectorAll('#photo-grid img')].slice(0, 8).every(i => i.complete && i.naturalWidth)"
    )


def test_gallery_fits_the_screen_and_the_first_photo_is_above_the_fold(sized, roll, axe):
    size, page = sized
    viewport = page.viewport_size
    thumbnails_loaded(page)
    assert page_width(page) == viewport["width"]
    first = page.locator("#photo-grid .card-link").first.bounding_box()
    header = page.locator(".site-header").bounding_box()
    assert first["y"] < viewport["height"] / 3  # the first photo starts near the top (was y = 615 of 844)
    assert first["y"] + first["height"] < viewport["height"]  # and is wholly above the fold
    if size == "phone":
        assert header["height"] <= 64  # one slim row
        tabs = page.get_by_role("navigation", name="Tabs")
        expect(tabs).to_be_visible()
        expect(tabs.get_by_role("link")).to_have_text(["Photos", "Search", "Albums", "People"])
        assert tabs.bounding_box()["y"] + tabs.bounding_box()["height"] == viewport["height"]
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    else:
        expect(page.get_by_role("navigation", name="Tabs")).to_be_hidden()
    # Justified rows: photos keep their aspect ratio, and a full row spans the grid's width.
    for card in page.locator("#photo-grid .card").all()[:6]:
        box = card.locator(".card-link").bounding_box()
        w, h = (int(v) for v in card.evaluate("c => [c.dataset.w, c.dataset.h]"))
        assert abs(box["width"] / box["height"] - w / h) < 0.03 * (w / h)
    expect(page.locator("#photo-grid").get_by_role("heading", level=2).first).to_have_accessible_name("July 2024")
    expect(page.locator("#photo-grid .card-name")).to_have_count(0)  # caption-free
    expect(page.get_by_label("Status")).to_have_count(0)
    axe(page)
    page.screenshot(path=SCREENSHOTS / f"gallery-{size}.png")


def test_zoom_changes_the_thumbnail_size(sized, roll):
    size, page = sized
    if size == "phone":
        pytest.skip("the slider is a desktop control; phones pinch")
    first = page.locator("#photo-grid .card-link").first
    before = first.bounding_box()["height"]
    page.get_by_label("Thumbnail size").fill("320")
    assert first.bounding_box()["height"] > before * 1.3
    page.reload()  # remembered on this device
    assert first.bounding_box()["height"] > before * 1.3


def test_date_scrubber_stays_fixed_and_drags_to_a_year(sized, roll):
    _size, page = sized
    scrubber = page.get_by_role("navigation", name="Jump to year")
    expect(scrubber.get_by_role("link")).to_have_text(["2024", "2023", "2022", "2021", "2020", "2019"])
    box = scrubber.bounding_box()
    page.mouse.wheel(0, 600)
    page.wait_for_timeout(200)
    assert scrubber.bounding_box() == box  # fixed on the edge, not scrolled away
    # Drag from the top of the scrubber down to 2021's label: the bubble names the year, the page goes there.
    target = scrubber.get_by_role("link", name="2021").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 4)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, target["y"] + target["height"] / 2, steps=8)
    expect(scrubber.locator(".scrubber-bubble")).to_have_text("2021")
    page.mouse.up()
    expect(page.locator("#y2021")).to_be_in_viewport()


def test_grid_is_one_tab_stop_and_arrow_keys_move(sized, roll):
    _size, page = sized
    links = page.locator("#photo-grid .card-link")
    assert page.locator("#photo-grid [tabindex='0'], #photo-grid a:not([tabindex='-1'])").count() == 1
    links.first.focus()
    page.keyboard.press("ArrowRight")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")  # the nearest photo in the next row
    row_one = links.nth(0).bounding_box()
    focused = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert focused >= row_one["y"] + row_one["height"] - 1
    page.keyboard.press("ArrowUp")
    expect(links.nth(0)).to_be_focused()
    page.keyboard.press("End")
    expect(links.last).to_be_focused()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")  # one stop: Tab leaves the grid
    assert page.evaluate("!document.activeElement.closest('#photo-grid')")
    page.keyboard.press("Shift+Tab")  # and comes back to the photo last focused
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press(" ")  # Space selects it
    expect(page.locator("#selection-count")).to_have_text("1 selected")


def touch_drag(page, start, end, steps=6):
    """A one-finger drag through the browser's touch input (pointerType "touch")."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start[0], "y": start[1]}]})
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_viewer_fits_swipes_and_closes(sized, roll, axe):
    size, page = sized
    viewport = page.viewport_size
    thumbnails_loaded(page)
    page.locator("#photo-grid .card-link").first.click()
    viewer = page.get_by_role("dialog", name="astronaut-0.jpg")
    expect(viewer).to_be_visible()
    close = viewer.get_by_role("button", name="Close")
    box = close.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] / 2  # on screen, on the left
    position = page.locator("#viewer-position")
    expect(position).to_have_text("1 of 16")
    expect(position).to_be_visible()
    assert position.bounding_box()["x"] + position.bounding_box()["width"] <= viewport["width"]
    page.wait_for_function(
        "() => { const i = document.getElementById('viewer-image'); return i.complete && i.naturalWidth; }"
    )
    axe(page)
    page.screenshot(path=SCREENSHOTS / f"viewer-{size}.png")
    if size == "phone":
        expect(viewer.get_by_role("button", name="Next photo")).to_be_hidden()  # no arrows over the photo
        # A swipe that starts where the › arrow was (the right edge) moves to the next photo.
        y = viewport["height"] / 2
        touch_drag(page, (viewport["width"] - 12, y), (60, y))
        expect(page.get_by_role("dialog", name="coffee-1.jpg")).to_be_visible()
        expect(position).to_have_text("2 of 16")
        touch_drag(page, (100, y), (viewport["width"] - 20, y))
        expect(page.get_by_role("dialog", name="astronaut-0.jpg")).to_be_visible()
        touch_drag(page, (200, 300), (210, 560))  # pull down to close
        expect(page.locator("#viewer")).to_be_hidden()
        page.locator("#photo-grid .card-link").first.click()
        expect(viewer).to_be_visible()
    else:
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("dialog", name="coffee-1.jpg")).to_be_visible()
        # The arrows sit beside the photo, not over it.
        stage = page.locator("#viewer-stage").bounding_box()
        nxt = page.get_by_role("button", name="Next photo").bounding_box()
        assert nxt["x"] >= stage["x"] + stage["width"] - 1
    page.locator("#viewer").get_by_role("button", name="Close").click()
    expect(page.locator("#viewer")).to_be_hidden()
    assert page_width(page) == viewport["width"]


def test_viewer_trash_with_delete_and_undo_and_the_info_panel(sized, roll):
    from gallery.models import Photo

    size, page = sized
    first = roll[0]
    page.locator("#photo-grid .card-link").first.click()
    viewer = page.locator("#viewer")
    expect(page.get_by_role("dialog", name="astronaut-0.jpg")).to_be_visible()
    viewer.get_by_role("button", name="Info").click()
    info = page.get_by_role("complementary", name="Photo info")
    expect(info).to_contain_text("Taken")
    expect(info).to_contain_text("2024")
    expect(info).to_contain_text(f"{first.width} × {first.height}")
    expect(info).to_be_in_viewport()
    if size == "desktop":
        page.keyboard.press("Delete")
    else:
        viewer.get_by_role("button", name="Move to trash").click()
    expect(page.get_by_role("dialog", name="coffee-1.jpg")).to_be_visible()  # the next photo shows
    toast = viewer.locator("#viewer-toast")
    expect(toast).to_contain_text("Moved to the trash")
    expect(page.locator(f'#photo-grid .card[data-photo-id="{first.id}"]')).to_have_count(0)
    assert Photo.objects.get(id=first.id).trashed_at is not None  # in the trash, not deleted
    toast.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("dialog", name="astronaut-0.jpg")).to_be_visible()
    assert Photo.objects.get(id=first.id).trashed_at is None
    expect(page.locator("#photo-grid .card").first).to_have_attribute("data-photo-id", str(first.id))


def test_on_this_day_heads_the_gallery(sized, roll, axe):
    from django.utils.timezone import localdate

    _size, page = sized
    today = localdate()
    memory = PhotoFactory(
        owner=roll[0].owner,
        name="memory.jpg",
        content=images.with_exif("coffee", taken=f"{today.year - 3}:{today.month:02d}:{today.day:02d} 09:00:00"),
    )
    claimed = services.photos_claim(photo_ids=[memory.id], worker="test")
    services.photos_thumbnail(decoded=services.photos_decode(photos=claimed, model_side=224))
    page.reload()
    memories = page.get_by_role("region", name="On this day")
    expect(memories).to_be_visible()
    expect(memories.get_by_role("link")).to_have_count(1)
    expect(memories.get_by_role("link")).to_contain_text("3 years ago")
    assert memories.bounding_box()["y"] < page.locator("#photo-grid").bounding_box()["y"]
    assert page_width(page) == page.viewport_size["width"]
    axe(page)
    memories.get_by_role("link").click()
    expect(page.get_by_role("heading", name="memory.jpg")).to_be_visible()


def test_selection_downloads_as_a_zip(sized, roll, tmp_path):
    import zipfile

    _size, page = sized
    links = page.locator("#photo-grid .card-link")
    links.first.focus()
    page.keyboard.press(" ")
    page.keyboard.press("ArrowRight")
    page.keyboard.press(" ")
    expect(page.locator("#selection-count")).to_have_text("2 selected")
    with page.expect_download() as download:
        page.get_by_role("region", name="Selected photos").get_by_role("button", name="Download").click()
    path = tmp_path / "photos.zip"
    download.value.save_as(path)
    assert download.value.suggested_filename == "photos.zip"
    assert sorted(zipfile.ZipFile(path).namelist()) == ["astronaut-0.jpg", "coffee-1.jpg"]


def test_slideshow_moves_on_by_itself_and_stops(sized, roll):
    _size, page = sized
    page.clock.install()
    page.reload()
    page.locator("#photo-grid .card-link").first.click()
    expect(page.get_by_role("dialog", name="astronaut-0.jpg")).to_be_visible()
    page.get_by_role("button", name="Slideshow").click()
    expect(page.get_by_role("button", name="Slideshow")).to_have_attribute("aria-pressed", "true")
    page.clock.run_for(4100)
    expect(page.get_by_role("dialog", name="coffee-1.jpg")).to_be_visible()
    page.clock.run_for(4100)
    expect(page.get_by_role("dialog", name="rocket-2.jpg")).to_be_visible()
    page.keyboard.press("s")  # stops
    page.clock.run_for(9000)
    expect(page.get_by_role("dialog", name="rocket-2.jpg")).to_be_visible()


def test_archive_hides_from_the_timeline_with_undo(sized, roll):
    _size, page = sized
    first = page.locator("#photo-grid .card-link").first
    first.focus()
    page.keyboard.press(" ")
    bar = page.get_by_role("region", name="Selected photos")
    bar.get_by_role("button", name="Archive").click()
    expect(bar).to_contain_text("Archived 1 photo")
    expect(page.locator(f'#photo-grid .card[data-photo-id="{roll[0].id}"]')).to_have_count(0)
    page.get_by_role("link", name="Archived").click()
    expect(page.locator("#photo-grid .card")).to_have_count(1)
    expect(page.locator("#photo-grid .card").first).to_have_attribute("data-photo-id", str(roll[0].id))


def test_signed_in_pages_fit_the_screen_and_pass_axe(sized, roll, live_server, axe):
    """Ensure every signed-in page has no axe violation and no sideways scroll, at both sizes."""
    _size, page = sized
    owner = roll[0].owner
    album = services.album_create(owner=owner, name="Trip", photo_ids=[roll[0].id, roll[1].id])
    services.photos_trash(owner=owner, photo_ids=[roll[-1].id])
    paths = [
        "/",
        "/?archived=1",
        "/?favourite=1",
        "/albums/",
        f"/albums/{album.id}/",
        "/trash/",
        "/upload/",
        "/search/",
        "/duplicates/",
        f"/photos/{roll[0].id}/",
        "/accounts/token/",
    ]
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page_width(page) == page.viewport_size["width"], path
        axe(page)
