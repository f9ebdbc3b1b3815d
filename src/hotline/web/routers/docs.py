"""The API's documentation page, ``/api/docs``: Swagger UI served by Hotline itself.

The Swagger UI assets come from the ``swagger-ui-py`` package, so the page works on a site
without Internet access (no CDN).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from hotline.web.deps import allow

__all__ = ["ASSETS", "OPENAPI_URL", "router"]

OPENAPI_URL = "/api/openapi.json"
ASSETS = "/api/docs/assets"


def _swagger_static() -> Path:
    """The package's asset folder, found without importing it (it imports its web glue)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("the swagger-ui-py package is missing")
    return Path(spec.origin).parent / "static"


router = APIRouter(dependencies=[Depends(allow("docs.read"))], include_in_schema=False)
_ASSET_FILES = {path.name: path for path in _swagger_static().iterdir() if path.is_file()}


@router.get(OPENAPI_URL)
async def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document (served here so that it has a rule like every route)."""
    return JSONResponse(request.app.openapi())


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title="Hotline API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None},  # no badge fetched from outside
    )


@router.get(ASSETS + "/{name}")
async def asset(name: str) -> FileResponse:
    """A Swagger UI file (a route, not a mount, so that it has a rule too)."""
    path = _ASSET_FILES.get(name)
    if path is None:
        raise HTTPException(404, f"no asset {name}")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})
