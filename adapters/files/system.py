"""Registers the file source: any system's CSV export, uploaded (POST /v1/uploads) and named
by a connection's `upload_id` instead of credentials. A system whose export has a layout of its
own (`adapters/<system>/export_layout.py`) takes an `upload_id` under its own id too."""

from __future__ import annotations

from typing import Any

from adapters.core.errors import ConnectionFailed
from adapters.core.registry import System, register
from adapters.files.layout import FIELDS, GENERIC


def _needs_upload(*_: Any) -> Any:
    raise ConnectionFailed("A CSV export is read from an upload: name its upload_id.")


CSV = register(
    System(
        id=GENERIC.system,
        name=GENERIC.name,
        credential_fields=(),
        entities=tuple(FIELDS),
        source_factory=_needs_upload,
        extra={"file_source": True},
    )
)
