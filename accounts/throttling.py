"""One throttle for every door that checks a password or creates an account.

Web log-in (and the admin's), the API token endpoint, web sign-up and API register all go through here, and
always *before* a password is hashed, so a flood of guesses costs the server a cache round trip, not a hash:

- per client address: ``AUTH_RATE_PER_ADDRESS`` attempts per window, counted atomically in the Django cache
  (Redis, shared by every web process). The address is the one ``NUM_PROXIES`` trusted proxies saw (DRF's
  rule), so a client cannot pick its own with ``X-Forwarded-For``; IPv6 clients are counted per /64, the
  block one subscriber usually holds.
- per account: after ``AUTH_FREE_FAILURES`` failed passwords, each further attempt waits twice as long as the
  one before (1 s, 2 s, 4 s, ... up to ``AUTH_BACKOFF_MAX_SECONDS``), whatever address it comes from. Each
  attempt takes its number atomically before the password is checked, so concurrent guesses cannot share one
  slot. An address the account logged in from before is exempt, so an attacker cannot lock its owner out.

Share links (gallery) reuse both: a link's password goes through ``attempt_begin`` as if the link were an
account, and tokens that name no live link are counted per address (``misses_check`` / ``miss_record``), so
guessing tokens from one address stops after ``SHARE_MISSES_PER_ADDRESS`` misses while a good link's own
requests (a page of thumbnails) never count.

Refusals raise DRF's ``Throttled``: the API turns it into a JSON 429 with ``Retry-After``, and
``accounts.middleware.ThrottledPageMiddleware`` into a 429 page.
"""

import hashlib
import ipaddress
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

KNOWN_ADDRESS_SECONDS = 60 * 60 * 24 * 60  # how long a successful log-in exempts its address from the backoff


class AddressThrottle(SimpleRateThrottle):
    """Attempts per client address in fixed windows; the count is a cache INCR, so concurrent requests can't
    both slip under the limit (DRF's own throttles rewrite a list and lose updates under concurrency)."""

    scope = "auth"

    def get_rate(self) -> str:
        return settings.AUTH_RATE_PER_ADDRESS  # read per request, not frozen at import like DRF's rates

    def get_ident(self, request) -> str:
        address = super().get_ident(request)  # REMOTE_ADDR, or the entry NUM_PROXIES trusted proxies added
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return address
        return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        cache.add(key, 0, timeout=self.duration + 1)
        self.wait_seconds = (window + 1) * self.duration - now
        return cache.incr(key) <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class MissThrottle(AddressThrottle):
    """Failed guesses (share-link tokens that name nothing) per client address, in fixed windows."""

    scope = "share-miss"

    def get_rate(self) -> str:
        return settings.SHARE_MISSES_PER_ADDRESS

    def _key(self, request) -> str:
        self.wait_seconds = (int(self.timer() // self.duration) + 1) * self.duration - self.timer()
        return f"{self.get_cache_key(request, None)}:{int(self.timer() // self.duration)}"


def misses_check(request) -> None:
    """Raise Throttled if this address has used up its misses (looked at before any lookup, counted by none)."""
    throttle = MissThrottle()
    if (cache.get(throttle._key(request)) or 0) >= throttle.num_requests:
        raise Throttled(
            wait=math.ceil(throttle.wait()),
            detail=f"Too many wrong links from your address. Try again in {_duration(throttle.wait())}.",
        )


def miss_record(request) -> None:
    """Count one token that named no live link (or a wrong link password) against this address."""
    throttle = MissThrottle()
    key = throttle._key(request)
    cache.add(key, 0, timeout=throttle.duration + 1)
    cache.incr(key)


def address_check(request) -> None:
    """Count one attempt from this request's address; raise Throttled past the rate."""
    throttle = AddressThrottle()
    if not throttle.allow_request(request, None):
        raise Throttled(
            wait=math.ceil(throttle.wait()),
            detail=f"Too many log-in or sign-up attempts from your address (limit {settings.AUTH_RATE_PER_ADDRESS})."
            f" Try again in {_duration(throttle.wait())}.",
        )


@dataclass
class Attempt:
    """One password attempt against one account, counted before the password is checked."""

    account: str
    address: str | None
    counted: bool

    def succeeded(self) -> None:
        if self.counted:
            cache.decr(_failures_key(self.account))  # only failures count towards the backoff
        if self.address:
            cache.set(_known_key(self.account, self.address), 1, timeout=KNOWN_ADDRESS_SECONDS)


def attempt_begin(*, request, username: str) -> Attempt:
    """Throttle a password attempt for `username` (per address, then per account); call before hashing."""
    address = None
    if request is not None:
        address_check(request)
        address = AddressThrottle().get_ident(request)
    account = _account(username)
    if address and cache.get(_known_key(account, address)):
        return Attempt(account, address, counted=False)
    key = _failures_key(account)
    cache.add(key, 0, timeout=settings.AUTH_FAILURE_MEMORY_SECONDS)
    number = cache.incr(key)
    cache.touch(key, settings.AUTH_FAILURE_MEMORY_SECONDS)  # forgotten a while after the last attempt
    free = settings.AUTH_FREE_FAILURES
    if number > free:
        delay = min(settings.AUTH_BACKOFF_MAX_SECONDS, 2 ** (number - free - 1))
        until = time.time() + delay
        # One attempt per backoff period: whoever adds the slot goes ahead, everyone else waits for it to expire.
        if not cache.add(_slot_key(account), until, timeout=delay):
            cache.decr(key)  # refused before any password was checked: not a failure
            wait = max(1, math.ceil((cache.get(_slot_key(account)) or until) - time.time()))
            raise Throttled(
                wait=wait,
                detail=f"Too many failed log-ins for this account. Try again in {_duration(wait)}.",
            )
    return Attempt(account, address, counted=True)


def _account(username: str) -> str:
    # Case and Unicode form folded, so "Ann" and "ann" share one counter; hashed, so keys hold no usernames.
    folded = unicodedata.normalize("NFKC", username).casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def _failures_key(account: str) -> str:
    return f"auth:failures:{account}"


def _slot_key(account: str) -> str:
    return f"auth:slot:{account}"


def _known_key(account: str, address: str) -> str:
    return f"auth:known:{account}:{address}"


def _duration(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
