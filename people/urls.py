from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/settings/", views.people_settings, name="settings"),
    path("people/<int:id>/", views.person, name="person"),
    path("people/<int:id>/change/", views.person_change, name="person-change"),
]
