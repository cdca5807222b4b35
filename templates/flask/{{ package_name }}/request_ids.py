"""The request id: set for the log lines of each request and sent back to the client."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from flask import Flask

from .logs import REQUEST_ID_HEADER, current_request_id, request_id_from

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class RequestIdMiddleware:
    """WSGI middleware around the whole app, so that every line of a request has its id.

    Outside Flask, the id is also on the lines of errors that Flask's own
    request handling logs, and in the response to a request Flask refuses
    (an untrusted host). A middleware costs one call per request where
    Flask's hooks cost three.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Handle the request with its id set, then forget the id."""
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID"))

        def start_with_id(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
        ) -> Callable[[bytes], object]:
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        token = current_request_id.set(request_id)
        try:
            return self.app(environ, start_with_id)
        finally:
            # Lines logged after the request (by the server) show no id.
            current_request_id.reset(token)


def init_app(app: Flask) -> None:
    """Wrap the app as it is now: call this last, so that the id is outermost."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)  # type: ignore[method-assign]
