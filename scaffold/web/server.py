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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
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
    #: Host names a reverse proxy forwards, accepted besides this machine's own.
    extra_hosts: tuple[str, ...] = ()


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


def allowed_hosts(host: str, extra: Sequence[str] = ()) -> list[str]:
    """Host headers to accept: this machine's names and addresses, ``host`` and ``extra``.

    Refusing every other name stops a web page elsewhere from reaching this
    server through DNS rebinding, on every address it listens on: a wildcard
    address accepts the machine's own names and addresses, not any name. A
    reverse proxy that forwards another name adds it with ``--allowed-host``.
    """
    names = {"127.0.0.1", "localhost", "::1", *(name.strip("[]").lower() for name in extra)}
    if host not in WILDCARDS:
        names.add(host.strip("[]").lower())
    else:
        names |= machine_names()
    # A Host header writes an IPv6 address in brackets, and the check compares it so.
    return sorted(names | {f"[{name}]" for name in names if ":" in name})


def machine_names() -> set[str]:
    """The host names of the machine and the addresses of its network interfaces."""
    names: set[str] = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        if not name:
            continue
        names.add(name.lower())
        with contextlib.suppress(OSError):
            names.update(str(info[4][0]) for info in socket.getaddrinfo(name, None))
    return names | _interface_addresses()


def _interface_addresses() -> set[str]:
    """The local addresses of every interface, from the kernel's tables (Linux); else none."""
    addresses: set[str] = set()
    with contextlib.suppress(OSError):
        last = ""
        for line in Path("/proc/net/fib_trie").read_text().splitlines():
            if "|--" in line:
                last = line.split("|--")[-1].strip()
            elif "/32 host LOCAL" in line and last:
                addresses.add(last)
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            packed = bytes.fromhex(line.split()[0])
            addresses.add(str(ipaddress.IPv6Address(packed)))
    return addresses


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0 picks a free one), or a one-line error."""
    try:
        family, _type, _proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise ServeError(f"cannot listen on {host!r}: {error.strerror}; check --host") from error
    # "::" means every address, IPv4 ones too where the system can listen on both at once.
    dualstack = family == socket.AF_INET6 and host in WILDCARDS and socket.has_dualstack_ipv6()
    try:
        return socket.create_server(address[:2], family=family, dualstack_ipv6=dualstack)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise ServeError(
            f"cannot listen on {host}:{port}: {reason}; choose another --port or --host"
        ) from error


def page_url(host: str, sock: socket.socket) -> str:
    """The address of the page that answers, as a browser on this machine would open it."""
    port = sock.getsockname()[1]
    if host in WILDCARDS:
        ipv4 = sock.family == socket.AF_INET or not sock.getsockopt(
            socket.IPPROTO_IPV6, socket.IPV6_V6ONLY
        )
        host = "127.0.0.1" if ipv4 else "::1"
    if ":" in host:
        host = f"[{host.strip('[]')}]"
    return f"http://{host}:{port}/"


def serve(settings: Settings) -> None:
    """Serve the page and the API until interrupted (Ctrl-C) or terminated."""
    try:
        import starlette  # noqa: F401 (checked here, used by scaffold.web.app)
        import uvicorn
    except ImportError as error:
        from scaffold.distribution import installation

        raise MissingExtraError(
            f"scaffold serve needs the web extra ({error.name} is not installed); "
            f"install it with: {installation().install_command('web')}"
        ) from error
    from scaffold.options import keep_runtime_defaults
    from scaffold.web.app import MAX_QUERY_BYTES, create_app
    from scaffold.web.connections import bounded_protocol

    keep_runtime_defaults()
    if warning := exposure_warning(settings.host):
        print(warning, file=sys.stderr)
    sock = listen(settings.host, settings.port)
    port = sock.getsockname()[1]
    url = page_url(settings.host, sock)
    app = create_app(settings.limits, allowed_hosts(settings.host, settings.extra_hosts))
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=port,
        # A backstop far above scaffold's own admission limit (see app._Guard), which
        # answers a burst with its documented 503 first.
        limit_concurrency=settings.limits.requests * SERVER_BACKSTOP,
        http=bounded_protocol(settings.limits),
        # Room for the longest query string the application accepts, and its headers.
        h11_max_incomplete_event_size=MAX_QUERY_BYTES + 16 * 1024,
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
