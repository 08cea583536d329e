"""The photo API. Thin: parse, call one service or selector, render."""

from django.http import Http404
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
    AlbumInputSerializer,
    AlbumListFilterSerializer,
    AlbumPatchSerializer,
    AlbumSerializer,
    BulkArchiveSerializer,
    BulkDeleteResultSerializer,
    BulkFavouriteSerializer,
    BulkResultSerializer,
    BulkTagSerializer,
    PhotoDetailSerializer,
    PhotoFilterSerializer,
    PhotoIdsSerializer,
    PhotoPatchSerializer,
    PhotoSerializer,
    PlaceSerializer,
    SharedPhotoSerializer,
    TagDecisionSerializer,
    TagInputSerializer,
    TrashedPhotoSerializer,
    UploadResultSerializer,
    photos_as_seen,
    validated,
)


def _changed(count: int) -> Response:
    return Response({"changed": count})


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
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
            }
        },
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
            return Response(
                UploadResultSerializer(result).data,
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(min(waits))},
            )
        elif any(r["code"] == "storage_quota" for r in result.rejected):
            code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        else:
            code = status.HTTP_400_BAD_REQUEST
        return Response(UploadResultSerializer(result).data, status=code)


class PlaceListApi(APIView):
    @extend_schema(responses=PlaceSerializer(many=True))
    def get(self, request):
        """The places of your photos with their photo counts, most photos first (filter with /api/photos/?place=)."""
        return Response(PlaceSerializer(selectors.place_counts(owner=request.user), many=True).data)


