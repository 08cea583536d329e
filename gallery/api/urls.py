from django.urls import path

from . import views

urlpatterns = [
    path("photos/", views.PhotoListApi.as_view(), name="photo-list"),
    path("photos/bulk/delete/", views.PhotoBulkDeleteApi.as_view(), name="photo-bulk-delete"),
    path("photos/bulk/tags/", views.PhotoBulkTagsApi.as_view(), name="photo-bulk-tags"),
    path("photos/<int:id>/", views.PhotoDetailApi.as_view(), name="photo-detail"),
    path("photos/<int:id>/retry/", views.PhotoRetryApi.as_view(), name="photo-retry"),
    path("photos/<int:id>/tags/", views.PhotoTagsApi.as_view(), name="photo-tags"),
    path("photos/<int:id>/original", views.PhotoFileApi.as_view(which="original"), name="photo-original"),
    path("photos/<int:id>/thumbnail", views.PhotoFileApi.as_view(which="thumbnail"), name="photo-thumbnail"),
]
