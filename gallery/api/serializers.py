import functools

from django.urls import reverse
from rest_framework import serializers

from .. import extensions
from ..models import Album, Photo, PhotoTag
from ..selectors import place_shown, purge_at
from ..services import BULK_MAX_PHOTOS

# Photo ids are 64-bit (BigAutoField): a larger number names no photo, and the database cannot even compare it.
MAX_PHOTO_ID = 2**63 - 1


class PhotoIdField(serializers.IntegerField):
    """A photo id in a request: 1 to MAX_PHOTO_ID, so a larger number is a 400, not a database error."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_PHOTO_ID, **kwargs)


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
    place = serializers.SerializerMethodField(help_text='Where it was taken, in words: "Leuven, Belgium"')

    class Meta:
        model = Photo
        fields = [
            "id",
            "original_name",
            "status",
            "error",
            "width",
            "height",
            "format",
            "size_bytes",
            "taken_at",
            "uploaded_at",
            "latitude",
            "longitude",
            "place",
            "thumbnail_url",
            "original_url",
            "tags",
            "favourite",
            "archived",
            "trashed_at",
        ]

    def get_place(self, photo: Photo) -> str | None:
        return place_shown(photo)

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return reverse("api:photo-thumbnail", args=[photo.id]) if photo.thumbnail else None

    def get_original_url(self, photo: Photo) -> str:
        return reverse("api:photo-original", args=[photo.id])

    def get_tags(self, photo: Photo) -> list[dict]:
        links = getattr(photo, "visible_tags", None)
        if links is None:  # not prefetched (e.g. just created)
            links = photo.photo_tags.exclude(state=PhotoTag.State.REJECTED).select_related("tag")
        return [self._tag_serializer.to_representation(link) for link in links]

    @functools.cached_property
    def _tag_serializer(self) -> PhotoTagSerializer:
        # One for all photos of a response: a ModelSerializer builds its fields once per instance, which cost
        # more than the rest of a search result's serialization.
        return PhotoTagSerializer()


class PhotoDetailSerializer(PhotoSerializer):
    """One photo with the parts other apps registered (gallery/extensions.py): faces, text read, …"""

    def to_representation(self, photo: Photo) -> dict:
        return {**super().to_representation(photo), **extensions.photo_detail_parts(photo=photo)}


class PlaceSerializer(serializers.Serializer):
    """One of the owner's places and how many of their photos were taken there."""

    city = serializers.CharField(source="place_city")
    region = serializers.CharField(source="place_region")
    county = serializers.CharField(source="place_county")
    country = serializers.CharField(source="place_country")
    country_code = serializers.CharField(source="place_country_code")
    shown = serializers.SerializerMethodField()
    count = serializers.IntegerField()

    def get_shown(self, place: dict) -> str:
        return ", ".join(part for part in (place["place_city"], place["place_country"]) if part)


class UploadResultSerializer(serializers.Serializer):
    created = PhotoSerializer(many=True)
    duplicates = serializers.ListField(child=serializers.DictField())
    rejected = serializers.ListField(child=serializers.DictField())


class TimePlaceFilterSerializer(serializers.Serializer):
    """The time and place filters every photo list and search accepts (gallery.selectors.photos_filtered)."""

    taken_after = serializers.DateField(
        required=False,
        help_text="YYYY-MM-DD, that day included; when the photo was taken (EXIF), else when it was uploaded",
    )
    taken_before = serializers.DateField(required=False, help_text="YYYY-MM-DD, that day included")
    year = serializers.IntegerField(required=False, min_value=1800, max_value=2200)
    near = serializers.CharField(
        required=False, max_length=100, help_text="lat,lon,km: photos whose GPS position is within km of the point"
    )

    place = serializers.CharField(
        required=False,
        max_length=300,
        help_text='A city, region, county or country, or "city, country": photos taken there (see /api/places/)',
    )

    def validate_near(self, value: str) -> tuple[float, float, float]:
        try:
            latitude, longitude, km = (float(part) for part in value.split(","))
        except ValueError:
            raise serializers.ValidationError("Use near=latitude,longitude,km, e.g. near=48.85,2.35,10.") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise serializers.ValidationError("Latitude must be within ±90 and longitude within ±180 degrees.")
        if not (0 < km <= 20_100):
            raise serializers.ValidationError("The distance must be more than 0 and at most 20100 km.")
        return latitude, longitude, km

    def validate(self, attrs):
        attrs = super().validate(attrs)
        after, before = attrs.get("taken_after"), attrs.get("taken_before")
        if after and before and after > before:
            raise serializers.ValidationError({"taken_before": ["taken_before is earlier than taken_after."]})
        return attrs


