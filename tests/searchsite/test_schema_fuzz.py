"""Schemathesis against the live OpenAPI schema (/api/schema/), as a signed-in user with a real API token:
whatever it sends, the API never answers 5xx, and every 4xx carries a JSON body.

`make test` runs a bounded number of examples per operation (FUZZ_EXAMPLES, default 8); a longer run is e.g.
`FUZZ_EXAMPLES=300 scripts/test.sh tests/searchsite/test_schema_fuzz.py --hypothesis-show-statistics`.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accounts.services import token_rotate
from tests.factories import PhotoFactory, UserFactory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture(autouse=True)
def keep_db_connection():
    """As Django's test client does: a finished request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    """A user with a photo (so that some generated ids exist) and a live API token."""
    user = UserFactory()
    PhotoFactory(owner=user)
    return token_rotate(user=user)


# The app itself, called in-process through WSGI like a real client (the schema needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_no_5xx_and_json_for_every_4xx(case, token):
    response = case.call(headers={"Authorization": f"Token {token}", "Accept-Encoding": "identity"})
    where = f"{case.method} {case.formatted_path} → {response.status_code}\n{case.as_curl_command()}"
    assert response.status_code < 500, f"{where}\n{response.content[:500]!r}"
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), where
        json.loads(response.content)
