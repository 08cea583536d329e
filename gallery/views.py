"""Gallery pages. They call the same services and selectors as the API."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import UploadForm
from .media import photo_file_response


@login_required
def home(request):
    filters = {key: request.GET[key] for key in ("tag", "status") if request.GET.get(key)}
    photos = selectors.photo_list(owner=request.user, filters=filters)
    page = Paginator(photos, 60).get_page(request.GET.get("page"))
    return render(
        request,
        "gallery/home.html",
        {"page": page, "filters": filters, "tags": selectors.tag_counts(owner=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.photos_upload(owner=request.user, files=form.cleaned_data["files"])
    status = 400 if result and not (result.created or result.duplicates) else 200
    return render(request, "gallery/upload.html", {"form": form, "result": result}, status=status)


@login_required
def photo_detail(request, id: int):
    photo = selectors.photo_get(owner=request.user, id=id)
    return render(request, "gallery/photo.html", {"photo": photo})


@login_required
def photo_file(request, id: int, which: str):
    return photo_file_response(selectors.photo_get(owner=request.user, id=id), which=which)
