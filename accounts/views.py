"""Account pages: sign-up and the API token page (log-in/out and password change are Django's own views)."""
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import services, throttling
from .forms import SignUpForm


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("gallery:home")
    if request.method == "POST":
        throttling.address_check(request)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
        )
        login(request, user, backend="accounts.backends.ThrottledModelBackend")
        messages.success(request, "Welcome! Upload a few photos to get started.")
        return redirect("gallery:upload")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    if request.method == "POST":
        services.token_regenerate(user=request.user)
        messages.success(request, "A new token was issued; the old one no longer works.")
        return redirect("accounts:token")
    token = services.token_get_or_create(user=request.user)
    return render(request, "registration/token.html", {"token": token.key})
