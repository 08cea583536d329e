"""The reading settings of the caller: GET and PUT /api/text/settings/."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .core import reader
from .selectors import languages_of, text_settings_get
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
