"""The status page for people: server-rendered HTML (placeholder until the page lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
