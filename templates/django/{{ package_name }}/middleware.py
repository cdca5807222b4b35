"""Request ids for the log lines, and host refusals logged in one line."""

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response
from django.views.defaults import bad_request

from .logs import REQUEST_ID_HEADER, current_request_id, request_id_from

# Where Django reports a refused host itself, so existing logging set-ups apply.
security_logger = logging.getLogger("django.security.DisallowedHost")
# The header as Django's request.META names it; headers.get() would first copy
# every header of the request into a new dictionary.
REQUEST_ID_META_KEY = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


class RequestIdMiddleware:
    """Give every request an id for its log lines, and send it back in a header.

    The id is the client's X-Request-ID when that is a plain token, so a
    proxy's id carries through; otherwise a new one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get(REQUEST_ID_META_KEY))
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
            if response.status_code >= 400:
                # Django logs an error response once the middleware has
                # returned, without the id; logged here, it is not logged again.
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class AllowedHostsMiddleware:
    """Answer a request for a host outside ALLOWED_HOSTS with 400 and one warning.

    Without it Django refuses such a request in whichever middleware asks for
    the host first, and logs an error with a full traceback: bots probing
    servers by address would fill the log.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost as refusal:
            response = bad_request(request, refusal)
            host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME")
            log_response(
                "Refused a request for host %r",
                host,
                response=response,
                request=request,
                logger=security_logger,
            )
            return response
        return self.get_response(request)
