"""Production: secrets and hosts must come from the environment; `manage.py check --deploy` passes.

`make run` serves with these settings too, on one machine over plain HTTP (http://127.0.0.1:8000): scripts/run.sh
sets HTTPS=false, which leaves out only what works behind TLS alone (secure-only cookies, HTTPS redirects, HSTS).
DEBUG is off either way (no tracebacks, no URL lists, static files from WhiteNoise), whatever the environment says.
"""

import os

os.environ["DEBUG"] = "false"

from .base import *  # noqa: F403
from .base import env

if len(SECRET_KEY) < 50:  # noqa: F405
    raise RuntimeError("SECRET_KEY must be set to a random string of at least 50 characters in production.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
HTTPS = env.bool("HTTPS", default=True)  # false: plain HTTP on one machine (`make run`), never facing a network

# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS and env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
