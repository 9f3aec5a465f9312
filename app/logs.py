"""Logging that never writes a secret: query strings are cut from access logs."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^ \"]*")


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub("?…", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("uvicorn.access", "httpx"):
        logging.getLogger(name).addFilter(DropQueryStrings())
    # httpx logs every request URL at INFO; URLs may carry tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
