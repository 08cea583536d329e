"""Password guessing is throttled per client address and per account, on every door, before any hashing."""

import threading
import time
import uuid
from unittest import mock

import pytest
from django.contrib.auth.backends import ModelBackend
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from accounts import throttling
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def rate(settings):
    def set_rate(per_address: str = "1000/hour", free_failures: int = 1000):
        settings.AUTH_RATE_PER_ADDRESS = per_address
        settings.AUTH_FREE_FAILURES = free_failures

    return set_rate


def token_attempt(username: str, password: str = "wrong password", **headers):
    return APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json", **headers)


def random_address() -> str:
    return f"203.0.113.{uuid.uuid4().int % 250 + 1}"


def test_spoofed_x_forwarded_for_does_not_reset_the_address_throttle(rate):
    rate(per_address="3/hour")
    for i in range(3):
        assert token_attempt(f"user{i}", HTTP_X_FORWARDED_FOR=random_address()).status_code == 401
    response = token_attempt("user9", HTTP_X_FORWARDED_FOR=random_address())
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "from your address" in response.json()["detail"]


def test_the_address_behind_trusted_proxies_is_the_one_throttled(rate, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rate(per_address="2/hour")
    for _ in range(2):
        assert token_attempt("ann", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 401
    # The client may prepend anything; the proxy's own entry (the last one) still names it.
    spoofed = token_attempt("ann", HTTP_X_FORWARDED_FOR="10.9.8.7, 198.51.100.7")
    assert spoofed.status_code == 429
    assert token_attempt("ann", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 401  # another client


def test_ipv6_clients_are_counted_per_64_block(rate):
    rate(per_address="2/hour")
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2"):
        assert token_attempt("ann", REMOTE_ADDR=host).status_code == 401
    assert token_attempt("ann", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert token_attempt("ann", REMOTE_ADDR="2001:db8:1:3::1").status_code == 401


def test_web_login_token_and_sign_up_share_one_address_budget(client, rate):
    rate(per_address="3/hour")
    assert client.post("/accounts/login/", {"username": "ann", "password": "wrong"}).status_code == 200
    assert token_attempt("ann").status_code == 401
    register = APIClient().post("/api/auth/register/", {"username": "bob", "password": PASSWORD}, format="json")
    assert register.status_code == 201
    response = client.post("/accounts/signup/", {"username": "cat", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 429


def test_throttled_web_login_gets_a_429_page_with_retry_after(client, rate):
    rate(per_address="1/hour")
    client.post("/accounts/login/", {"username": "ann", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "ann", "password": "wrong"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert "Too many attempts" in response.content.decode()


def test_account_under_attack_backs_off_exponentially_from_any_address(rate):
    UserFactory(username="ann")
    rate(free_failures=2)
    for _ in range(3):  # two free failures, then the first backoff slot (1 s)
        assert token_attempt("ann", REMOTE_ADDR=random_address()).status_code == 401
    refused = token_attempt("ann", REMOTE_ADDR=random_address())
    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert "for this account" in refused.json()["detail"]
    # Even the right password waits: the attacker can't tell a hit from a refusal.
    assert token_attempt("ann", PASSWORD, REMOTE_ADDR=random_address()).status_code == 429
    time.sleep(1.1)
    assert token_attempt("ann", REMOTE_ADDR=random_address()).status_code == 401  # the next slot ...
    assert token_attempt("ann", REMOTE_ADDR=random_address())["Retry-After"] == "2"  # ... and twice the wait


def test_account_backoff_is_capped(rate, settings):
    settings.AUTH_BACKOFF_MAX_SECONDS = 5
    rate(free_failures=0)
    throttling.cache.set(throttling._failures_key(throttling._account("ann")), 30)  # 2**30 s uncapped
    throttling.attempt_begin(request=None, username="ann")
    with pytest.raises(Throttled) as refused:
        throttling.attempt_begin(request=None, username="ann")
    assert refused.value.wait == 5


def test_usernames_differing_in_case_share_one_account_counter(rate):
    rate(free_failures=1)
    assert token_attempt("Ann").status_code == 401
    assert token_attempt("ann").status_code == 401  # takes the first slot
    assert token_attempt("ANN").status_code == 429


def test_throttled_attempt_hashes_no_password(rate):
    UserFactory(username="ann")
    rate(per_address="1/hour")
    token_attempt("ann")
    with mock.patch.object(ModelBackend, "authenticate") as check:
        for _ in range(5):
            assert token_attempt("ann", PASSWORD).status_code == 429
    check.assert_not_called()


def test_owner_logs_in_from_a_known_address_while_the_account_is_under_attack(client, rate):
    UserFactory(username="ann")
    rate(free_failures=1)
    assert token_attempt("ann", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 200
    for _ in range(3):
        token_attempt("ann", REMOTE_ADDR=random_address())
    assert token_attempt("ann", PASSWORD, REMOTE_ADDR=random_address()).status_code == 429
    assert token_attempt("ann", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 200


def test_concurrent_guesses_cannot_share_a_backoff_slot(rate):
    rate(free_failures=3)
    passed, refused = [], []
    start = threading.Barrier(8)

    def guess():
        start.wait()
        try:
            throttling.attempt_begin(request=None, username="ann")
            passed.append(1)
        except Throttled:
            refused.append(1)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(passed), len(refused)) == (4, 4)  # three free attempts and one slot
