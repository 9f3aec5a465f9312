"""Reading an uploaded CSV file as it streams: its header, then each row with the line it starts
on, and what each column looks like (numbers, dates or text; the longest value), so that its
custom fields get a type. Nothing is held but the row being read."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adapters.files import values

csv.field_size_limit(64 * 1024 * 1024)  # a note of a few MB is one cell
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


class Unreadable(Exception):
    """The file is not a CSV file Ferry can read: `code` says how (upload_unreadable,
    upload_no_header), the message names the file and, where it can, the line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Column:
    name: str
    kinds: set[str] = field(default_factory=set)
    max_length: int = 0

    def see(self, cell: str) -> None:
        if cell.strip():
            self.max_length = max(self.max_length, len(cell))
            if "text" not in self.kinds:
                self.kinds.add(values.kind(cell))

    def out(self) -> dict[str, Any]:
        kind = next(iter(self.kinds)) if len(self.kinds) == 1 else "text"
        return {"name": self.name, "kind": kind, "max_length": self.max_length}


@dataclass
class Row:
    row: int  # 1: the first data row
    line: int  # the line of the file it starts on
    cells: list[str]


class CsvFile:
    """One file: `columns` once the header is read; iterate for its rows."""

    def __init__(self, name: str, stream: IO[bytes]) -> None:
        self.name = name
        self._stream = stream
        self.columns: list[Column] = []
        self.rows = 0

    def __iter__(self) -> Iterator[Row]:
        sample = self._stream.read(SNIFF_BYTES)
        text = _decode(self.name, sample, final=False)
        if not text.strip():
            raise Unreadable("upload_no_header", f"{self.name} is empty: no header row.")
        dialect = _dialect(text)
        decoder = codecs.getincrementaldecoder("utf-8-sig")()
        stream = _Chained(sample, self._stream)
        lines = _lines(self.name, stream, decoder)
        reader = csv.reader(lines, dialect)
        try:
            header = next(reader)
            self.columns = _header(self.name, header)
            width = len(self.columns)
            line = reader.line_num + 1
            for cells in reader:
                if not any(c.strip() for c in cells):
                    line = reader.line_num + 1
                    continue  # a blank line
                self.rows += 1
                if len(cells) < width:
                    cells = cells + [""] * (width - len(cells))
                for column, cell in zip(self.columns, cells, strict=False):
                    column.see(cell)
                yield Row(self.rows, line, cells)
                line = reader.line_num + 1
        except csv.Error as exc:
            raise Unreadable(
                "upload_unreadable", f"{self.name}, line {reader.line_num}: {exc}."
            ) from None


def _header(name: str, cells: list[str]) -> list[Column]:
    names = [c.strip() for c in cells]
    if not any(names):
        raise Unreadable("upload_no_header", f"{name} has no header row (its first row is blank).")
    if any("@" in n or values.number(n) is not None for n in names if n):
        raise Unreadable(
            "upload_no_header",
            f"{name} has no header row: its first row holds values (e-mails or numbers), "
            "not column names.",
        )
    seen: dict[str, int] = {}
    columns = []
    for position, column in enumerate(names, 1):
        column = column or f"Column {position}"
        seen[column.casefold()] = seen.get(column.casefold(), 0) + 1
        if seen[column.casefold()] > 1:
            column = f"{column} ({seen[column.casefold()]})"
        columns.append(Column(column))
    return columns


def _decode(name: str, data: bytes, *, final: bool) -> str:
    if b"\x00" in data:
        raise Unreadable(
            "upload_unreadable", f"{name} is not a CSV text file (it holds NUL bytes)."
        )
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=final)
    except UnicodeDecodeError:
        raise Unreadable(
            "upload_unreadable", f"{name} is not UTF-8 text; export it as CSV in UTF-8."
        ) from None


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    first = sample.splitlines()[0] if sample.splitlines() else sample
    try:
        sniffed = csv.Sniffer().sniff(first, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel
    if sniffed.escapechar is None:  # a header seldom shows it: quotes in values are doubled
        sniffed.doublequote = True
    return sniffed


class _Chained(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read_chunk(self, size: int = 1 << 16) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._rest.read(size)


def _lines(name: str, stream: _Chained, decoder: codecs.IncrementalDecoder) -> Iterator[str]:
    pending = ""
    line = 1
    while True:
        chunk = stream.read_chunk()
        if b"\x00" in chunk:
            raise Unreadable(
                "upload_unreadable", f"{name}, line {line}: not CSV text (a NUL byte)."
            )
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            raise Unreadable(
                "upload_unreadable",
                f"{name}, near line {line}: not UTF-8 text; export it as CSV in UTF-8.",
            ) from None
        pending += text
        parts = pending.split("\n")
        pending = parts.pop()
        for part in parts:
            line += 1
            yield part + "\n"
        if not chunk:
            if pending:
                yield pending
            return
