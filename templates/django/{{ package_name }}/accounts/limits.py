"""Limits per client address: failed log-ins (django-axes), sign-ups and reset e-mails.

Both are counted in Django's cache: each worker process's memory by default,
Redis shared by every worker and server when REDIS_URL is set.
"""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str:
    """The address limits count a client by (django-axes' AXES_CLIENT_IP_CALLABLE).

    The connection's address, unless the site is behind a proxy (BEHIND_PROXY):
    then the address that proxy appended to X-Forwarded-For, the last one. A
    client's own X-Forwarded-For never counts, or any client could give
    itself a fresh allowance with every request.
    """
    if settings.BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return str(request.META.get("REMOTE_ADDR", ""))


def too_many_attempts(
    request: HttpRequest, action: str, retry_after: timedelta
) -> HttpResponse:
    """429 Too Many Requests: Retry-After for scripts, the site's page for people."""
    seconds = int(retry_after.total_seconds())
    response = render(
        request,
        "accounts/too_many_attempts.html",
        {"action": action, "minutes": max(1, round(seconds / 60))},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """The answer to a client that django-axes locked out (AXES_LOCKOUT_CALLABLE)."""
    return too_many_attempts(request, "Logging in", settings.AXES_COOLOFF_TIME)


def attempt_allowed(
    request: HttpRequest, action: str, limit: int, period: timedelta
) -> bool:
    """Count an attempt at `action` by the client; False past `limit` in the period.

    The count starts with the client's first attempt and expires a period
    later; `add` and `incr` are atomic, so workers sharing Redis count exactly.
    """
    key = f"{action}:{client_ip(request)}"
    cache.add(key, 0, timeout=int(period.total_seconds()))
    return cache.incr(key) <= limit
