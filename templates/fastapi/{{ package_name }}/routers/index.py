"""The root URL: what this API is and where its documentation lives."""

from fastapi import APIRouter, Request

from ..config import SettingsDep
from ..schemas import ApiInfo

router = APIRouter(tags=["index"])


@router.get("/")
async def index(request: Request, settings: SettingsDep) -> ApiInfo:
    """Point a client that opens the root URL at the docs and the API."""
    app = request.app
    return ApiInfo(
        name=app.title,
        docs_url=app.docs_url,
        openapi_url=app.openapi_url,
        items_url=app.url_path_for("list_items"),
        debug=settings.debug,
    )
