"""Liveness check for load balancers, orchestrators and uptime monitors.

`main.create_app` adds it to the app itself rather than through a router, as
the one endpoint that probes call every few seconds.
"""

# Answered whatever the Host header (see middleware.TrustedHostMiddleware).
HEALTH_PATH = "/health"


async def health() -> dict[str, str]:
    """Answer as long as the process serves requests; it touches no database."""
    return {"status": "ok"}
