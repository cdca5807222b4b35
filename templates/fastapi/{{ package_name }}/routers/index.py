"""The root URL: what this API is and where its documentation lives."""

from fastapi import APIRouter, Request

from ..config import SettingsDep
from ..schemas import ApiInfo

router = APIRouter(tags=["index"])


@router.get("/")
async def index(request: Request, settings: SettingsDep) -> ApiInfo:
    """Point a browser that opens the root URL at the interactive docs."""
    return ApiInfo(
        name=request.app.title, docs_url=request.app.docs_url, debug=settings.debug
    )
