"""Liveness check for load balancers, orchestrators and uptime monitors."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])

# Answered whatever the Host header (see main.TrustedHostMiddleware).
HEALTH_PATH = "/health"


@router.get(HEALTH_PATH)
async def health() -> dict[str, str]:
    """Answer as long as the process serves requests; it touches no database."""
    return {"status": "ok"}
