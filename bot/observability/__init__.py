"""Health and metrics for operators (`GET /health`, `GET /metrics`)."""
