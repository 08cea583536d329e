"""Search's own pages. The duplicates page works without JavaScript; duplicates.js only confirms in a dialog."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import duplicates


@login_required
def duplicates_page(request):
    groups = duplicates.duplicate_groups(owner=request.user)
    return render(
        request, "search/duplicates.html", {"groups": groups, "extra": sum(len(group.photos) - 1 for group in groups)}
    )


@login_required
@require_POST
def duplicates_keep_best(request):
    """Keep the best copy of one group (``photo``: any of its photos) or of all (``all``), delete the rest.

    Asked once: without ``confirm`` this renders what would be deleted and asks (the page's dialog does that
    in place and posts ``confirm`` itself)."""
    every = bool(request.POST.get("all"))
    try:
        photo_ids = None if every else [int(request.POST["photo"])]
    except (KeyError, ValueError):
        messages.error(request, "Choose a group to resolve.")
        return redirect("search:duplicates")
    if not request.POST.get("confirm"):
        groups = duplicates.duplicate_groups(owner=request.user)
        if photo_ids:
            groups = [g for g in groups if photo_ids[0] in {p.id for p in g.photos}]
        return render(
            request,
            "search/duplicates_confirm.html",
            {
                "groups": groups,
                "all": every,
                "photo": photo_ids[0] if photo_ids else None,
                "doomed": [p for g in groups for p in g.photos[1:]],
            },
        )
    try:
        result = duplicates.duplicates_keep_best(owner=request.user, photo_ids=photo_ids)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("search:duplicates")
    n = len(result["deleted"])
    messages.success(
        request,
        f"Kept the best of {len(result['kept'])} group{'s' if len(result['kept']) != 1 else ''}"
        f" and deleted {n} photo{'s' if n != 1 else ''}.",
    )
    return redirect("search:duplicates")
