"""What the app trusts of its proxies and of the Host header, the security headers
of every response, and the session cookie."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class SecurityHeadersMiddleware:
    """WSGI middleware adding each of ``headers`` a response does not set itself.

    Rather than Flask-Talisman: Talisman redirects plain HTTP to HTTPS by
    default (the reverse proxy's job, and it would break the HTTP health
    probes) and works its headers out again on every request. These are
    fixed; at the WSGI level they also reach the responses Flask makes before
    any view or hook runs (an untrusted host's 400), for one call a request.
    """

    def __init__(self, app: WSGIApplication, headers: Mapping[str, str]) -> None:
        self.app = app
        # HTTP header names ignore case: compared in lower case.
        self.headers = [(name.lower(), name, value) for name, value in headers.items()]

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Handle the request, adding the missing headers as the response starts."""

        def start_with_headers(
            status: str,
            headers: list[tuple[str, str]],
            exc_info: OptExcInfo | None = None,
        ) -> Callable[[bytes], object]:
            present = {name.lower() for name, _value in headers}
            headers.extend(
                (name, value) for key, name, value in self.headers if key not in present
            )
            return start_response(status, headers, exc_info)

        return self.app(environ, start_with_headers)


# An IPv6 address in a Host header, and its optional port: "[::1]:8000".
IPV6_HOST = re.compile(r"(\[[0-9a-f:.]+\])(?::([1-9][0-9]{0,4}))?", re.IGNORECASE)


def ipv6_address(host: str) -> str | None:
    """The IPv6 address of a Host header in lower case ("[::1]"), else None."""
    match = IPV6_HOST.fullmatch(host)
    if match is None or int(match.group(2) or 0) > 65535:
        return None
    return match.group(1).lower()


class IPv6HostsRequest(Request):
    """Flask's request, also answering the IPv6 addresses of TRUSTED_HOSTS ("[::1]").

    Werkzeug drops the port of a trusted host by cutting it at its first ':',
    which leaves "[" of an IPv6 address, so none can ever match. A Host header
    that is one of them is checked here instead, and Werkzeug's check skipped.
    The app uses this class only when TRUSTED_HOSTS has such an address.
    """

    _trusted_hosts: list[str] | None = None

    @property
    def trusted_hosts(self) -> list[str] | None:
        """The hosts Werkzeug checks the Host header against; None: no check."""
        hosts = self._trusted_hosts
        address = ipv6_address(self.environ.get("HTTP_HOST", ""))
        if address and hosts and address in map(str.lower, hosts):
            return None
        return hosts

    @trusted_hosts.setter
    def trusted_hosts(self, hosts: list[str] | None) -> None:
        self._trusted_hosts = hosts


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without a signer for requests with no cookies.

    Flask builds the signer of the session cookie on every request; most
    requests (health probes, API clients, first visits) carry no cookie at
    all, and get the new empty session they would get otherwise.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when the request has no cookies, else Flask's."""
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Believe the configured proxies and hosts; add SECURITY_HEADERS to responses."""
    app.session_interface = CookieSessionInterface()
    if any(host.startswith("[") for host in app.config["TRUSTED_HOSTS"]):
        app.request_class = IPv6HostsRequest
    app.wsgi_app = SecurityHeadersMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, app.config["SECURITY_HEADERS"]
    )
    hops = app.config["PROXY_HOPS"]
    if hops:
        # The client's address and scheme (rate limits, secure cookies, generated
        # URLs) then come from the proxies' X-Forwarded-For and -Proto.
        # The Host header stays the one the proxy sends, checked by TRUSTED_HOSTS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
