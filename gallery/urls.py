from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("photos/<int:id>/", views.photo_detail, name="photo"),
    path("photos/<int:id>/original", views.photo_file, {"which": "original"}, name="original"),
    path("photos/<int:id>/thumbnail", views.photo_file, {"which": "thumbnail"}, name="thumbnail"),
]
