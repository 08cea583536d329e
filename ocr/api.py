"""The reading settings of the caller: GET and PUT /api/text/settings/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.selectors import photo_get

from .core import reader
from .selectors import languages_of, photo_words_matching, text_settings_get
from .services import text_settings_update


class TextSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    languages = serializers.ListField(child=serializers.CharField(max_length=16), min_length=1, max_length=8)
    installed = serializers.ListField(child=serializers.CharField(), read_only=True)


def _render(row) -> dict:
    return {
        "enabled": row.enabled,
        "languages": list(languages_of(row)),
        "installed": list(reader.installed_languages()),
    }


class TextSettingsApi(APIView):
    """Whether the text in the caller's photos is read, and in which of the installed languages. Turning reading
    off deletes every text read from their photos."""

    @extend_schema(responses=TextSettingsSerializer)
    def get(self, request):
        return Response(_render(text_settings_get(owner=request.user)))

    @extend_schema(request=TextSettingsSerializer, responses=TextSettingsSerializer)
    def put(self, request):
        data = TextSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = text_settings_update(owner=request.user, **data.validated_data)
        return Response(_render(row))


class TextMatchSerializer(serializers.Serializer):
    word = serializers.CharField()
    box = serializers.ListField(child=serializers.IntegerField(), min_length=4, max_length=4)


class PhotoTextMatchesApi(APIView):
    """Where the words of a query are written in one of the caller's photos: boxes to highlight on a result."""

    @extend_schema(responses=TextMatchSerializer(many=True))
    def get(self, request, id: int):
        photo = photo_get(owner=request.user, id=id)
        query = request.query_params.get("q", "")[:500]
        return Response({"matches": photo_words_matching(photo=photo, query=query)})
