"""API routers, one module per group of endpoints."""
