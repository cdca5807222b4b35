"""Liveness check for load balancers, orchestrators and uptime monitors."""

from fastapi import APIRouter

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Answer as long as the process serves requests; it touches no database."""
    return {"status": "ok"}
