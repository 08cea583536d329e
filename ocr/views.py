"""The reading settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .core import reader
from .selectors import languages_of, text_settings_get
from .services import text_settings_update


@login_required
@require_http_methods(["GET", "POST"])
def text_settings(request):
    row = text_settings_get(owner=request.user)
    if request.method == "POST":
        enabled = request.POST.get("enabled") == "on"
        try:
            text_settings_update(owner=request.user, enabled=enabled, languages=request.POST.getlist("languages"))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, "Saved." if enabled else "Reading is off; the text read from your photos was deleted."
            )
            return redirect("ocr:settings")
    return render(
        request,
        "ocr/settings.html",
        {"row": row, "chosen": languages_of(row), "installed": reader.installed_languages()},
    )
