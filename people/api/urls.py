from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.PersonListApi.as_view(), name="person-list"),
    path("people/settings/", views.FacesSettingsApi.as_view(), name="people-settings"),
    path("people/recluster/", views.PeopleReclusterApi.as_view(), name="people-recluster"),
    path("people/<int:id>/", views.PersonDetailApi.as_view(), name="person-detail"),
    path("people/<int:id>/merge/", views.PersonMergeApi.as_view(), name="person-merge"),
    path("faces/<int:id>/assign/", views.FaceAssignApi.as_view(), name="face-assign"),
    path("faces/<int:id>/name/", views.FaceNameApi.as_view(), name="face-name"),
    path("faces/<int:id>/crop", views.FaceCropApi.as_view(), name="face-crop"),
]
