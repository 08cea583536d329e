"""The photo API. Thin: parse, call one service or selector, render."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..media import photo_file_response
from .pagination import PhotoPagination
from .serializers import (
    BulkDeleteResultSerializer,
    BulkResultSerializer,
    BulkTagSerializer,
    PhotoFilterSerializer,
    PhotoIdsSerializer,
    PhotoSerializer,
    TagDecisionSerializer,
    TagInputSerializer,
    UploadResultSerializer,
)


class PhotoListApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(parameters=[PhotoFilterSerializer], responses=PhotoSerializer(many=True))
    def get(self, request):
        filters = PhotoFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        photos = selectors.photo_list(owner=request.user, filters=filters.validated_data)
        paginator = PhotoPagination()
        page = paginator.paginate_queryset(photos, request, view=self)
        return paginator.get_paginated_response(PhotoSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": {"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        responses={201: UploadResultSerializer, 200: UploadResultSerializer, 400: UploadResultSerializer},
    )
    def post(self, request):
        """Upload one or many files (field ``files``): 201 if any was stored, 200 if all were duplicates; if none
        was, 429 (with Retry-After) past the upload rate, 413 past the storage quota, else 400."""
        files = request.FILES.getlist("files")
        if not files:
            raise APIValidationError({"files": ["Attach one or more files in the multipart field “files”."]})
        result = services.photos_upload(owner=request.user, files=files)
        if result.created:
            code = status.HTTP_201_CREATED
        elif result.duplicates:
            code = status.HTTP_200_OK
        elif waits := [r["retry_after"] for r in result.rejected if "retry_after" in r]:
            return Response(UploadResultSerializer(result).data, status=status.HTTP_429_TOO_MANY_REQUESTS,
                            headers={"Retry-After": str(min(waits))})
        elif any(r["code"] == "storage_quota" for r in result.rejected):
            code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(UploadResultSerializer(result).data, status=code)


class PhotoDetailApi(APIView):
    @extend_schema(responses=PhotoSerializer)
    def get(self, request, id: int):
        return Response(PhotoSerializer(selectors.photo_get(owner=request.user, id=id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, id: int):
        services.photo_delete(photo=selectors.photo_get(owner=request.user, id=id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhotoRetryApi(APIView):
    @extend_schema(request=None, responses=PhotoSerializer)
    def post(self, request, id: int):
        photo = services.photo_retry(photo=selectors.photo_get(owner=request.user, id=id))
        return Response(PhotoSerializer(photo).data, status=status.HTTP_202_ACCEPTED)


class PhotoTagsApi(APIView):
    """Add (POST) or remove (DELETE) one of the owner's own tags; PATCH accepts or rejects a suggestion."""

    def _change(self, request, id: int, *, input_class, data, change, code=status.HTTP_200_OK) -> Response:
        photo = selectors.photo_get(owner=request.user, id=id)  # 404 before the input is looked at
        serializer = input_class(data=data)
        serializer.is_valid(raise_exception=True)
        change(photo=photo, **serializer.validated_data)
        # Re-read: the answer shows the photo's tags as they are now.
        return Response(PhotoSerializer(selectors.photo_get(owner=request.user, id=id)).data, status=code)

    @extend_schema(request=TagInputSerializer, responses=PhotoSerializer)
    def post(self, request, id: int):
        return self._change(request, id, input_class=TagInputSerializer, data=request.data,
                            change=services.tag_add, code=status.HTTP_201_CREATED)

    @extend_schema(request=TagDecisionSerializer, responses=PhotoSerializer)
    def patch(self, request, id: int):
        return self._change(request, id, input_class=TagDecisionSerializer, data=request.data,
                            change=services.tag_decide)

    @extend_schema(parameters=[OpenApiParameter("name", str, required=True)], responses=PhotoSerializer)
    def delete(self, request, id: int):
        return self._change(request, id, input_class=TagInputSerializer,
                            data={"name": request.query_params.get("name", "")}, change=services.tag_remove)


class PhotoFileApi(APIView):
    """The original or the thumbnail, to the owner only."""

    which = "original"

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request, id: int):
        return photo_file_response(selectors.photo_get(owner=request.user, id=id), which=self.which)


class PhotoBulkTagsApi(APIView):
    """One tag action on many photos in one request. Any id that is not yours → 404, and nothing changes."""

    @extend_schema(request=BulkTagSerializer, responses=BulkResultSerializer)
    def post(self, request):
        params = BulkTagSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        ids, name, action = (params.validated_data[key] for key in ("ids", "name", "action"))
        if action == "add":
            changed = services.tags_bulk_add(owner=request.user, photo_ids=ids, name=name)
        elif action == "remove":
            changed = services.tags_bulk_remove(owner=request.user, photo_ids=ids, name=name)
        else:
            changed = services.tags_bulk_decide(owner=request.user, photo_ids=ids, name=name,
                                                accept=action == "accept")
        return Response({"changed": changed})


class PhotoBulkDeleteApi(APIView):
    """Delete many photos in one request: originals, thumbnails, vectors and index entries. Any id that is not
    yours → 404, and nothing is deleted."""

    @extend_schema(request=PhotoIdsSerializer, responses=BulkDeleteResultSerializer)
    def post(self, request):
        params = PhotoIdsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return Response({"deleted": services.photos_delete(owner=request.user, photo_ids=params.validated_data["ids"])})
