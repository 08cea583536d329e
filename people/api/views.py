"""The people API. Thin: parse, call one service or selector, render. Another user's ids are 404."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from gallery.api.serializers import validated

from .. import selectors, services
from .serializers import (
    FaceAssignSerializer,
    FaceNameSerializer,
    FaceSerializer,
    FacesSettingsSerializer,
    PersonMergeSerializer,
    PersonPatchSerializer,
    PersonSerializer,
)


class PersonListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Names starting with this (autocomplete)")],
        responses=PersonSerializer(many=True),
    )
    def get(self, request):
        """Your persons, named first; ?q= keeps the named ones whose name (or a word of it) starts with q."""
        prefix = request.query_params.get("q", "").strip()[:100]
        persons = selectors.person_list(owner=request.user, name_prefix=prefix or None)
        return Response({"results": PersonSerializer(persons, many=True).data})


class PersonDetailApi(APIView):
    @extend_schema(responses=PersonSerializer)
    def get(self, request, id: int):
        return Response(PersonSerializer(selectors.person_get(owner=request.user, id=id)).data)

    @extend_schema(request=PersonPatchSerializer, responses=PersonSerializer)
    def patch(self, request, id: int):
        person = selectors.person_get(owner=request.user, id=id)
        params = validated(PersonPatchSerializer, request.data)
        cover = selectors.face_get(owner=request.user, id=params["cover"]) if "cover" in params else None
        services.person_update(person=person, name=params.get("name"), hidden=params.get("hidden"), cover=cover)
        return Response(PersonSerializer(selectors.person_get(owner=request.user, id=id)).data)


class PersonMergeApi(APIView):
    @extend_schema(request=PersonMergeSerializer, responses=PersonSerializer)
    def post(self, request, id: int):
        """Move all of this person's faces to ``into`` and delete this person."""
        person = selectors.person_get(owner=request.user, id=id)
        into = selectors.person_get(owner=request.user, id=validated(PersonMergeSerializer, request.data)["into"])
        services.person_merge(person=person, into=into)
        return Response(PersonSerializer(selectors.person_get(owner=request.user, id=into.id)).data)


class PeopleReclusterApi(APIView):
    @extend_schema(request=None, responses={202: None})
    def post(self, request):
        """Group your faces again from scratch (in the background); your names, hidden persons and the faces
        you placed stay as they are."""
        services.people_recluster_schedule(owner=request.user)
        return Response(status=status.HTTP_202_ACCEPTED)


class FaceAssignApi(APIView):
    @extend_schema(request=FaceAssignSerializer, responses=FaceSerializer)
    def post(self, request, id: int):
        face = selectors.face_get(owner=request.user, id=id)
        person_id = validated(FaceAssignSerializer, request.data)["person"]
        person = selectors.person_get(owner=request.user, id=person_id) if person_id is not None else None
        face = services.face_assign(face=face, person=person)
        return Response(FaceSerializer(face).data)


class FaceNameApi(APIView):
    @extend_schema(request=FaceNameSerializer, responses=FaceSerializer)
    def post(self, request, id: int):
        """ "Who is this?": put the face on your person of this name (made if new); naming a face of an unnamed
        person names that person."""
        face = selectors.face_get(owner=request.user, id=id)
        face = services.face_name(face=face, name=validated(FaceNameSerializer, request.data)["name"])
        face.refresh_from_db()
        return Response(FaceSerializer(face).data)


class FaceCropApi(APIView):
    """A face's crop (JPEG), to the owner only."""

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    def get(self, request, id: int):
        response = HttpResponse(bytes(selectors.face_get(owner=request.user, id=id).crop), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'"
        return response


class FacesSettingsApi(APIView):
    @extend_schema(responses=FacesSettingsSerializer)
    def get(self, request):
        """Whether faces are found and grouped for your account, and how far the faces pass has got."""
        return Response(selectors.faces_progress(owner=request.user))

    @extend_schema(request=FacesSettingsSerializer, responses=FacesSettingsSerializer)
    def patch(self, request):
        """enabled=false deletes every face and person of your account; true finds them again."""
        services.faces_enable(owner=request.user, enabled=validated(FacesSettingsSerializer, request.data)["enabled"])
        return Response(selectors.faces_progress(owner=request.user))
