from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.api import RegisterApi, TokenApi, TokenRevokeApi, TokenRotateApi
from searchsite import health

api_patterns = [
    path("auth/register/", RegisterApi.as_view(), name="register"),
    path("auth/token/", TokenApi.as_view(), name="token"),
    path("auth/token/rotate/", TokenRotateApi.as_view(), name="token-rotate"),
    path("auth/token/revoke/", TokenRevokeApi.as_view(), name="token-revoke"),
    path("", include("gallery.api.urls")),
    path("", include("search.api.urls")),
    path("", include("people.api.urls")),
    path("", include("ocr.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the docs page needs no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health/", health.health, name="health"),
    path("accounts/", include("django.contrib.auth.urls")),  # login, logout, password reset: Django's own
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("ocr.urls")),
    path("api/", include((api_patterns, "api"))),
    path("", include("search.urls")),
    path("", include("people.urls")),
    path("", include("gallery.urls")),
]

# JSON under /api/, Django's plain pages elsewhere (never a debug page: DEBUG is off outside `make dev`).
handler400 = "searchsite.errors.bad_request"
handler403 = "searchsite.errors.permission_denied"
handler404 = "searchsite.errors.page_not_found"
handler500 = "searchsite.errors.server_error"
