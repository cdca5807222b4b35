"""The /health probe for load balancers, container platforms and uptime monitors.

A middleware placed first in MIDDLEWARE answers it before Django checks the
Host header against ALLOWED_HOSTS: probes address the server by IP (Docker's
HEALTHCHECK uses 127.0.0.1, Kubernetes the pod's address), not by a host name
the site serves. Every other path keeps the check and the HTTPS redirect.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

HEALTH_PATH = "/health"


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """Answer liveness probes.

    It leaves the database alone: a database outage should not get every web
    process restarted by the orchestrator.
    """
    return JsonResponse({"status": "ok"})


class HealthCheckMiddleware:
    """Serve /health whatever the Host header; hand every other request on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
