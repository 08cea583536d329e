"""The search API. Thin: parse, call one function of search.query, render hits."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.api.serializers import photos_as_seen, time_place_filters, validated

from .. import duplicates, query
from ..album_search import album_search
from ..ml.classes import search_classes
from .serializers import (
    AlbumResultsSerializer,
    AlbumSearchQuerySerializer,
    AutocompleteSerializer,
    ClassesSerializer,
    ClassQuerySerializer,
    DuplicateGroupsSerializer,
    KeepBestResultSerializer,
    KeepBestSerializer,
    ResultsSerializer,
    SimilarExamplesSerializer,
    SimilarQuerySerializer,
    SimilarUploadSerializer,
    TextQuerySerializer,
    TextResultsSerializer,
    WordQuerySerializer,
    WordsSerializer,
)


def _results(hits, **extra) -> Response:
    return Response({"results": ResultsSerializer({"results": hits}).data["results"], **extra})


class SimilarApi(APIView):
    """Photos like one of yours (GET ?photo=ID), like an uploaded image that is not stored (POST multipart
    image), or like several of yours and unlike others (POST JSON photos, not_photos: "more like these")."""

    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(parameters=[SimilarQuerySerializer], responses=ResultsSerializer)
    def get(self, request):
        params = validated(SimilarQuerySerializer, request.query_params)
        return _results(
            query.similar_to_photo(
                owner=request.user,
                photo_id=params["photo"],
                k=params["k"],
                class_value=params.get("class"),
                filters=time_place_filters(params),
            )
        )

    @extend_schema(
        request={"multipart/form-data": SimilarUploadSerializer, "application/json": SimilarExamplesSerializer},
        responses=ResultsSerializer,
    )
    def post(self, request):
        # The body may be any JSON (null, a number...): only an object can name photos; the rest fails validation.
        if isinstance(request.data, Mapping) and "image" not in request.data and "photos" in request.data:
            params = validated(SimilarExamplesSerializer, request.data)
            return _results(
                query.similar_to_photos(
                    owner=request.user,
                    photo_ids=params["photos"],
                    not_photo_ids=params["not_photos"],
                    k=params["k"],
                    filters=time_place_filters(params),
                )
            )
        params = validated(SimilarUploadSerializer, request.data)  # "image" comes back decoded
        return _results(
            query.similar_to_image(
                owner=request.user,
                image=params["image"],
                k=params["k"],
                class_value=params.get("class"),
                filters=time_place_filters(params),
            )
        )


class ClassSearchApi(APIView):
    @extend_schema(parameters=[ClassQuerySerializer], responses=ResultsSerializer)
    def get(self, request):
        params = validated(ClassQuerySerializer, request.query_params)
        return _results(
            query.by_class(
                owner=request.user, class_value=params["class"], k=params["k"], filters=time_place_filters(params)
            )
        )


class TextSearchApi(APIView):
    @extend_schema(parameters=[TextQuerySerializer], responses=TextResultsSerializer)
    def get(self, request):
        params = validated(TextQuerySerializer, request.query_params)
        found = query.text_search(
            owner=request.user,
            q=params["q"],
            k=params["k"],
            photo_id=params.get("photo"),
            class_value=params.get("class") or None,
            filters=time_place_filters(params),
            exact=params["exact"],
        )
        return _results(
            found.hits,
            terms=[term.as_dict() for term in found.terms],
            spelling=found.spelling,
            mapping=query.text_mapping(owner=request.user),
            classes=query.classes_offered(q=(found.spelling or {}).get("corrected") or params["q"]),
        )


class SimilarWordsApi(APIView):
    @extend_schema(parameters=[WordQuerySerializer], responses=WordsSerializer)
    def get(self, request):
        params = validated(WordQuerySerializer, request.query_params)
        words = query.similar_words(q=params["q"], k=params["k"])
        return Response({"results": [{"word": word, "score": round(score, 4)} for word, score in words]})


class ClassListApi(APIView):
    """Autocomplete over the 1000 ImageNet class names."""

    @extend_schema(parameters=[AutocompleteSerializer], responses=ClassesSerializer)
    def get(self, request):
        params = validated(AutocompleteSerializer, request.query_params)
        matches = search_classes(params["q"], limit=params["limit"])
        return Response({"results": [{"id": class_id, "name": name} for class_id, name in matches]})


class DuplicateListApi(APIView):
    """Your groups of near-duplicates (same scene: re-encodes, resizes, crops, small edits, bursts), best first."""

    @extend_schema(responses=DuplicateGroupsSerializer)
    def get(self, request):
        groups = duplicates.duplicate_groups(owner=request.user)
        return Response(DuplicateGroupsSerializer({"count": len(groups), "groups": groups}).data)


class DuplicateKeepBestApi(APIView):
    """Keep one copy of some groups (the best, or the one you name in ``keep``) or of all; the other copies go to
    the trash, restorable. Deleting for good is only ever ``POST /api/photos/bulk/delete/``."""

    @extend_schema(request=KeepBestSerializer, responses=KeepBestResultSerializer)
    def post(self, request):
        params = validated(KeepBestSerializer, request.data)
        result = duplicates.duplicates_keep_best(
            owner=request.user,
            photo_ids=None if params["all"] else params.get("photos", []),
            keep_ids=[] if params["all"] else params.get("keep", []),
        )
        return Response(KeepBestResultSerializer(result).data)


class AlbumSearchApi(APIView):
    """Search one album you own or that is shared with you, by words (?q=) or like one of its photos (?photo=).
    Only the album's photos are scored, exactly; nothing else of the owner's is read."""

    @extend_schema(parameters=[AlbumSearchQuerySerializer], responses=AlbumResultsSerializer)
    def get(self, request, id: int):
        params = validated(AlbumSearchQuerySerializer, request.query_params)
        hits = album_search(
            user=request.user, album_id=id, k=params["k"], q=params.get("q", ""), photo_id=params.get("photo")
        )
        seen = photos_as_seen([hit.photo for hit in hits], user=request.user)
        return Response(
            {
                "results": [
                    {"photo": photo, "score": round(hit.score, 4), "match": hit.match} for hit, photo in zip(hits, seen)
                ]
            }
        )
