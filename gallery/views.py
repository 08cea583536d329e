"""Gallery pages. They call the same services and selectors as the API. The gallery, photo and upload pages
work without JavaScript (scripts add live status, selection, the viewer and in-place tagging); search results,
the viewer and bulk actions need it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.timezone import localdate, localtime
from django.views.decorators.http import require_http_methods, require_POST

from . import downloads, selectors, services, storage
from .forms import AlbumForm, ShareLinkForm, TagActionForm, UploadForm
from .media import photo_file_response
from .models import Photo

PAGE_SIZE = 48


def home(request):
    if not request.user.is_authenticated:
        return render(request, "landing.html")  # what this is, for a first visit
    filters = {key: request.GET[key][:300] for key in ("tag", "sort", "place") if request.GET.get(key)}
    if filters.get("sort") not in (None, *selectors.SORTS):
        filters.pop("sort")
    if request.GET.get("favourite"):
        filters["favourite"] = True
    if request.GET.get("archived"):
        filters["archived"] = True
    # A timeline by default: newest taken first (EXIF date, else upload time), months headed in a justified grid,
    # with a year scrubber; ?sort=uploaded orders by upload time instead.
    timeline = filters.get("sort") != "uploaded"
    photos = selectors.photo_list(owner=request.user, filters=filters)
    page = Paginator(photos, PAGE_SIZE).get_page(request.GET.get("page"))
    if timeline:
        page.object_list = list(page.object_list)  # evaluated once, so the marks below reach the template
        _mark_months(page.object_list, before=_photo_before(page))
    shared = selectors.album_shared_list(user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    years = selectors.timeline_years(photos=photos, page_size=PAGE_SIZE) if timeline else []
    newer = 0
    for year in years:  # where each year starts, as a fraction of the timeline: the scrubber places it there
        year["at"] = round(newer / page.paginator.count, 4)
        newer += year["count"]
    return render(
        request,
        "gallery/home.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),  # the filters, for the page links
            "tags": selectors.tag_counts(owner=request.user)[:30],
            "timeline": timeline,
            "years": years,
            # Memories head the unfiltered timeline's first page only.
            "memories": _memories(request.user) if timeline and not filters and page.number == 1 else [],
            "albums": _albums_to_add_to(request.user, shared),
            "shared_albums": shared,
            "storage": {"used": selectors.storage_used(owner=request.user), "quota": settings.STORAGE_QUOTA_BYTES},
        },
    )


def _memories(owner) -> list[dict]:
    """On this day: per earlier year, how long ago and its photos."""
    today = localdate()
    years: dict[int, list[Photo]] = {}
    for photo in selectors.on_this_day(owner=owner, day=today):
        years.setdefault(localtime(photo.shot_at).year, []).append(photo)
    return [{"year": year, "ago": today.year - year, "photos": photos} for year, photos in years.items()]


def _photo_before(page) -> Photo | None:
    """The last photo of the previous page: a month that goes on from it gets no second heading."""
    if not page.has_previous():
        return None
    return page.paginator.object_list[page.start_index() - 2]


def _mark_months(photos: list[Photo], *, before: Photo | None) -> None:
    """Mark the first photo of each month (it carries the heading) and of each year (the scrubber's anchor), in
    the time zone the template shows dates in."""
    previous = localtime(before.shot_at) if before else None
    for photo in photos:
        shot = localtime(photo.shot_at)
        photo.month_start = previous is None or (shot.year, shot.month) != (previous.year, previous.month)
        photo.year_start = previous is None or shot.year != previous.year
        previous = shot


@login_required
def places(request):
    """Where the owner's photos were taken, with how many at each place; each links to its photos."""
    return render(request, "gallery/places.html", {"places": selectors.place_counts(owner=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def albums(request):
    """The owner's albums; the form creates one (also without JavaScript)."""
    form = AlbumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            album = services.album_create(owner=request.user, name=form.cleaned_data["name"])
            return redirect("gallery:album", id=album.id)
        except ValidationError as error:
            form.add_error("name", error)
    return render(
        request,
        "gallery/albums.html",
        {
            "albums": selectors.album_list(owner=request.user),
            "shared_albums": selectors.album_shared_list(user=request.user),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def album(request, id: int):
    """An album of yours, or one shared with you (read-only but for a contributor's own photos).

    The owner's forms post here: rename, delete, and sharing (new link, revoke, invite, remove). A member may
    only leave. A new link's address is shown on the answer to its form, once: only its hash is stored."""
    access = selectors.album_access(user=request.user, id=id)
    album = access.album
    new_link_url = None
    if request.method == "POST":
        action = request.POST.get("action", "rename")
        if action == "leave":
            services.member_remove(member=selectors.album_member_get(album=album, user_id=request.user.pk))
            messages.success(request, f"You left the album “{album.name}”.")
            return redirect("gallery:albums")
        if not access.owner:
            raise Http404("No such album.")
        try:
            if action == "delete":
                services.album_delete(album=album)
                messages.success(request, f"Deleted the album “{album.name}”; its photos are still in your gallery.")
                return redirect("gallery:albums")
            if action == "link-create":
                form = ShareLinkForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                _, token = services.link_create(album=album, **form.cleaned_data)
                new_link_url = request.build_absolute_uri(reverse("gallery:shared", args=[token]))
            elif action == "link-revoke":
                services.link_revoke(link=selectors.link_get(album=album, id=request.POST.get("link")))
                messages.success(request, "The link is revoked: it no longer opens the album.")
            elif action == "member-add":
                member = services.member_add(
                    album=album, username=request.POST.get("username", ""), role=request.POST.get("role", "viewer")
                )
                messages.success(request, f"Shared with {member.user.get_username()} ({member.role}).")
            elif action == "member-remove":
                member = selectors.album_member_get(album=album, user_id=request.POST.get("user"))
                services.member_remove(member=member)
                messages.success(request, f"{member.user.get_username()} no longer sees this album.")
            else:
                services.album_rename(album=album, name=request.POST.get("name", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        if new_link_url is None:
            return redirect("gallery:album", id=album.id)
    if not access.owner:
        services.album_seen(album=album, user=request.user)
    page = Paginator(selectors.album_photo_list(album=album), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"album": album, "access": access, "page": page, "albums": selectors.album_list(owner=request.user)}
    if access.owner:
        context |= {
            "links": selectors.link_list(album=album),
            "members": selectors.album_members(album=album),
            "new_link_url": new_link_url,
            "link_form": ShareLinkForm(),
        }
    return render(request, "gallery/album.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def trash(request):
    """The trash: restore or delete for good (selection, with JavaScript) or empty it all (a form)."""
    if request.method == "POST":
        count = services.trash_empty(owner=request.user)
        messages.success(request, f"Deleted {count} photo{'s' if count != 1 else ''} for good.")
        return redirect("gallery:trash")
    page = Paginator(selectors.trash_list(owner=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    for photo in page:
        photo.purge_at = selectors.purge_at(photo=photo)
    return render(request, "gallery/trash.html", {"page": page, "keep_days": settings.TRASH_KEEP_DAYS})


@login_required
@require_POST
def photo_favourite(request, id: int):
    """The heart without JavaScript; favourites.js does the same through the API without a reload."""
    photo = selectors.photo_get(owner=request.user, id=id)
    services.photos_favourite(owner=request.user, photo_ids=[photo.id], favourite=not photo.favourite)
    return redirect(_safe_next(request) or reverse("gallery:photo", args=[photo.id]))


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """Works without JavaScript; upload.js posts the same files to the API to show progress instead."""
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    result, status = None, 200
    if form.is_bound and form.is_valid():
        try:
            result = services.photos_upload(owner=request.user, files=form.cleaned_data["files"])
        except storage.StorageFull as full:
            form.add_error(None, str(full))
            status = 507
    if result and not (result.created or result.duplicates):
        status = 400
    return render(request, "gallery/upload.html", {"form": form, "result": result}, status=status)


@login_required
def search(request):
    """The results page shell: search.js reads the query from the URL and asks the search API."""
    photo = None
    if request.GET.get("photo"):
        photo = selectors.photo_get(owner=request.user, id=request.GET["photo"])
    return render(
        request,
        "gallery/search.html",
        {
            "q": request.GET.get("q", ""),
            "class_name": request.GET.get("class", ""),
            "query_photo": photo,
            "albums": selectors.album_list(owner=request.user),
        },
    )


@login_required
def photo_detail(request, id: int):
    access = selectors.photo_access(user=request.user, id=id)
    photo = access.photo
    if not access.owner:
        return render(request, "gallery/photo_shared.html", {"photo": photo})
    links = photo.visible_tags
    return render(
        request,
        "gallery/photo.html",
        {
            "photo": photo,
            "own_tags": [link for link in links if link.state == link.State.ACCEPTED],
            "suggested_tags": [link for link in links if link.state == link.State.SUGGESTED],
            "keep_days": settings.TRASH_KEEP_DAYS,
        },
    )


@login_required
@require_POST
def photo_tags(request, id: int):
    """Add, remove, accept or reject one tag; the photo page's tag forms all post here."""
    photo = selectors.photo_get(owner=request.user, id=id)
    form = TagActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("gallery:photo", id=photo.id)
    name, action = form.cleaned_data["name"], form.cleaned_data["action"]
    try:
        if action == "add":
            services.tag_add(photo=photo, name=name)
        elif action == "remove":
            services.tag_remove(photo=photo, name=name)
        else:
            services.tag_decide(photo=photo, name=name, accept=action == "accept")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("gallery:photo", id=photo.id)


@login_required
@require_POST
def photo_retry(request, id: int):
    photo = selectors.photo_get(owner=request.user, id=id)
    try:
        services.photo_retry(photo=photo)
        messages.success(request, f"“{photo.original_name}” is queued again.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_safe_next(request) or reverse("gallery:photo", args=[photo.id]))


@login_required
@require_http_methods(["GET", "POST"])
def photo_delete(request, id: int):
    """GET asks for confirmation (the photo page does it in a dialog); POST moves the photo to the trash."""
    photo = selectors.photo_get(owner=request.user, id=id)
    if request.method == "POST":
        services.photos_trash(owner=request.user, photo_ids=[photo.id])
        messages.success(
            request,
            f"Moved “{photo.original_name}” to the trash; you can restore it there for "
            f"{settings.TRASH_KEEP_DAYS} days.",
        )
        return redirect("gallery:home")
    return render(request, "gallery/photo_delete.html", {"photo": photo, "keep_days": settings.TRASH_KEEP_DAYS})


@login_required
def photos_download(request):
    """The selected photos (``ids``, comma-separated) as one zip, streamed. Another user's id is a 404."""
    try:
        ids = [int(i) for i in request.GET.get("ids", "").split(",") if i]
    except ValueError:
        ids = []
    if not ids:
        return HttpResponseBadRequest("Choose photos to download: ?ids=1,2,3")
    try:
        owned = services.photos_owned(owner=request.user, photo_ids=ids)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    return _zip_response(selectors.photo_list(owner=request.user, filters={"ids": owned}), name="photos")


@login_required
def album_download(request, id: int):
    album = selectors.album_get(owner=request.user, id=id)
    return _zip_response(selectors.photo_list(owner=request.user, filters={"album": album.id}), name=album.name)


def _zip_response(photos, *, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        downloads.photos_zip(photos=photos.iterator(chunk_size=200)), content_type="application/zip"
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{name}.zip")
    return response


@login_required
def photo_file(request, id: int, which: str):
    # Trashed photos too: the trash shows them (the owner's only: photo_access hides them from members).
    access = selectors.photo_access(user=request.user, id=id, trashed=True)
    return photo_file_response(access.photo, which=which, owner=access.owner, strip_location=not access.owner)


def _albums_to_add_to(user, shared: list) -> list:
    """The selection bar's albums: the user's own, then those shared with them as a contributor."""
    return selectors.album_list(owner=user) + [album for album in shared if album.role == "contributor"]


def _safe_next(request) -> str | None:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None
