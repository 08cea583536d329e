from django.urls import path

from .api import TextSettingsApi

urlpatterns = [path("text/settings/", TextSettingsApi.as_view(), name="text-settings")]
