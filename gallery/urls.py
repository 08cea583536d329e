from django.urls import path

from . import shared_views, views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("search/", views.search, name="search"),
    path("places/", views.places, name="places"),
    path("albums/", views.albums, name="albums"),
    path("albums/<int:id>/", views.album, name="album"),
    path("albums/<int:id>/download/", views.album_download, name="album-download"),
    path("download/", views.photos_download, name="download"),
    path("trash/", views.trash, name="trash"),
    path("s/<str:token>/", shared_views.shared_album, name="shared"),
    path("photos/<int:id>/favourite/", views.photo_favourite, name="photo-favourite"),
    path("photos/<int:id>/", views.photo_detail, name="photo"),
    path("photos/<int:id>/tags/", views.photo_tags, name="photo-tags"),
    path("photos/<int:id>/retry/", views.photo_retry, name="photo-retry"),
    path("photos/<int:id>/delete/", views.photo_delete, name="photo-delete"),
    path("photos/<int:id>/original", views.photo_file, {"which": "original"}, name="original"),
    path("photos/<int:id>/thumbnail", views.photo_file, {"which": "thumbnail"}, name="thumbnail"),
]
