"""Account pages: sign-up, invites and the API token page (log-in/out and password change are Django's own views)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from . import selectors, services, throttling
from .forms import SignUpForm


@require_http_methods(["GET", "POST"])
def signup(request):
    """Sign-up as SIGNUP allows; an invite link is this page with ``?invite=KEY``."""
    if request.user.is_authenticated:
        return redirect("gallery:home")
    if request.method == "POST":
        throttling.address_check(request)
    invite = request.POST.get("invite") or request.GET.get("invite", "")
    form = SignUpForm(request.POST or None, initial={"invite": invite})
    closed = selectors.signup_closed() or (selectors.signup_needs_invite() and not invite)
    if request.method == "POST" and not closed and form.is_valid():
        try:
            user = services.user_create(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                invite=form.cleaned_data["invite"],
            )
        except PermissionDenied:
            closed = True
        except ValidationError as error:
            for message in error.messages:  # a bad invite, or a username taken meanwhile
                form.add_error(None, message)
        else:
            login(request, user, backend="accounts.backends.ThrottledModelBackend")
            messages.success(request, "Welcome! Upload a few photos to get started.")
            return redirect("gallery:upload")
    context = {"form": form, "closed": closed, "signup": settings.SIGNUP}
    refused = closed and request.method == "POST"
    return render(request, "registration/signup.html", context, status=403 if refused else 200)


@login_required
@require_http_methods(["GET", "POST"])
def invites(request):
    """Admins make one-use sign-up links here; a new link is shown once, in the answer to the POST that made it."""
    if not request.user.is_staff:
        raise PermissionDenied("Only admins can invite.")
    new_link = None
    if request.method == "POST":
        if request.POST.get("revoke"):
            services.invite_revoke(admin=request.user, invite_id=int(request.POST["revoke"]))
            return redirect("accounts:invites")
        key = services.invite_create(admin=request.user)
        new_link = request.build_absolute_uri(f"{reverse('accounts:signup')}?{urlencode({'invite': key})}")
    response = render(
        request,
        "registration/invites.html",
        {
            "invites": selectors.invites_open(admin=request.user),
            "new_link": new_link,
            "signup": settings.SIGNUP,
            "days": settings.INVITE_DAYS,
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """The token page. A new key is shown once, in the answer to the POST that issued it: only its hash is kept."""
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            services.token_revoke(user=request.user)
            messages.success(request, "Your API token was revoked: scripts using it are refused now.")
            return redirect("accounts:token")
        new_key = services.token_rotate(user=request.user)
        messages.success(request, "A new token was issued; any old one no longer works. Copy it now: it is shown once.")
    response = render(
        request, "registration/token.html", {"token": selectors.token_get(user=request.user), "new_key": new_key}
    )
    add_never_cache_headers(response)
    return response
