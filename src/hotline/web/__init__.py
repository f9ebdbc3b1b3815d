"""The web application: REST API, WebSocket events and pages (wallboard), served by FastAPI in
the same process as call control. It may import every other package; none imports it."""
