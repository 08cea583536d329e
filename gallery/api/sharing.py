"""Sharing API: the owner's links and members, and an album seen through a link (no account). Thin, like the
rest: who may see what is gallery.selectors (photo_access, album_access, link_photo_get), writes are services."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..media import photo_file_response
from .serializers import (
    LinkInputSerializer,
    LinkSerializer,
    MemberInputSerializer,
    MemberSerializer,
    SharedAlbumSerializer,
    validated,
)

PASSWORD_HEADER = "X-Share-Password"
# Pages and files seen through a link: never indexed, never cached, the token never sent on as a Referer.
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class AlbumLinksApi(APIView):
    """The album's share links (GET, with views and last use) or a new one (POST). Owner only."""

    @extend_schema(responses=LinkSerializer(many=True))
    def get(self, request, id: int):
        album = selectors.album_get(owner=request.user, id=id)
        return Response({"results": LinkSerializer(selectors.link_list(album=album), many=True).data})

    @extend_schema(request=LinkInputSerializer, responses={201: LinkSerializer})
    def post(self, request, id: int):
        """The answer holds the token and the page's URL; they are not shown again (only a hash is stored)."""
        album = selectors.album_get(owner=request.user, id=id)
        link, token = services.link_create(album=album, **validated(LinkInputSerializer, request.data))
        data = LinkSerializer(link, context={"token": token, "request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class AlbumLinkDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, id: int, link_id: int):
        """Revoke the link: the next request through it is a 404."""
        link = selectors.link_get(album=selectors.album_get(owner=request.user, id=id), id=link_id)
        services.link_revoke(link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlbumMembersApi(APIView):
    """The accounts the album is shared with (GET) or one more, or a new role for one (POST). Owner only."""

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, id: int):
        album = selectors.album_get(owner=request.user, id=id)
        return Response({"results": MemberSerializer(selectors.album_members(album=album), many=True).data})

    @extend_schema(request=MemberInputSerializer, responses={201: MemberSerializer})
    def post(self, request, id: int):
        album = selectors.album_get(owner=request.user, id=id)
        member = services.member_add(album=album, **validated(MemberInputSerializer, request.data))
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class AlbumMemberDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, id: int, user_id: int):
        """The owner removes a member, or a member leaves (their own user id). Effective on the next request."""
        access = selectors.album_access(user=request.user, id=id)
        if not access.owner and user_id != request.user.pk:
            raise Http404("No such member.")
        services.member_remove(member=selectors.album_member_get(album=access.album, user_id=user_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordRequired(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = f"This link needs its password: send it in the {PASSWORD_HEADER} header."
    default_code = "password_required"


class _LinkApi(APIView):
    """Base of the views reached through a link: no account (nor its CSRF), the link checked on each request."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def link(self, request, token: str):
        try:
            return services.link_open(request=request, token=token, password=request.headers.get(PASSWORD_HEADER))
        except services.LinkPasswordRequired:
            raise PasswordRequired() from None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for header, value in PUBLIC_HEADERS.items():
            response.setdefault(header, value)
        if response.status_code == status.HTTP_401_UNAUTHORIZED:
            response["WWW-Authenticate"] = f'{PASSWORD_HEADER} realm="shared album"'
        return response


TOKEN_PARAM = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The link's token")
PASSWORD_PARAM = OpenApiParameter(PASSWORD_HEADER, str, OpenApiParameter.HEADER, required=False)


class SharedAlbumApi(_LinkApi):
    """An album through its share link: its name and its photos (each URL works with this link only). A wrong,
    expired or revoked link, or a wrong password, is 404; a missing password 401."""

    @extend_schema(parameters=[TOKEN_PARAM, PASSWORD_PARAM], responses=SharedAlbumSerializer)
    def get(self, request, token: str):
        link = self.link(request, token)
        services.link_viewed(link=link)
        photos = list(selectors.link_photos(link=link))
        album = {
            "name": link.album.name,
            "owner": link.album.owner,
            "count": len(photos),
            "allow_download": link.allow_download,
            "show_location": link.show_location,
        }
        context = {"link": link, "token": token}
        return Response(SharedAlbumSerializer({"album": album, "photos": photos}, context=context).data)


class SharedPhotoFileApi(_LinkApi):
    """A photo of the link's album: the thumbnail, or the original if the link allows downloads (without its
    EXIF GPS unless the link shows locations)."""

    which = "thumbnail"

    @extend_schema(parameters=[TOKEN_PARAM, PASSWORD_PARAM], responses={(200, "image/*"): bytes})
    def get(self, request, token: str, id: int):
        link = self.link(request, token)
        if self.which == "original" and not link.allow_download:
            raise Http404("No such file.")
        photo = selectors.link_photo_get(link=link, id=id)
        return photo_file_response(photo, which=self.which, owner=False, strip_location=not link.show_location)
