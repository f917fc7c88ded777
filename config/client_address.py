"""The client's address, as far as the configured trusted proxies vouch for it."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR without trusted proxies (a client's X-Forwarded-For is then ignored); with N
    trusted proxies, the Nth address from the right of X-Forwarded-For.

    A header shorter than N entries, or an entry that is no address, did not come through all
    the proxies as configured: the request then counts under the nearest proxy's address, which
    throttles too much rather than letting a client pick its own address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    return candidate if is_address(candidate) else remote
