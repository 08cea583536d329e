"""`Authorization: Token <key>` against the hashed keys of accounts.ApiToken."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from . import selectors


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user = selectors.token_user(key=key)
        if user is None:
            raise AuthenticationFailed("Invalid token.")
        return user, key
