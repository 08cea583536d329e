"""`make run`: the production settings' behaviour on one machine over plain HTTP (http://127.0.0.1:8000).

DEBUG is off (no tracebacks, no URL lists, static files from WhiteNoise), but without what only works behind TLS
(secure-only cookies, HTTPS redirects, HSTS). A site reachable from other machines uses searchsite.settings.prod
behind a TLS proxy.
"""

import os

os.environ["DEBUG"] = "false"

from .base import *  # noqa: F403
