from django.urls import path

from . import sharing, views

urlpatterns = [
    path("photos/", views.PhotoListApi.as_view(), name="photo-list"),
    path("photos/bulk/delete/", views.PhotoBulkDeleteApi.as_view(), name="photo-bulk-delete"),
    path("photos/bulk/tags/", views.PhotoBulkTagsApi.as_view(), name="photo-bulk-tags"),
    path("photos/bulk/favourite/", views.PhotoBulkFavouriteApi.as_view(), name="photo-bulk-favourite"),
    path("photos/bulk/archive/", views.PhotoBulkArchiveApi.as_view(), name="photo-bulk-archive"),
    path("photos/bulk/trash/", views.PhotoBulkTrashApi.as_view(), name="photo-bulk-trash"),
    path("places/", views.PlaceListApi.as_view(), name="place-list"),
    path("trash/", views.TrashApi.as_view(), name="trash"),
    path("trash/restore/", views.TrashRestoreApi.as_view(), name="trash-restore"),
    path("trash/delete/", views.TrashDeleteApi.as_view(), name="trash-delete"),
    path("albums/", views.AlbumListApi.as_view(), name="album-list"),
    path("albums/<int:id>/", views.AlbumDetailApi.as_view(), name="album-detail"),
    path("albums/<int:id>/photos/", views.AlbumPhotosApi.as_view(), name="album-photos"),
    path(
        "albums/<int:id>/photos/remove/",
        views.AlbumPhotosApi.as_view(remove=True, http_method_names=["post", "options"]),
        name="album-photos-remove",
    ),
    path("albums/<int:id>/links/", sharing.AlbumLinksApi.as_view(), name="album-links"),
    path("albums/<int:id>/links/<int:link_id>/", sharing.AlbumLinkDetailApi.as_view(), name="album-link-detail"),
    path("albums/<int:id>/members/", sharing.AlbumMembersApi.as_view(), name="album-members"),
    path("albums/<int:id>/members/<int:user_id>/", sharing.AlbumMemberDetailApi.as_view(), name="album-member"),
    path("shared/<str:token>/", sharing.SharedAlbumApi.as_view(), name="shared-album"),
    path(
        "shared/<str:token>/photos/<int:id>/thumbnail",
        sharing.SharedPhotoFileApi.as_view(which="thumbnail"),
        name="shared-thumbnail",
    ),
    path(
        "shared/<str:token>/photos/<int:id>/original",
        sharing.SharedPhotoFileApi.as_view(which="original"),
        name="shared-original",
    ),
    path("photos/<int:id>/", views.PhotoDetailApi.as_view(), name="photo-detail"),
    path("photos/<int:id>/retry/", views.PhotoRetryApi.as_view(), name="photo-retry"),
    path("photos/<int:id>/tags/", views.PhotoTagsApi.as_view(), name="photo-tags"),
    path("photos/<int:id>/original", views.PhotoFileApi.as_view(which="original"), name="photo-original"),
    path("photos/<int:id>/thumbnail", views.PhotoFileApi.as_view(which="thumbnail"), name="photo-thumbnail"),
]
