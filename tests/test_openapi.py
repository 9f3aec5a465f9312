from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_committed_openapi_document_matches_the_app() -> None:
    # A fresh interpreter: the document must not depend on the test stack's settings.
    rendered = subprocess.run(
        [sys.executable, "-c", "from app.openapi import render; print(render(), end='')"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (ROOT / "openapi" / "openapi.json").read_text()
    assert json.loads(committed) == json.loads(rendered), "run `make openapi` and commit the result"
