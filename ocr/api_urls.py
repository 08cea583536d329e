from django.urls import path

from .api import PhotoTextMatchesApi, TextSettingsApi

urlpatterns = [
    path("text/settings/", TextSettingsApi.as_view(), name="text-settings"),
    path("photos/<int:id>/text/matches/", PhotoTextMatchesApi.as_view(), name="photo-text-matches"),
]
