from django.urls import reverse
from rest_framework import serializers

from ..models import Person
from ..selectors import MAX_ID, person_thumbnail_face_id


class PersonSerializer(serializers.ModelSerializer):
    photo_count = serializers.IntegerField(read_only=True, help_text="Photos with this person, outside the trash")
    face_thumbnail_url = serializers.SerializerMethodField(help_text="A crop of their cover (or best) face")

    class Meta:
        model = Person
        fields = ["id", "name", "photo_count", "face_thumbnail_url", "hidden"]

    def get_face_thumbnail_url(self, person: Person) -> str | None:
        face_id = person_thumbnail_face_id(person)
        return reverse("api:face-crop", args=[face_id]) if face_id else None


class PersonPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text='"" unnames them')
    hidden = serializers.BooleanField(required=False)
    cover = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text="One of their faces")

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Give a name, hidden or cover.")
        return attrs


class PersonMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The person who stays")


class FaceAssignSerializer(serializers.Serializer):
    person = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, allow_null=True, help_text='null: "not a person I know"'
    )


class FaceNameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Who this is: an existing person's name, or a new one")


class FaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id", allow_null=True)
    box = serializers.ListField(child=serializers.FloatField(), help_text="x, y, w, h as fractions of the photo")


class FacesSettingsSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="false deletes every face and person of your account")
    photos = serializers.IntegerField(read_only=True, help_text="Your ready photos")
    scanned = serializers.IntegerField(read_only=True, help_text="How many of them the faces pass has seen")
