"""API documentation served by Ferry itself (placeholder until the offline Swagger UI lands)."""

from __future__ import annotations

from fastapi import FastAPI


def install_docs(app: FastAPI) -> None:
    """Routes for /docs and the OpenAPI document's extras."""
