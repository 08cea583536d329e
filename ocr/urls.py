from django.urls import path

from . import views

app_name = "ocr"
urlpatterns = [path("settings/text/", views.text_settings, name="settings")]
