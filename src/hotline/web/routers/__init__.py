"""HTTP routers: the REST API under /api and the HTML pages."""
