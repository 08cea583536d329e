"""Register and obtain a token: the two unauthenticated API endpoints."""
from django.contrib.auth import authenticate
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import services


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class AnonymousCredentialsApi(APIView):
    """Takes a username and password from anyone; throttled per client, since it guards password guessing."""

    permission_classes = [AllowAny]
    authentication_classes = []  # anonymous by design, so no CSRF-bearing session is involved
    throttle_classes = [ScopedRateThrottle]
    serializer_class = CredentialsSerializer


class RegisterApi(AnonymousCredentialsApi):
    throttle_scope = "register"

    def post(self, request):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response({"id": user.id, "username": user.username}, status=status.HTTP_201_CREATED)


class TokenApi(AnonymousCredentialsApi):
    throttle_scope = "token"

    def post(self, request):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            raise AuthenticationFailed("Unknown username or wrong password.")
        return Response({"token": services.token_get_or_create(user=user).key})
