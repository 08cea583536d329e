"""Search's own pages. The duplicates page works without JavaScript: keep-best moves copies to the trash and the
page offers Undo (the ids wait in the session until the next visit)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from gallery.services import photos_restore

from . import duplicates

UNDO_KEY = "duplicates_trashed"


@login_required
def duplicates_page(request):
    groups = duplicates.duplicate_groups(owner=request.user)
    return render(
        request,
        "search/duplicates.html",
        {
            "groups": groups,
            "extra": sum(len(group.photos) - 1 for group in groups),
            "undo": request.session.pop(UNDO_KEY, None),
        },
    )


@login_required
@require_POST
def duplicates_keep_best(request):
    """Keep one copy of a group (``keep``: the copy chosen; else ``photo``: any member, the best stays) or the best
    of all (``all``); the other copies go to the trash, with Undo on the page."""
    photo_ids, keep_ids = None, []  # all groups, each keeping its best
    try:
        if request.POST.get("keep"):
            photo_ids, keep_ids = [], [int(request.POST["keep"])]
        elif not request.POST.get("all"):
            photo_ids = [int(request.POST["photo"])]
    except (KeyError, ValueError):
        messages.error(request, "Choose a group to resolve.")
        return redirect("search:duplicates")
    try:
        result = duplicates.duplicates_keep_best(owner=request.user, photo_ids=photo_ids, keep_ids=keep_ids)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("search:duplicates")
    n = len(result["trashed"])
    messages.success(request, f"Moved {n} cop{'ies' if n != 1 else 'y'} to the trash.")
    request.session[UNDO_KEY] = result["trashed"]
    return redirect("search:duplicates")


@login_required
@require_POST
def duplicates_undo(request):
    """Put back the copies the last keep-best moved to the trash (the ids come from the form, owner-checked)."""
    try:
        ids = [int(i) for i in request.POST.getlist("photo")]
    except ValueError:
        ids = []
    restored = photos_restore(owner=request.user, photo_ids=ids) if ids else 0
    messages.success(request, f"Restored {restored} photo{'s' if restored != 1 else ''}.")
    return redirect("search:duplicates")
