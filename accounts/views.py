"""Account pages: sign-up and the API token page (log-in/out and password change are Django's own views)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from . import selectors, services, throttling
from .forms import SignUpForm


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("gallery:home")
    if request.method == "POST":
        throttling.address_check(request)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(username=form.cleaned_data["username"], password=form.cleaned_data["password1"])
        login(request, user, backend="accounts.backends.ThrottledModelBackend")
        messages.success(request, "Welcome! Upload a few photos to get started.")
        return redirect("gallery:upload")
    return render(request, "registration/signup.html", {"form": form})


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
