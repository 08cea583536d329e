from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A user's API token (one per user). Only the key's SHA-256 is stored, so a leaked database or backup
    holds no usable token; the key is shown once, when it is issued. It dies with any password change: the
    token carries the fingerprint of the password it was issued under (Django's session auth hash)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown on the token page, to tell which token is live
    password_fingerprint = models.CharField(max_length=128)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Invite(models.Model):
    """A one-use sign-up link an admin made, for SIGNUP = "invite". Only the key's SHA-256 is stored, as for
    tokens, so the database cannot be read for usable links; the link is shown once, when it is made."""

    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown on the invites page, to tell links apart
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites_made")
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_by = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="invite"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… by {self.created_by}"