class PhotoDetailApi(APIView):
    @extend_schema(responses=PhotoDetailSerializer)
    def get(self, request, id: int):
        """Your photo, or (as SharedPhotoSerializer, read-only) one in an album shared with you."""
        access = selectors.photo_access(user=request.user, id=id)
        if not access.owner:
            return Response(SharedPhotoSerializer(access.photo).data)
        return Response(PhotoDetailSerializer(access.photo).data)

    @extend_schema(request=PhotoPatchSerializer, responses=PhotoDetailSerializer)
    def patch(self, request, id: int):
        photo = selectors.photo_get(owner=request.user, id=id)
        params = validated(PhotoPatchSerializer, request.data)
        services.photos_favourite(owner=request.user, photo_ids=[photo.id], favourite=params["favourite"])
        return Response(PhotoDetailSerializer(selectors.photo_get(owner=request.user, id=id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, id: int):
        """Move the photo to the trash (restorable for TRASH_KEEP_DAYS; see /api/trash/)."""
        services.photos_trash(owner=request.user, photo_ids=[selectors.photo_get(owner=request.user, id=id).id])
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
        return self._change(
            request,
            id,
            input_class=TagInputSerializer,
            data=request.data,
            change=services.tag_add,
            code=status.HTTP_201_CREATED,
        )

    @extend_schema(request=TagDecisionSerializer, responses=PhotoSerializer)
    def patch(self, request, id: int):
        return self._change(
            request, id, input_class=TagDecisionSerializer, data=request.data, change=services.tag_decide
        )

    @extend_schema(parameters=[OpenApiParameter("name", str, required=True)], responses=PhotoSerializer)
    def delete(self, request, id: int):
        return self._change(
            request,
            id,
            input_class=TagInputSerializer,
            data={"name": request.query_params.get("name", "")},
            change=services.tag_remove,
        )


class PhotoFileApi(APIView):
    """The original or the thumbnail, to its owner, or to members of an album it is in (originals without
    their location)."""

    which = "original"

    @extend_schema(responses={(200, "image/*"): bytes})
    def get(self, request, id: int):
        access = selectors.photo_access(user=request.user, id=id, trashed=True)
        return photo_file_response(access.photo, which=self.which, owner=access.owner, strip_location=not access.owner)


class PhotoBulkTagsApi(APIView):
    """One tag action on many photos in one request. Any id that is not yours → 404, and nothing changes."""

    @extend_schema(request=BulkTagSerializer, responses=BulkResultSerializer)
    def post(self, request):
        params = validated(BulkTagSerializer, request.data)
        ids, name, action = (params[key] for key in ("ids", "name", "action"))
        if action == "add":
            changed = services.tags_bulk_add(owner=request.user, photo_ids=ids, name=name)
        elif action == "remove":
            changed = services.tags_bulk_remove(owner=request.user, photo_ids=ids, name=name)
        else:
            changed = services.tags_bulk_decide(owner=request.user, photo_ids=ids, name=name, accept=action == "accept")
        return Response({"changed": changed})


class PhotoBulkDeleteApi(APIView):
    """Delete many photos in one request: originals, thumbnails, vectors and index entries. Any id that is not
    yours → 404, and nothing is deleted."""

    @extend_schema(request=PhotoIdsSerializer, responses=BulkDeleteResultSerializer)
    def post(self, request):
        params = PhotoIdsSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return Response({"deleted": services.photos_delete(owner=request.user, photo_ids=params.validated_data["ids"])})


class PhotoBulkFavouriteApi(APIView):
    """Mark (favourite=true) or unmark many photos. Any id that is not yours → 404, and nothing changes."""

    @extend_schema(request=BulkFavouriteSerializer, responses=BulkResultSerializer)
    def post(self, request):
        params = validated(BulkFavouriteSerializer, request.data)
        return _changed(
            services.photos_favourite(owner=request.user, photo_ids=params["ids"], favourite=params["favourite"])
        )


class PhotoBulkArchiveApi(APIView):
    """Archive (hide from the timeline, keep in albums and search) or unarchive many photos. Any id that is not
    yours → 404, and nothing changes."""

    @extend_schema(request=BulkArchiveSerializer, responses=BulkResultSerializer)
    def post(self, request):
        params = validated(BulkArchiveSerializer, request.data)
        return _changed(
            services.photos_archive(owner=request.user, photo_ids=params["ids"], archived=params["archived"])
        )


class PhotoBulkTrashApi(APIView):
    """Move many photos to the trash."""

    @extend_schema(request=PhotoIdsSerializer, responses=BulkResultSerializer)
    def post(self, request):
        return _changed(
            services.photos_trash(owner=request.user, photo_ids=validated(PhotoIdsSerializer, request.data)["ids"])
        )


class TrashApi(APIView):
    """The photos in your trash (GET), or empty it (DELETE): those photos are deleted for good."""

    @extend_schema(responses=TrashedPhotoSerializer(many=True))
    def get(self, request):
        paginator = PhotoPagination()
        page = paginator.paginate_queryset(selectors.trash_list(owner=request.user), request, view=self)
        return paginator.get_paginated_response(TrashedPhotoSerializer(page, many=True).data)

    @extend_schema(responses=BulkResultSerializer)
    def delete(self, request):
        return _changed(services.trash_empty(owner=request.user))


class TrashRestoreApi(APIView):
    """Put photos from the trash back in the gallery. Ids not in your trash → 404, and nothing changes."""

    @extend_schema(request=PhotoIdsSerializer, responses=BulkResultSerializer)
    def post(self, request):
        return _changed(
            services.photos_restore(owner=request.user, photo_ids=validated(PhotoIdsSerializer, request.data)["ids"])
        )


class TrashDeleteApi(APIView):
    """Delete photos in the trash for good: files, vectors and index entries. Ids not in your trash → 404."""

    @extend_schema(request=PhotoIdsSerializer, responses=BulkResultSerializer)
    def post(self, request):
        return _changed(
            services.photos_delete_forever(
                owner=request.user, photo_ids=validated(PhotoIdsSerializer, request.data)["ids"]
            )
        )


class AlbumListApi(APIView):
    @extend_schema(parameters=[AlbumListFilterSerializer], responses=AlbumSerializer(many=True))
    def get(self, request):
        """Your albums, or (?shared=true) the albums other accounts shared with you."""
        if validated(AlbumListFilterSerializer, request.query_params)["shared"]:
            albums = selectors.album_shared_list(user=request.user)
        else:
            albums = selectors.album_list(owner=request.user)
        return Response({"results": AlbumSerializer(albums, many=True).data})

    @extend_schema(request=AlbumInputSerializer, responses={201: AlbumSerializer})
    def post(self, request):
        params = validated(AlbumInputSerializer, request.data)
        album = services.album_create(owner=request.user, name=params["name"], photo_ids=params.get("ids", []))
        return Response(
            AlbumSerializer(selectors.album_get(owner=request.user, id=album.id)).data, status=status.HTTP_201_CREATED
        )


class AlbumDetailApi(APIView):
    """An album; its photos are GET /api/photos/?album=ID."""

    @extend_schema(responses=AlbumSerializer)
    def get(self, request, id: int):
        """Yours or shared with you; only the owner renames, sets the cover or deletes."""
        access = selectors.album_access(user=request.user, id=id)
        access.album.role = access.role
        return Response(AlbumSerializer(access.album).data)

    @extend_schema(request=AlbumPatchSerializer, responses=AlbumSerializer)
    def patch(self, request, id: int):
        album = selectors.album_get(owner=request.user, id=id)
        params = validated(AlbumPatchSerializer, request.data)
        if "name" in params:
            services.album_rename(album=album, name=params["name"])
        if "cover" in params:
            services.album_set_cover(album=album, photo_id=params["cover"])
        return Response(AlbumSerializer(selectors.album_get(owner=request.user, id=id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, id: int):
        """Delete the album; its photos stay in your gallery."""
        services.album_delete(album=selectors.album_get(owner=request.user, id=id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlbumPhotosApi(APIView):
    """The album's photos (GET, whoever added them; others' photos as SharedPhotoSerializer), add photos of
    yours (POST) or take them out (POST …/remove/). The owner and contributors add; the owner takes out any,
    a contributor what they added. Ids beyond that → 404, nothing changes; viewers → 404."""

    remove = False

    @extend_schema(responses=PhotoSerializer(many=True))
    def get(self, request, id: int):
        access = selectors.album_access(user=request.user, id=id)
        paginator = PhotoPagination()
        page = paginator.paginate_queryset(selectors.album_photo_list(album=access.album), request, view=self)
        return paginator.get_paginated_response(photos_as_seen(page, user=request.user))

    @extend_schema(request=PhotoIdsSerializer, responses=BulkResultSerializer)
    def post(self, request, id: int):
        access = selectors.album_access(user=request.user, id=id)
        if not access.may_add:
            raise Http404("No such album.")
        ids = validated(PhotoIdsSerializer, request.data)["ids"]
        change = services.album_photos_remove if self.remove else services.album_photos_add
        return _changed(change(album=access.album, photo_ids=ids, by=request.user))
