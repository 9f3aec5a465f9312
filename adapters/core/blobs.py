"""A file's bytes on their way from a source to the target: spooled (to disk past a small
size, so a session never holds a file set, or a large file, in memory), capped, and sent on as
a streamed multipart body of known length that a retry can send again from the start."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from adapters.core.errors import RecordRejected

IN_MEMORY_BYTES = 1 << 20  # past this a file is spooled to disk
_MIME = re.compile(r"[\w.+-]+/[\w.+-]+")
CHUNK_BYTES = 64 * 1024


class FileTooLarge(RecordRejected):
    """A file above the session's size cap: it stays behind, the others go on."""

    code = "file_too_large"


class Blob:
    """A file's bytes, written once by a download (`write`, `seek`, `truncate`: the sink the
    HTTP client streams into, emptied before each attempt) and read as often as it is sent."""

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115
        self.size = 0

    def write(self, data: bytes) -> int:
        if self.size + len(data) > self.cap:
            raise FileTooLarge(
                f"{self.name!r} is larger than the session's file size cap of "
                f"{self.cap:,} bytes; it was not carried (raise options.max_file_bytes to take it)."
            )
        self.size += len(data)
        return self._file.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        kept = self._file.truncate(size)
        self.size = kept
        return kept

    async def chunks(self) -> AsyncIterator[bytes]:
        self._file.seek(0)
        while chunk := self._file.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Blob:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _quoted(value: str) -> str:
    """A form-data parameter as a quoted string: UTF-8 as it is (RFC 7578 section 4.2), quotes
    and backslashes escaped, line breaks (which cannot be carried) as spaces."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("\r", " ").replace("\n", " ")


def multipart(
    fields: dict[str, str], file_field: str, filename: str, mime: str, blob: Blob
) -> tuple[dict[str, str], Callable[[], AsyncIterator[bytes]]]:
    """Headers (with the exact Content-Length) and a body factory for a multipart/form-data
    upload of `blob` beside plain `fields`; each call of the factory streams it from the start."""
    boundary = uuid.uuid4().hex
    if not _MIME.fullmatch(mime):  # a source's type goes into a header: nothing odd passes
        mime = "application/octet-stream"
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
        f"{value}\r\n".encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{_quoted(filename)}"\r\nContent-Type: {mime}\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        async for chunk in blob.chunks():
            yield chunk
        yield tail

    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(head) + blob.size + len(tail)),
    }
    return headers, body
