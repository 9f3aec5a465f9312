"""Writes the OpenAPI document of the app: `python -m app.openapi openapi/openapi.json`."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def document() -> dict[str, Any]:
    # The document describes the default (embedded) service, sandbox included.
    for name in ("FERRY_REDIS_URL", "FERRY_SANDBOX", "FERRY_DATABASE_URL"):
        os.environ.pop(name, None)
    from app.config import get_settings

    get_settings.cache_clear()
    from app.main import create_app

    return create_app().openapi()


def render() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json"
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(render())
