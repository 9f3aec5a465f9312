"""Where the CLI writes: messages and progress to stderr, results (ids, JSON, tables) to stdout,
so that `ferry ... | jq` and `$(ferry ...)` see only the result."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from rich.console import Console

# Piped or captured output is not cut at 80 columns: ids and URLs stay whole for grep and logs.
UNBOUNDED = 1000


def _console(stream: TextIO, **options: Any) -> Console:
    width = None if stream.isatty() else UNBOUNDED
    return Console(file=stream, width=width, highlight=False, **options)


console = _console(sys.stderr, soft_wrap=True)
stdout = _console(sys.stdout)


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False), flush=True)
