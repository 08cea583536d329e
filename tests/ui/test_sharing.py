"""Sharing in a real browser: the owner makes a link, a fresh browser (also a phone) opens it without an
account, the owner revokes it; the owner invites an account and the member sees the album, read-only."""

import re

import pytest
from playwright.sync_api import expect

from gallery import services
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.gallery.sharing_fixtures import with_thumbnail
from tests.ui.conftest import PASSWORD, watch_csp

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def holiday(transactional_db):
    """Ada's album "Holiday" of three photos (with previews), and one more photo of hers outside it."""
    owner = UserFactory(username="ada", password=PASSWORD)
    inside = [
        with_thumbnail(PhotoFactory(owner=owner, name=f"{name}.jpg", content=images.jpeg(name)))
        for name in ("chelsea", "coffee", "rocket")
    ]
    with_thumbnail(PhotoFactory(owner=owner, name="private.jpg", content=images.jpeg("astronaut")))
    album = services.album_create(owner=owner, name="Holiday <b>2026</b>", photo_ids=[p.id for p in inside])
    return album


def images_loaded(page) -> bool:
    return page.evaluate(
        "() => [...document.querySelectorAll('#shared-grid img')].every((img) => img.complete && img.naturalWidth > 0)"
    )


def test_link_made_opened_on_a_phone_and_revoked(page, browser, live_server, log_in, holiday, csp_violations, shoot):
    log_in("ada")
    page.goto(f"{live_server.url}/albums/{holiday.id}/")
    panel = page.locator("#share-panel")
    panel.get_by_label("Label (for your list)").fill("For grandma")
    panel.get_by_role("button", name="Create link").click()
    url = page.locator("#new-link-url").inner_text()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[A-Za-z0-9_-]{{43}}/", url)
    shoot("sharing-owner-link")

    for name, options in (("desktop", {}), ("phone", PHONE)):
        visitor = browser.new_context(**options)  # a fresh browser: no cookie, no account
        watch_csp(visitor, csp_violations)
        tab = visitor.new_page()
        response = tab.goto(url)
        assert response.status == 200
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in response.headers["x-robots-tag"]
        expect(tab.get_by_role("heading", name="Holiday <b>2026</b>")).to_be_visible()  # escaped, shown as text
        expect(tab.locator("#shared-grid .card")).to_have_count(3)
        expect(tab.get_by_text("private.jpg")).to_have_count(0)
        tab.wait_for_function("() => [...document.images].every((img) => img.complete)")
        assert images_loaded(tab)
        assert tab.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
        tab.locator("#shared-grid .card-link").first.click()
        expect(tab.locator("#shared-viewer")).to_be_visible()
        expect(tab.locator("#shared-viewer-position")).to_have_text("1 / 3")
        if name == "phone":
            columns = tab.evaluate(
                "() => getComputedStyle(document.getElementById('shared-grid')).gridTemplateColumns.split(' ').length"
            )
            assert columns >= 3
            tab.locator("#shared-viewer [data-viewer=next]").tap()
        else:
            tab.keyboard.press("ArrowRight")
        expect(tab.locator("#shared-viewer-position")).to_have_text("2 / 3")
        shoot(f"sharing-public-{name}", tab)
        visitor.close()

    page.goto(f"{live_server.url}/albums/{holiday.id}/")  # not a reload: that would post the form again
    expect(page.locator(".link-list")).to_contain_text("2 views")
    page.get_by_role("button", name=re.compile("Revoke link")).click()
    expect(page.locator(".link-list")).to_contain_text("Revoked")
    later = browser.new_context()
    assert later.new_page().goto(url).status == 404
    later.close()


