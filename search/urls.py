from django.urls import path

from . import views

app_name = "search"
urlpatterns = [
    path("duplicates/", views.duplicates_page, name="duplicates"),
    path("duplicates/keep-best/", views.duplicates_keep_best, name="duplicates-keep-best"),
    path("duplicates/undo/", views.duplicates_undo, name="duplicates-undo"),
]
