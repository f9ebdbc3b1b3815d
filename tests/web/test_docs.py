"""The API's documentation works offline, and its OpenAPI document changes only on purpose.

The OpenAPI document is pinned in ``openapi.json`` beside this file. After a deliberate API
change, write the new one and commit it with the change:

    HOTLINE_WRITE_OPENAPI=1 uv run pytest tests/web/test_docs.py -k pinned
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from .support import Node

pytestmark = pytest.mark.asyncio(loop_scope="module")

PINNED = Path(__file__).with_name("openapi.json")


async def test_docs_page_and_every_asset_it_references_come_from_hotline(node: Node) -> None:
    page = await node.http.get("/api/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    references += re.findall(r"url: '([^']+)'", html)  # the OpenAPI document
    assert len(references) >= 4, html
    for reference in references:
        url = urljoin(node.url + "/api/docs", reference)
        assert url.startswith(node.url + "/"), f"{reference} is not served by Hotline"
        asset = await node.http.get(url)
        assert asset.status_code == 200, reference
        assert len(asset.content) > 100, reference
    assert "SwaggerUIBundle" in (await node.http.get("/api/docs/assets/swagger-ui-bundle.js")).text


async def test_openapi_document_is_the_pinned_one(node: Node) -> None:
    response = await node.http.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    if os.environ.get("HOTLINE_WRITE_OPENAPI"):
        PINNED.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    assert schema == json.loads(PINNED.read_text()), (
        "the API changed; if on purpose, regenerate tests/web/openapi.json (see this module)"
    )


async def test_openapi_documents_every_endpoint_and_field(node: Node) -> None:
    schema = (await node.http.get("/api/openapi.json")).json()
    paths = set(schema["paths"])
    for path in ("/api/queues", "/api/queues/{number}", "/api/agents", "/api/agents/{number}",
                 "/api/agents/{number}/login", "/api/agents/{number}/logout",
                 "/api/agents/{number}/pause", "/api/agents/{number}/unpause",
                 "/api/calls/live", "/api/calls", "/api/calls/{call_id}", "/api/queue-events",
                 "/api/agent-sessions"):  # fmt: skip
        assert path in paths, path
    for name in ("QueueOut", "AgentOut", "LiveCallOut", "CallOut", "QueueEventOut"):
        properties = schema["components"]["schemas"][name]["properties"]
        undocumented = [field for field, spec in properties.items() if not spec.get("description")]
        assert undocumented == [], (name, undocumented)
