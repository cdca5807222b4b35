"""Run the web application under uvicorn: listen, warn about exposure, open a browser, serve."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scaffold.errors import MissingExtraError, ServeError
from scaffold.web.limits import Limits

if TYPE_CHECKING:
    import uvicorn


#: Host names that always mean this machine.
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
#: Addresses that listen on every interface.
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 (recognised, to warn about them)
#: uvicorn's own connection limit, as a multiple of scaffold's admission limit.
SERVER_BACKSTOP = 16


@dataclass(frozen=True)
class Settings:
    """Where to listen and how much to render at once."""

    host: str = "127.0.0.1"
    port: int = 8000
    open_browser: bool = False
    limits: Limits = field(default_factory=Limits)


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """The warning to print before listening on ``host``, when others could reach it."""
    if is_loopback(host):
        return None
    where = "every network interface" if host in WILDCARDS else host
    return (
        f"scaffold: warning: listening on {where}: other machines can reach the page and the "
        "API (which show your git name and e-mail as defaults); use --host 127.0.0.1 to keep "
        "it on this machine"
    )


def allowed_hosts(host: str) -> list[str]:
    """Host headers to accept: this machine's names, plus ``host``; any when on every interface.

    Refusing other names stops a web page elsewhere from reaching this server
    through DNS rebinding.
    """
    if host in WILDCARDS:
        return ["*"]
    return sorted({"127.0.0.1", "localhost", "::1", "[::1]", host.strip("[]")})


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0 picks a free one), or a one-line error."""
    try:
        family, _type, _proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise ServeError(f"cannot listen on {host!r}: {error.strerror}; check --host") from error
    try:
        return socket.create_server(address[:2], family=family)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise ServeError(
            f"cannot listen on {host}:{port}: {reason}; choose another --port or --host"
        ) from error


def page_url(host: str, port: int) -> str:
    """The address of the page, as a browser on this machine would open it."""
    if host in WILDCARDS:
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host.strip('[]')}]"
    return f"http://{host}:{port}/"


def serve(settings: Settings) -> None:
    """Serve the page and the API until interrupted (Ctrl-C) or terminated."""
    try:
        import starlette  # noqa: F401 (checked here, used by scaffold.web.app)
        import uvicorn
    except ImportError as error:
        raise MissingExtraError(
            f"scaffold serve needs the web extra ({error.name} is not installed); "
            "install it with: pip install 'scaffold[web]'"
        ) from error
    from scaffold.web.app import create_app

    if warning := exposure_warning(settings.host):
        print(warning, file=sys.stderr)
    sock = listen(settings.host, settings.port)
    port = sock.getsockname()[1]
    url = page_url(settings.host, port)
    app = create_app(settings.limits, allowed_hosts(settings.host))
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=port,
        # A backstop far above scaffold's own admission limit (see app._Guard), which
        # answers a burst with its documented 503 first.
        limit_concurrency=settings.limits.requests * SERVER_BACKSTOP,
        timeout_graceful_shutdown=max(5, int(settings.limits.timeout) + 1),
        server_header=False,
    )
    server = _stopped_by_hangup(uvicorn.Server)(config)
    print(f"scaffold: serving {url} (Ctrl-C to stop)", flush=True)
    if settings.open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    server.run(sockets=[sock])


def _stopped_by_hangup(base: type[uvicorn.Server]) -> type[uvicorn.Server]:
    """Uvicorn's server, stopping as gracefully on SIGHUP as it does on SIGINT and SIGTERM.

    Uvicorn shuts down (requests finished, the lifespan's clean-up run: workers
    stopped, scratch removed) and then raises the signal again; scaffold's own
    handler, back in place by then, turns it into the documented exit code.
    """

    class Server(base):  # type: ignore[misc,valid-type]
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                if threading.current_thread() is not threading.main_thread():
                    yield
                    return
                previous = signal.signal(signal.SIGHUP, self.handle_exit)
                try:
                    yield
                finally:
                    signal.signal(signal.SIGHUP, previous)

    return Server


def _open_when_started(server: object, url: str) -> None:
    """Open the page in the user's browser once uvicorn is accepting connections."""
    deadline = time.monotonic() + 60
    while not getattr(server, "started", False) and time.monotonic() < deadline:
        time.sleep(0.05)
    webbrowser.open(url)
