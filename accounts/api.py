"""Register and obtain a token: the two unauthenticated API endpoints."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services, throttling


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class RegisterSerializer(CredentialsSerializer):
    invite = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text='The key of an invite link (SIGNUP = "invite").'
    )


class AnonymousCredentialsApi(APIView):
    """Takes a username and password from anyone; throttled by accounts/throttling.py like the web pages."""

    permission_classes = [AllowAny]
    authentication_classes = []  # anonymous by design, so no CSRF-bearing session is involved
    serializer_class = CredentialsSerializer

    def get_authenticate_header(self, request):
        return "Token"  # wrong credentials are a 401, like every other API refusal of who you are


class RegisterApi(AnonymousCredentialsApi):
    """Create an account as SIGNUP allows: 403 when sign-up is closed to the caller, 400 for a bad invite."""

    serializer_class = RegisterSerializer

    def post(self, request):
        throttling.address_check(request)
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response({"id": user.id, "username": user.username}, status=status.HTTP_201_CREATED)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenApi(AnonymousCredentialsApi):
    """A new API token for a username and password; the user's previous token stops working."""

    @extend_schema(request=CredentialsSerializer, responses=TokenSerializer)
    def post(self, request):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)  # throttled by the backend, before hashing
        if user is None:
            raise AuthenticationFailed("Unknown username or wrong password.")
        return Response({"token": services.token_rotate(user=user)})


class TokenRotateApi(APIView):
    """A new token for the caller (by token or session); the old one stops working at once."""

    @extend_schema(request=None, responses=TokenSerializer)
    def post(self, request):
        return Response({"token": services.token_rotate(user=request.user)})


class TokenRevokeApi(APIView):
    """Revoke the caller's token; scripts need a new one from /api/auth/token/ or the token page."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
