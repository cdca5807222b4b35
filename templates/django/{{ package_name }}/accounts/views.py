from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """The answer to a client that django-axes locked out (AXES_LOCKOUT_CALLABLE).

    429 Too Many Requests with Retry-After, so that scripts know when to try
    again, and the site's own page for people.
    """
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "accounts/locked_out.html",
        {"minutes": max(1, round(seconds / 60))},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response
