from rest_framework import serializers

from gallery.api.serializers import PhotoIdField, PhotoSerializer, TimePlaceFilterSerializer
from gallery.images import open_rgb
from gallery.validators import validate_image
from search.query import MAX_K

from .. import components
from ..ml import relevance


class HitSerializer(serializers.Serializer):
    photo = PhotoSerializer()
    score = serializers.FloatField(help_text="on the scale of this kind of search; compare `match` across kinds")
    match = serializers.ChoiceField(
        choices=relevance.LABELS,
        allow_null=True,
        help_text="how close the photo is, on one scale for every kind of search (null: not calibrated)",
    )


class ResultsSerializer(serializers.Serializer):
    results = HitSerializer(many=True)


class OfferedClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TermSerializer(serializers.Serializer):
    word = serializers.CharField(help_text="the word or phrase as typed")
    as_ = serializers.CharField(help_text="how it was understood: thing, place, date, colour, person, tag, text, …")
    shown = serializers.CharField(help_text="how to show it: “Rome, Italy”, “July 2019”")
    negated = serializers.BooleanField(help_text="typed as “-word”: photos that satisfy it are left out")

    def get_fields(self):
        fields = super().get_fields()
        fields["as"] = fields.pop("as_")
        return fields


class SpellingSerializer(serializers.Serializer):
    original = serializers.CharField()
    corrected = serializers.CharField(help_text="the query the results are for")


class TextResultsSerializer(ResultsSerializer):
    terms = TermSerializer(many=True, help_text="how each word of the query was understood, in the order typed")
    spelling = SpellingSerializer(
        allow_null=True, help_text="set when a word nobody knows was corrected; ask again with exact=true to keep it"
    )
    mapping = serializers.DictField(help_text="which text mapping served the query, and the scores that chose it")
    classes = OfferedClassSerializer(many=True, help_text="kinds of thing the words name, to narrow the search to")


class ClassParamMixin:
    """Exposes the ``class_`` field as ``class`` (a Python keyword, so it cannot be declared by that name)."""

    def get_fields(self):
        fields = super().get_fields()
        fields["class"] = fields.pop("class_")
        return fields


class SimilarQuerySerializer(ClassParamMixin, TimePlaceFilterSerializer):
    photo = PhotoIdField()
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)
    class_ = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="ImageNet id or name")


class SimilarUploadSerializer(SimilarQuerySerializer):
    photo = None
    image = serializers.FileField()

    def validate_image(self, upload):
        """The same checks as a stored upload (size, format, bombs, corruption); the image comes back decoded."""
        validate_image(upload)
        return open_rgb(upload, short_side=components.input_size())


class ClassQuerySerializer(ClassParamMixin, TimePlaceFilterSerializer):
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)
    class_ = serializers.CharField(max_length=100, help_text="ImageNet id or name")


class TextQuerySerializer(ClassParamMixin, TimePlaceFilterSerializer):
    q = serializers.CharField(allow_blank=True, max_length=500, trim_whitespace=True)
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)
    photo = PhotoIdField(required=False)
    class_ = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="ImageNet id or name: narrows the words"
    )
    exact = serializers.BooleanField(
        default=False, help_text="search the words as typed: an unknown word is an error instead of corrected"
    )


class SimilarExamplesSerializer(TimePlaceFilterSerializer):
    """ "More like these": JSON body."""

    photos = serializers.ListField(
        child=PhotoIdField(), min_length=1, max_length=100, help_text="ids of your photos to search like"
    )
    not_photos = serializers.ListField(
        child=PhotoIdField(),
        required=False,
        default=list,
        max_length=100,
        help_text="ids of your photos to search unlike",
    )
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)


class WordQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100)
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=10)


class AutocompleteSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=20)


class WordSerializer(serializers.Serializer):
    word = serializers.CharField()
    score = serializers.FloatField()


class WordsSerializer(serializers.Serializer):
    results = WordSerializer(many=True)


class ImageNetClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ClassesSerializer(serializers.Serializer):
    results = ImageNetClassSerializer(many=True)


class DuplicateGroupSerializer(serializers.Serializer):
    photos = PhotoSerializer(many=True, help_text="best copy first")
    best = serializers.IntegerField(source="best.id")
    reason = serializers.CharField(help_text="why the first photo is the best copy")
    similarity = serializers.FloatField(help_text="the lowest cosine among the pairs that hold the group together")


class DuplicateGroupsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    groups = DuplicateGroupSerializer(many=True)


class KeepBestSerializer(serializers.Serializer):
    photos = serializers.ListField(
        child=PhotoIdField(), required=False, max_length=1000, help_text="any photo of each group to resolve"
    )
    keep = serializers.ListField(
        child=PhotoIdField(),
        required=False,
        max_length=1000,
        help_text="the copy to keep of each group it names (instead of the best one)",
    )
    all = serializers.BooleanField(default=False, help_text="resolve every group, keeping each best copy")

    def validate(self, attrs):
        if bool(attrs.get("photos") or attrs.get("keep")) == attrs["all"]:
            raise serializers.ValidationError(
                {"detail": "Give photos (one per group), keep (the copy to keep per group), or all=true."}
            )
        return attrs


class KeepBestResultSerializer(serializers.Serializer):
    kept = serializers.ListField(child=serializers.IntegerField())
    trashed = serializers.ListField(
        child=serializers.IntegerField(), help_text="moved to the trash: POST them to the trash restore API to undo"
    )


class AlbumSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="Words, e.g. cat -dog")
    photo = PhotoIdField(required=False, help_text="A photo of the album to search like (instead of words)")
    k = serializers.IntegerField(min_value=1, max_value=MAX_K, default=20)

    def validate(self, attrs):
        if not attrs.get("q", "").strip() and attrs.get("photo") is None:
            raise serializers.ValidationError({"q": ["Give words (q) or a photo of the album (photo)."]})
        return attrs


class AlbumHitSerializer(serializers.Serializer):
    photo = serializers.DictField(help_text="The photo as you may see it (yours in full, others' as shared)")
    score = serializers.FloatField()
    match = serializers.ChoiceField(choices=relevance.LABELS, allow_null=True)


class AlbumResultsSerializer(serializers.Serializer):
    results = AlbumHitSerializer(many=True)