def test_member_invited_sees_the_album_read_only(page, browser, live_server, log_in, holiday, csp_violations, shoot):
    UserFactory(username="bob", password=PASSWORD)
    log_in("ada")
    page.goto(f"{live_server.url}/albums/{holiday.id}/")
    panel = page.locator("#share-panel")
    panel.get_by_label("Username").fill("bob")
    panel.get_by_label("Role").select_option("viewer")
    panel.get_by_role("button", name="Invite").click()
    expect(page.locator(".member-list")).to_contain_text("bob")

    member = browser.new_context()
    watch_csp(member, csp_violations)
    tab = member.new_page()
    tab.set_default_timeout(15_000)
    tab.goto(f"{live_server.url}/accounts/login/")
    tab.get_by_label("Username").fill("bob")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(f"{live_server.url}/")
    notice = tab.locator(".shared-notice")
    expect(notice).to_contain_text("ada shared “Holiday <b>2026</b>” with you (viewer)")
    notice.get_by_role("link").click()
    grid = tab.locator("#photo-grid")
    expect(grid.locator(".card")).to_have_count(3)
    expect(tab.get_by_text("private.jpg")).to_have_count(0)
    expect(tab.get_by_role("button", name="Rename")).to_have_count(0)
    expect(tab.get_by_role("button", name="Leave album")).to_be_visible()
    tab.wait_for_function("() => [...document.querySelectorAll('#photo-grid img')].every((img) => img.complete)")
    assert tab.evaluate("() => [...document.querySelectorAll('#photo-grid img')].every((img) => img.naturalWidth > 0)")
    grid.locator(".card-link").first.click()
    expect(tab.locator("#viewer")).to_be_visible()
    tab.wait_for_function("() => document.getElementById('viewer-image').naturalWidth > 0")
    tab.keyboard.press("Escape")
    shoot("sharing-member", tab)

    tab.get_by_role("link", name="Albums", exact=True).click()
    expect(tab.get_by_role("heading", name="Shared with me")).to_be_visible()
    expect(tab.locator(".shared-notice")).to_have_count(0)  # seen once opened

    # The owner removes bob: his next request no longer shows the album.
    page.reload()
    page.get_by_role("button", name="Remove bob").click()
    expect(page.locator(".member-list")).to_have_count(0)
    assert tab.goto(f"{live_server.url}/albums/{holiday.id}/").status == 404
    member.close()


def test_password_link_asks_once_per_browser(browser, live_server, holiday, csp_violations):
    """Ensure the password form posts through Django's CSRF check in a real browser (the page's referrer
    policy keeps the Origin header), a wrong password is said, and the right one opens the grid."""
    _, token = services.link_create(album=holiday, password="open sesame")
    visitor = browser.new_context()
    watch_csp(visitor, csp_violations)
    tab = visitor.new_page()
    tab.set_default_timeout(15_000)
    assert tab.goto(f"{live_server.url}/s/{token}/").status == 401
    tab.get_by_label("Password").fill("wrong")
    tab.get_by_role("button", name="Open album").click()
    expect(tab.get_by_role("alert")).to_contain_text("not the password")
    tab.get_by_label("Password").fill("open sesame")
    tab.get_by_role("button", name="Open album").click()
    expect(tab.locator("#shared-grid .card")).to_have_count(3)
    tab.wait_for_function("() => [...document.querySelectorAll('#shared-grid img')].every((img) => img.complete)")
    assert images_loaded(tab)
    other = browser.new_context()  # another browser has not given the password
    assert other.new_page().goto(f"{live_server.url}/s/{token}/").status == 401
    other.close()
    visitor.close()


def test_member_searches_the_shared_album(page, live_server, log_in, ready_photos, csp_violations):
    """Ensure a member's "Search this album" ranks the album's photos (real model) and only those."""
    owner = UserFactory(username="ada", password=PASSWORD)
    inside = ready_photos(owner, ["coffee", "rocket", "chelsea"])
    ready_photos(owner, ["astronaut"])  # the owner's, outside the album
    album = services.album_create(owner=owner, name="Mixed", photo_ids=[p.id for p in inside])
    UserFactory(username="bob", password=PASSWORD)
    services.member_add(album=album, username="bob", role="viewer")
    log_in("bob")
    page.goto(f"{live_server.url}/albums/{album.id}/")
    form = page.locator("#album-search")
    form.get_by_label("Search this album").fill("cat")
    form.get_by_role("button", name="Search", exact=True).click()
    expect(form.get_by_role("status")).to_contain_text("best match first")
    visible = page.locator("#photo-grid .card:visible .card-name")
    expect(visible.first).to_have_text("chelsea.jpg")
    assert "astronaut.jpg" not in visible.all_inner_texts()
    form.get_by_role("button", name="Clear").click()
    expect(page.locator("#photo-grid .card:visible")).to_have_count(3)
