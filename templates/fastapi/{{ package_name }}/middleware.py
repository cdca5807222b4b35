"""Pure ASGI middleware: request ids, the Host header check and security headers.

It looks at the connection scope and the response's first message only, so it
adds little to the cost of a request (Starlette's `BaseHTTPMiddleware` would
run every request through an extra task and stream).
"""

import logging
from collections.abc import Collection, Sequence

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
]
# Only for the HTML of the docs: a JSON answer links to nothing and loads
# nothing, so a referrer policy has nothing to act on there (OWASP's REST
# cheat sheet lists it among the headers for HTML), and each header costs the
# server a share of every request.
REFERRER_HEADER = (b"referrer-policy", b"no-referrer")
# One year; subdomains are left out, as some may still serve plain HTTP.
HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000")


def route_path(scope: Scope) -> str:
    """The path the router matches: without the prefix a proxy may serve it under."""
    return str(scope["path"]).removeprefix(scope.get("root_path", ""))


class HostPatterns:
    """The hosts of ALLOWED_HOSTS, matched as by Starlette's TrustedHostMiddleware.

    Patterns are host names, `*.example.com` for every subdomain, or `*` for
    any host.
    """

    def __init__(self, allowed_hosts: Sequence[str]) -> None:
        patterns = {pattern.lower() for pattern in allowed_hosts}
        self.allow_any = "*" in patterns
        self.names = frozenset(name for name in patterns if not name.startswith("*."))
        self.suffixes = tuple(name[1:] for name in patterns if name.startswith("*."))

    def allows(self, host: str) -> bool:
        """Whether the Host header `host` (with or without a port) is allowed."""
        if self.allow_any:
            return True
        name = host.lower()
        # `[::1]` has colons of its own; any other colon starts the port.
        if not name.endswith("]"):
            name = name.rpartition(":")[0] or name
        return name in self.names or name.endswith(self.suffixes)


class GatewayMiddleware:
    """Every request's first layer: its id, the Host check, the security headers.

    One pure ASGI layer, which reads the request's headers once and wraps
    `send` once, where three would each do it again. It wraps the whole app,
    error handling included (see `main.Application`), so that every answer,
    a 500 too, carries the headers, and the traceback of an unhandled error is
    logged here, with the request id, rather than by the server once the
    request is over.

    *Request id*: the client's (or the proxy's) `X-Request-ID` when it is a
    plain token, a new one otherwise; set for the request's log lines and sent
    back in the answer.

    *Host check*: 400 to requests whose Host header names no host of
    `allowed_hosts` (see `HostPatterns`), each refusal logged as one warning
    line that names the host. Unlike Starlette's TrustedHostMiddleware, it lets
    the `exempt_paths` through whatever the host, because probes address the
    server by IP (Docker's HEALTHCHECK uses 127.0.0.1).

    *Security headers*: responses of the API are JSON, and their content
    policy lets them load nothing and be framed by no page; they carry the
    headers OWASP's REST cheat sheet asks of every API answer. The interactive
    docs (`docs_paths`) are FastAPI's Swagger UI page, which loads its script
    and styles from jsDelivr and starts with an inline script built from the
    app's settings; their policy allows that and no more. HSTS is for
    production, behind HTTPS; browsers ignore it over plain HTTP, and a
    development server on localhost must not send it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Sequence[str],
        hsts: bool,
        exempt_paths: Collection[str] = (),
        docs_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.hosts = HostPatterns(allowed_hosts)
        self.exempt_paths = frozenset(exempt_paths)
        self.docs_paths = frozenset(docs_paths)
        common = [*COMMON_HEADERS, *([HSTS_HEADER] if hsts else [])]
        self.api_headers = [(b"content-security-policy", API_POLICY), *common]
        self.docs_headers = [
            (b"content-security-policy", DOCS_POLICY),
            *common,
            REFERRER_HEADER,
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = sent_id = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == _REQUEST_ID:
                sent_id = value.decode("latin-1")
        request_id = request_id_from(sent_id)
        path = route_path(scope)
        extra = [
            (_REQUEST_ID, request_id.encode("latin-1")),
            *(self.docs_headers if path in self.docs_paths else self.api_headers),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        token = current_request_id.set(request_id)
        try:
            if path in self.exempt_paths or self.hosts.allows(host):
                await self.app(scope, receive, send_with_headers)
            else:
                await self.refuse(host, scope, receive, send_with_headers)
        except Exception:
            # Starlette has already answered 500; this is the one log line.
            logger.exception("Unhandled error in %s %s", scope["method"], scope["path"])
        finally:
            current_request_id.reset(token)

    @staticmethod
    async def refuse(host: str, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 to a request for a host that is not allowed, and log it."""
        logger.warning("Refused a request for host %r", host[:_LOGGED_HOST_LENGTH])
        response = JSONResponse({"detail": "Invalid host header"}, status_code=400)
        await response(scope, receive, send)
