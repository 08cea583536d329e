"""People pages: the People page (persons as face crops, naming the unnamed) and a person's page (their photos).
They work without JavaScript; the photo page's face boxes ("Who is this?") are static/js/faces.js."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gallery import selectors as gallery_selectors

from . import selectors, services

PAGE_SIZE = 48


@login_required
def people(request):
    persons = list(selectors.person_list(owner=request.user))
    return render(
        request,
        "people/people.html",
        {
            "named": [p for p in persons if p.name and not p.hidden],
            "unnamed": [p for p in persons if not p.name and not p.hidden],
            "hidden": [p for p in persons if p.hidden],
            "progress": selectors.faces_progress(owner=request.user),
        },
    )


@login_required
def person(request, id: int):
    person = selectors.person_get(owner=request.user, id=id)
    photos = gallery_selectors.photo_list(owner=request.user, filters={"person": person.id})
    return render(
        request,
        "people/person.html",
        {
            "person": person,
            "page": Paginator(photos, PAGE_SIZE).get_page(request.GET.get("page")),
            "others": [p for p in selectors.person_list(owner=request.user) if p.id != person.id],
        },
    )


@login_required
@require_POST
def person_change(request, id: int):
    """The forms of both pages: name, hide/show, merge. Back to where the form was."""
    person = selectors.person_get(owner=request.user, id=id)
    action = request.POST.get("action")
    try:
        if action == "name":
            services.person_update(person=person, name=request.POST.get("name", ""))
            messages.success(request, f"Named “{person.name}”." if person.name else "Name removed.")
        elif action in ("hide", "show"):
            services.person_update(person=person, hidden=action == "hide")
        elif action == "merge":
            into = selectors.person_get(owner=request.user, id=request.POST.get("into"))
            services.person_merge(person=person, into=into)
            messages.success(request, f"Merged into “{into}”.")
            return redirect("people:person", id=into.id)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return (
        redirect("people:person", id=person.id) if request.POST.get("from") == "person" else redirect("people:people")
    )


@login_required
@require_POST
def people_settings(request):
    if request.POST.get("action") == "recluster":
        services.people_recluster_schedule(owner=request.user)
        messages.success(request, "Grouping your faces again; your names stay.")
    else:
        enabled = request.POST.get("enabled") == "on"
        services.faces_enable(owner=request.user, enabled=enabled)
        messages.success(
            request,
            "Face grouping is on: faces are being found in your photos."
            if enabled
            else "Face grouping is off: every face and person was deleted.",
        )
    return redirect("people:people")
