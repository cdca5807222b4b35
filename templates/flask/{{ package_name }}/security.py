"""What the app trusts of its proxies, and the security headers of every response."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response


def init_app(app: Flask) -> None:
    """Believe the configured proxies, and add SECURITY_HEADERS to each response.

    A small hook rather than Flask-Talisman: Talisman redirects plain HTTP to
    HTTPS by default (which the reverse proxy does, and which would break the
    HTTP health probes) and works out its headers again on every request;
    these are fixed, so they are computed once here.
    """
    hops = app.config["PROXY_HOPS"]
    if hops:
        # The client's address and scheme (rate limits, secure cookies, generated
        # URLs) then come from the proxies' X-Forwarded-For and -Proto.
        # The Host header stays the one the proxy sends, checked by TRUSTED_HOSTS.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # Names are compared in lower case (HTTP ignores case) with a set made in
    # one pass over the response's headers: cheaper than Headers.setdefault.
    headers = [
        (name.lower(), name, value)
        for name, value in app.config["SECURITY_HEADERS"].items()
    ]

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        """Add each header the view did not set itself."""
        present = {name.lower() for name, _value in response.headers}
        for key, name, value in headers:
            if key not in present:
                response.headers.add(name, value)
        return response
