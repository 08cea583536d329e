from django.urls import path

from . import views

urlpatterns = [
    path("search/similar/", views.SimilarApi.as_view(), name="search-similar"),
    path("search/class/", views.ClassSearchApi.as_view(), name="search-class"),
    path("search/text/", views.TextSearchApi.as_view(), name="search-text"),
    path("words/similar/", views.SimilarWordsApi.as_view(), name="words-similar"),
    path("duplicates/", views.DuplicateListApi.as_view(), name="duplicates"),
    path("duplicates/keep-best/", views.DuplicateKeepBestApi.as_view(), name="duplicates-keep-best"),
    path("classes/", views.ClassListApi.as_view(), name="classes"),
    path("albums/<int:id>/search/", views.AlbumSearchApi.as_view(), name="album-search"),
]
