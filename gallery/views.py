"""Gallery pages. They call the same services and selectors as the API. The gallery, photo and upload pages
work without JavaScript (scripts add live status, selection, the viewer and in-place tagging); search results,
the viewer and bulk actions need it."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import TagActionForm, UploadForm
from .media import photo_file_response
from .models import Photo

PAGE_SIZE = 48


@login_required
def home(request):
    filters = {key: request.GET[key] for key in ("tag", "status") if request.GET.get(key)}
    if filters.get("status") not in (None, *Photo.Status.values):
        filters.pop("status")
    # A timeline: newest taken first (EXIF date, else upload time), headed by month, with a year scrubber.
    photos = selectors.photo_list(owner=request.user, filters=filters).order_by("-shot_at", "-id")
    page = Paginator(photos, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "gallery/home.html",
        {
            "page": page,
            "filters": filters,
            "tags": selectors.tag_counts(owner=request.user)[:30],
            "statuses": Photo.Status.values,
            "years": selectors.timeline_years(photos=photos, page_size=PAGE_SIZE),
            "storage": {"used": selectors.storage_used(owner=request.user), "quota": settings.STORAGE_QUOTA_BYTES},
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """Works without JavaScript; upload.js posts the same files to the API to show progress instead."""
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    result = None
    if form.is_bound and form.is_valid():
        result = services.photos_upload(owner=request.user, files=form.cleaned_data["files"])
    status = 400 if result and not (result.created or result.duplicates) else 200
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
        {"q": request.GET.get("q", ""), "class_name": request.GET.get("class", ""), "query_photo": photo},
    )


@login_required
def photo_detail(request, id: int):
    photo = selectors.photo_get(owner=request.user, id=id)
    links = photo.visible_tags
    return render(
        request,
        "gallery/photo.html",
        {
            "photo": photo,
            "own_tags": [link for link in links if link.state == link.State.ACCEPTED],
            "suggested_tags": [link for link in links if link.state == link.State.SUGGESTED],
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
    """GET asks for confirmation (the photo page does it in a dialog); POST deletes."""
    photo = selectors.photo_get(owner=request.user, id=id)
    if request.method == "POST":
        services.photo_delete(photo=photo)
        messages.success(request, f"Deleted “{photo.original_name}”.")
        return redirect("gallery:home")
    return render(request, "gallery/photo_delete.html", {"photo": photo})


@login_required
def photo_file(request, id: int, which: str):
    return photo_file_response(selectors.photo_get(owner=request.user, id=id), which=which)


def _safe_next(request) -> str | None:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None
