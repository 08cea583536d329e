import functools

from django.urls import reverse
from rest_framework import serializers

from .. import extensions
from ..models import Album, AlbumMember, Photo, PhotoTag
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


class SharedPhotoSerializer(serializers.ModelSerializer):
    """A photo seen by someone other than its owner, through an album shared with them: what it looks like and
    who shared it, never its place, tags, suggestions or what other apps found in it."""

    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    added_by = serializers.SerializerMethodField(help_text="Who put it in the album (when listed with an album)")
    shared = serializers.SerializerMethodField(help_text="Always true: seen through a shared album, read-only")

    class Meta:
        model = Photo
        fields = [
            "id",
            "original_name",
            "status",
            "width",
            "height",
            "format",
            "taken_at",
            "thumbnail_url",
            "original_url",
            "owner",
            "added_by",
            "shared",
        ]

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return reverse("api:photo-thumbnail", args=[photo.id]) if photo.thumbnail else None

    def get_original_url(self, photo: Photo) -> str:
        return reverse("api:photo-original", args=[photo.id])

    def get_added_by(self, photo: Photo) -> str | None:
        return getattr(photo, "added_by_name", None)

    def get_shared(self, photo: Photo) -> bool:
        return True


def photos_as_seen(photos, *, user) -> list[dict]:
    """Each photo as this user may see it: all of their own, the shared view of anyone else's."""
    own, shared = PhotoSerializer(), SharedPhotoSerializer()
    return [(own if photo.owner_id == user.pk else shared).to_representation(photo) for photo in photos]


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


def validated(serializer_class, data) -> dict:
    """The request's data as the serializer validates it; a 400 naming each bad field otherwise (every API view)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


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
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    role = serializers.SerializerMethodField(help_text="Yours: owner, viewer or contributor")
    shared_at = serializers.SerializerMethodField(help_text="Albums shared with you: when")
    unseen = serializers.SerializerMethodField(help_text="Albums shared with you: not opened yet")

    class Meta:
        model = Album
        fields = [
            "id",
            "name",
            "count",
            "cover",
            "cover_thumbnail_url",
            "created_at",
            "owner",
            "role",
            "shared_at",
            "unseen",
        ]

    def get_role(self, album: Album) -> str:
        return getattr(album, "role", "owner")

    def get_shared_at(self, album: Album) -> str | None:
        shared_at = getattr(album, "shared_at", None)
        return serializers.DateTimeField().to_representation(shared_at) if shared_at else None

    def get_unseen(self, album: Album) -> bool:
        return getattr(album, "unseen", False)

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


class AlbumListFilterSerializer(serializers.Serializer):
    shared = serializers.BooleanField(
        required=False, default=False, help_text="true: the albums other accounts shared with you, not your own"
    )


class LinkInputSerializer(serializers.Serializer):
    expires_at = serializers.DateTimeField(required=False, allow_null=True, help_text="None: never expires")
    password = serializers.CharField(
        required=False, allow_blank=True, max_length=128, trim_whitespace=False, write_only=True
    )
    allow_download = serializers.BooleanField(required=False, default=False, help_text="Originals, not only previews")
    show_location = serializers.BooleanField(
        required=False, default=False, help_text="Coordinates; when off, originals are sent without EXIF GPS"
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="For your list")


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    token = serializers.SerializerMethodField(help_text="Only when the link is made: it is stored only hashed")
    url = serializers.SerializerMethodField(help_text="The public page (only when the link is made)")
    prefix = serializers.CharField(help_text="The token's first characters")
    label = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    has_password = serializers.SerializerMethodField()
    allow_download = serializers.BooleanField()
    show_location = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    view_count = serializers.IntegerField()
    last_used_at = serializers.DateTimeField(allow_null=True)

    def get_token(self, link) -> str | None:
        return self.context.get("token")

    def get_url(self, link) -> str | None:
        token, request = self.context.get("token"), self.context.get("request")
        if not token:
            return None
        path = reverse("gallery:shared", args=[token])
        return request.build_absolute_uri(path) if request is not None else path

    def get_has_password(self, link) -> bool:
        return bool(link.password)


class MemberInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=AlbumMember.Role.choices, default=AlbumMember.Role.VIEWER)


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.get_username")
    role = serializers.CharField()
    added_at = serializers.DateTimeField()


class LinkPhotoSerializer(serializers.Serializer):
    """A photo through a share link: its URLs work with that link only."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    taken_at = serializers.DateTimeField(allow_null=True)
    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField(help_text="None unless the link allows downloads")
    latitude = serializers.SerializerMethodField(help_text="None unless the link shows locations")
    longitude = serializers.SerializerMethodField()

    def _link(self):
        return self.context["link"], self.context["token"]

    def get_thumbnail_url(self, photo) -> str | None:
        _, token = self._link()
        return reverse("api:shared-thumbnail", args=[token, photo.id]) if photo.thumbnail else None

    def get_original_url(self, photo) -> str | None:
        link, token = self._link()
        return reverse("api:shared-original", args=[token, photo.id]) if link.allow_download else None

    def get_latitude(self, photo) -> float | None:
        return photo.latitude if self.context["link"].show_location else None

    def get_longitude(self, photo) -> float | None:
        return photo.longitude if self.context["link"].show_location else None


class LinkAlbumSerializer(serializers.Serializer):
    name = serializers.CharField()
    owner = serializers.CharField(source="owner.get_username")
    count = serializers.IntegerField()
    allow_download = serializers.BooleanField()
    show_location = serializers.BooleanField()


class SharedAlbumSerializer(serializers.Serializer):
    album = LinkAlbumSerializer()
    photos = LinkPhotoSerializer(many=True)
