"""A vendor's CSV export as one table of columns, read both ways: the sandbox writes the export
from the vendor's API records by each column's `value`, and the export's layout reads it back by
each column's `field` (`meanings`, for `ExportLayout.columns`), so the two cannot drift apart.

Files are UTF-8 without a byte-order mark, comma separated, RFC 4180 quoting, CRLF line ends,
one header row, text exactly as held (a value starting with "=" is data, not a formula to
neutralize). A blank value is an empty cell; several values (a list) share one cell, joined by
`separator`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Raw = dict[str, Any]
Value = Callable[[Raw], Any]


@dataclass(frozen=True)
class Column:
    name: str  # the header
    value: Value  # the cell, from the record the export is written from
    field: str | None = None  # what the file source fills from it (layout.FIELDS); None: nothing


def meanings(columns: Iterable[Column]) -> dict[str, str | None]:
    """{header: field or None (not carried)}: a layout's columns of one entity."""
    return {column.name: column.field for column in columns}


def cell(value: Any, separator: str = "; ") -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return separator.join(cell(v, separator) for v in value if v not in (None, ""))
    return str(value)


def csv_file(columns: Sequence[Column], records: Iterable[Raw], separator: str = "; ") -> bytes:
    """One file of the export: the header, then a row per record."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in columns])
    for record in records:
        writer.writerow([cell(column.value(record), separator) for column in columns])
    return out.getvalue().encode("utf-8")
