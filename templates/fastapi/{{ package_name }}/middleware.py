"""Pure ASGI middleware: request ids, the Host header check and security headers.

Each one looks at the connection scope and the response's first message only,
so it adds almost nothing to the cost of a request (Starlette's
`BaseHTTPMiddleware` would run every request through an extra task and stream).
"""

import logging
from collections.abc import Collection, Iterable, Sequence

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import REQUEST_ID_HEADER, current_request_id, request_id_from

logger = logging.getLogger(__name__)

_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("latin-1")
# A Host header is logged, not trusted: a few hundred characters name any host.
_LOGGED_HOST_LENGTH = 200

API_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
DOCS_POLICY = (
    b"default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src data: https://fastapi.tiangolo.com; connect-src 'self'; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    # frame-ancestors says the same to browsers that know CSP; this, to the rest.
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# One year; subdomains are left out, as some may still serve plain HTTP.
HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000")


def header(scope: Scope, name: bytes) -> str | None:
    """The value of a request header (`name` in lower case), if the client sent it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def route_path(scope: Scope) -> str:
    """The path the router matches: without the prefix a proxy may serve it under."""
    return str(scope["path"]).removeprefix(scope.get("root_path", ""))


def with_headers(send: Send, extra: Iterable[tuple[bytes, bytes]]) -> Send:
    """Wrap `send` so that the response's headers end with `extra`."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", ()), *extra]
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers


class RequestIdMiddleware:
    """Give each request an id for its log lines and its `X-Request-ID` answer.

    The id is the client's (or the proxy's) `X-Request-ID` when it is a plain
    token, and a new one otherwise. This middleware wraps the whole app, error
    handling included (see `main.Application`): a 500 answer carries the id
    too, and the traceback of its error is logged here, with the id, rather
    than by the server once the request is over.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(header(scope, _REQUEST_ID))
        response_header = (_REQUEST_ID, request_id.encode("latin-1"))
        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, with_headers(send, [response_header]))
        except Exception:
            # Starlette has already answered 500; this is the one log line.
            logger.exception("Unhandled error in %s %s", scope["method"], scope["path"])
        finally:
            current_request_id.reset(token)


class TrustedHostMiddleware:
    """Answer 400 to requests whose Host header names no host of ALLOWED_HOSTS.

    Patterns are host names, `*.example.com` for every subdomain, or `*` for
    any host, as in Starlette's middleware of the same name. Unlike that one,
    it lets the `exempt_paths` through whatever the host, because probes
    address the server by IP (Docker's HEALTHCHECK uses 127.0.0.1), and it logs
    each refusal as one warning line that names the host.
    """

    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Sequence[str],
        exempt_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        patterns = {pattern.lower() for pattern in allowed_hosts}
        self.allow_any = "*" in patterns
        self.names = frozenset(name for name in patterns if not name.startswith("*."))
        self.suffixes = tuple(name[1:] for name in patterns if name.startswith("*."))
        self.exempt_paths = frozenset(exempt_paths)

    def allows(self, host: str) -> bool:
        """Whether the Host header `host` (with or without a port) is allowed."""
        name = host.lower()
        # `[::1]` has colons of its own; any other colon starts the port.
        if not name.endswith("]"):
            name = name.rpartition(":")[0] or name
        return name in self.names or name.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.allow_any
            or scope["type"] != "http"
            or route_path(scope) in self.exempt_paths
        ):
            await self.app(scope, receive, send)
            return
        host = header(scope, b"host") or ""
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        logger.warning("Refused a request for host %r", host[:_LOGGED_HOST_LENGTH])
        response = JSONResponse({"detail": "Invalid host header"}, status_code=400)
        await response(scope, receive, send)


class SecurityHeadersMiddleware:
    """Add the browser security headers to every response.

    Responses of the API are JSON: their content policy lets them load nothing
    and be framed by no page. The interactive docs (`docs_paths`) are FastAPI's
    Swagger UI page, which loads its script and styles from jsDelivr and starts
    with an inline script built from the app's settings; their policy allows
    that and no more. HSTS is for production, behind HTTPS; browsers ignore it
    over plain HTTP, and a development server on localhost must not send it.
    """

    def __init__(
        self, app: ASGIApp, *, hsts: bool, docs_paths: Collection[str] = ()
    ) -> None:
        self.app = app
        common = [*COMMON_HEADERS, *([HSTS_HEADER] if hsts else [])]
        self.api_headers = [(b"content-security-policy", API_POLICY), *common]
        self.docs_headers = [(b"content-security-policy", DOCS_POLICY), *common]
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = route_path(scope) in self.docs_paths
        extra = self.docs_headers if docs else self.api_headers
        await self.app(scope, receive, with_headers(send, extra))
