"""The probes of load balancers, container platforms and uptime monitors.

/health (liveness) says the process answers; /ready (readiness) also checks
the database and, with REDIS_URL set, Redis, so that traffic goes only to a
server that can serve it. A middleware placed early in MIDDLEWARE answers both
before Django checks the Host header against ALLOWED_HOSTS: probes address the
server by IP (Docker's HEALTHCHECK uses 127.0.0.1, Kubernetes the pod's
address), not by a host name the site serves. Every other path keeps the check
and the HTTPS redirect.
"""

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Answer liveness probes.

    It leaves the database alone: a database outage should not get every web
    process restarted by the orchestrator.
    """
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    """Run a query; a PostgreSQL server gets `connect_timeout` seconds to answer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    """Read a key; the cache's socket timeouts bound the wait (settings.CACHES)."""
    cache.get("ready-check")


@never_cache
@require_safe
def ready(request: HttpRequest) -> HttpResponse:
    """Answer readiness probes: 200 when every service answers, else 503.

    Each failure is named by its exception's class only: the message may hold
    a host name or a user name, which a public probe must not tell.
    """
    checks = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:  # whatever failed, the server is not ready
            results[name] = f"unavailable: {type(error).__name__}"
        else:
            results[name] = "ok"
    if all(result == "ok" for result in results.values()):
        return JsonResponse({"status": "ready", "checks": results})
    return JsonResponse(
        {"status": "unavailable", "checks": results},
        status=HTTPStatus.SERVICE_UNAVAILABLE,
    )


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/health": health,
    "/ready": ready,
}


class HealthCheckMiddleware:
    """Serve the probes whatever the Host header; hand every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