def time_place_filters(params: dict) -> dict:
    """The validated time and place filters out of a request's parameters."""
    return {key: params[key] for key in TimePlaceFilterSerializer().fields if params.get(key) is not None}


class PhotoFilterSerializer(TimePlaceFilterSerializer):
    tag = serializers.CharField(required=False)
    favourite = serializers.BooleanField(required=False, default=False, help_text="true: favourites only")
    archived = serializers.BooleanField(
        required=False, default=False, help_text="true: archived photos only (else they are left out of lists)"
    )
    album = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PHOTO_ID, help_text="Only the photos of this album (yours)"
    )
    sort = serializers.ChoiceField(
        choices=["taken", "uploaded"],
        required=False,
        default="taken",
        help_text="taken: by date taken (EXIF, else upload), then upload; uploaded: "
        "by upload time. Newest first either way",
    )
    status = serializers.ChoiceField(choices=Photo.Status.choices, required=False)
    # At most 19 digits each: longer numbers are no 64-bit id, and Python refuses to parse 4300+ digits at all.
    ids = serializers.RegexField(
        r"^\d{1,19}(,\d{1,19})*$",
        required=False,
        max_length=10_000,
        error_messages={"invalid": "Comma-separated photo ids, e.g. 12,15."},
        help_text="Comma-separated ids, e.g. to poll a batch of uploads in one request",
    )

    def get_fields(self):
        return {**super().get_fields(), **extensions.photo_list_filter_fields()}

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


class PhotoIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=PhotoIdField(),
        min_length=1,
        max_length=BULK_MAX_PHOTOS,
        help_text="The selected photos (all must be yours)",
    )


class BulkTagSerializer(PhotoIdsSerializer):
    name = serializers.CharField(max_length=63)
    action = serializers.ChoiceField(
        choices=["add", "accept", "reject", "remove"],
        default="add",
        help_text="add: tag every photo (accepting a suggestion where there is one); accept/reject: decide a "
        "suggestion on the photos that have it; remove: untag",
    )


class BulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many photos changed")


class BulkDeleteResultSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="How many photos were deleted")


class PhotoPatchSerializer(serializers.Serializer):
    favourite = serializers.BooleanField()


class BulkFavouriteSerializer(PhotoIdsSerializer):
    favourite = serializers.BooleanField(default=True)


class BulkArchiveSerializer(PhotoIdsSerializer):
    archived = serializers.BooleanField(default=True, help_text="false: back to the timeline")


class TrashedPhotoSerializer(PhotoSerializer):
    purge_at = serializers.SerializerMethodField(help_text="When the photo will be deleted for good")

    class Meta(PhotoSerializer.Meta):
        fields = [*PhotoSerializer.Meta.fields, "purge_at"]

    def get_purge_at(self, photo: Photo) -> str:
        return serializers.DateTimeField().to_representation(purge_at(photo=photo))


class AlbumSerializer(serializers.ModelSerializer):
    count = serializers.IntegerField(read_only=True, help_text="Photos in the album (outside the trash)")
    cover = serializers.SerializerMethodField(help_text="The id of the photo on the album's tile")
    cover_thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Album
        fields = ["id", "name", "count", "cover", "cover_thumbnail_url", "created_at"]

    def get_cover(self, album: Album) -> int | None:
        return album.tile.id if album.tile else None

    def get_cover_thumbnail_url(self, album: Album) -> str | None:
        tile = album.tile
        return reverse("api:photo-thumbnail", args=[tile.id]) if tile and tile.thumbnail else None


class AlbumInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    ids = serializers.ListField(
        child=PhotoIdField(), required=False, max_length=BULK_MAX_PHOTOS, help_text="Photos to put in the new album"
    )


class AlbumPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    cover = PhotoIdField(required=False, help_text="A photo of the album")
