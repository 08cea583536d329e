"""System checks for settings an older release read: set, they would otherwise be ignored without a word."""

from __future__ import annotations

import os

from django.core import checks


@checks.register(checks.Tags.compatibility)
def retired_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if "FACES_DETECT_SIDE" not in os.environ:
        return []
    return [
        checks.Warning(
            "FACES_DETECT_SIDE is no longer read: faces are looked for on a copy of about FACES_DETECT_PIXELS pixels.",
            hint="Remove FACES_DETECT_SIDE; to change the size, set FACES_DETECT_PIXELS (README: settings).",
            id="people.W001",
        )
    ]
