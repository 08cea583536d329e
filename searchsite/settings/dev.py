"""Local development: `make dev`. A random SECRET_KEY is written to .env on first run by the Makefile."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
