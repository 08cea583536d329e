"""The public page of a share link, /s/<token>/: the album's grid and a viewer, for anyone with the link, no
account needed. The link is checked on every request (services.link_open), so a revoked link is a 404 at once."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.exceptions import Throttled

from . import selectors, services
from .api.sharing import PUBLIC_HEADERS


def _public(response, *, referrer: str = "no-referrer"):
    for header, value in PUBLIC_HEADERS.items():
        response[header] = value
    response["Referrer-Policy"] = referrer
    return response


@require_http_methods(["GET", "POST"])
def shared_album(request, token: str):
    """GET: the grid (or the password form, 401). POST: the password; right → the grid, wrong → the form again.

    The password form is the one page sent with ``Referrer-Policy: same-origin`` instead of ``no-referrer``:
    under no-referrer browsers post forms with ``Origin: null``, which Django's CSRF check rightly refuses.
    Same-origin still never sends the token to another site, and the form page loads nothing from elsewhere.
    """
    password = request.POST.get("password", "") if request.method == "POST" else None
    try:
        link = services.link_open(request=request, token=token, password=password)
    except services.LinkPasswordRequired:
        return _public(render(request, "gallery/shared_password.html", {}, status=401), referrer="same-origin")
    except Http404:
        if request.method == "POST" and selectors.link_live(token=token) is not None:
            context = {"error": "That is not the password of this link."}
            return _public(render(request, "gallery/shared_password.html", context, status=401), referrer="same-origin")
        raise
    except Throttled as throttled:
        response = render(request, "429.html", {"detail": throttled.detail}, status=429)
        response["Retry-After"] = str(int(throttled.wait or 60))
        return _public(response)
    if request.method == "POST":
        return redirect("gallery:shared", token=token)
    services.link_viewed(link=link)
    photos = list(selectors.link_photos(link=link))
    context = {"link": link, "album": link.album, "photos": photos, "token": token}
    return _public(render(request, "gallery/shared.html", context))
