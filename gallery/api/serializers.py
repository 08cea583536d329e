from django.urls import reverse
from rest_framework import serializers

from ..models import Photo, PhotoTag

# Photo ids are 64-bit (BigAutoField): a larger number names no photo, and the database cannot even compare it.
MAX_PHOTO_ID = 2**63 - 1


class PhotoTagSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="tag.name")

    class Meta:
        model = PhotoTag
        fields = ["name", "source", "state", "confidence"]


class PhotoSerializer(serializers.ModelSerializer):
    """A photo as the API and the pages' JavaScript see it. File URLs point at owner-checked views."""

    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = [
            "id", "original_name", "status", "error", "width", "height", "format", "size_bytes",
            "taken_at", "uploaded_at", "thumbnail_url", "original_url", "tags",
        ]

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return reverse("api:photo-thumbnail", args=[photo.id]) if photo.thumbnail else None

    def get_original_url(self, photo: Photo) -> str:
        return reverse("api:photo-original", args=[photo.id])

    def get_tags(self, photo: Photo) -> list[dict]:
        links = getattr(photo, "visible_tags", None)
        if links is None:  # not prefetched (e.g. just created)
            links = photo.photo_tags.exclude(state=PhotoTag.State.REJECTED).select_related("tag")
        return PhotoTagSerializer(links, many=True).data


class UploadResultSerializer(serializers.Serializer):
    created = PhotoSerializer(many=True)
    duplicates = serializers.ListField(child=serializers.DictField())
    rejected = serializers.ListField(child=serializers.DictField())


class PhotoFilterSerializer(serializers.Serializer):
    tag = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=Photo.Status.choices, required=False)
    ids = serializers.RegexField(r"^\d+(,\d+)*$", required=False, max_length=10_000,
                                 help_text="Comma-separated ids, e.g. to poll a batch of uploads in one request")

    def validate_ids(self, value: str) -> list[int]:
        ids = [int(i) for i in value.split(",")]
        if max(ids) > MAX_PHOTO_ID:
            raise serializers.ValidationError(f"An id is at most {MAX_PHOTO_ID}.")
        return ids


class TagInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=63)


class TagDecisionSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=63)
    accept = serializers.BooleanField()
