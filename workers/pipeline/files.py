"""Carrying one attached file: its bytes are read from the source into a spooled copy (to disk
past a small size: never a file set, nor a large file, in memory), held to the session's size
cap, and uploaded to the target from that copy. A retried upload sends the copy again; the
source is read once per attempt of the whole file."""

from __future__ import annotations

from adapters.core.blobs import Blob, FileTooLarge
from adapters.core.canonical import Entity, File, parse_record
from adapters.core.errors import AdapterError, BudgetExhausted, ConnectionFailed
from adapters.core.protocols import Written
from app.config import get_settings
from app.models import StagedRecord
from workers.pipeline.context import RunContext

# Files carried at once (instead of FERRY_MAX_IN_FLIGHT): each holds up to 1 MiB in memory
# (blobs.IN_MEMORY_BYTES) before it spools to disk, so memory stays flat whatever files weigh.
IN_FLIGHT = 4


class NotRead(AdapterError):
    """The file could not be taken from the source (over the cap, gone, unreadable): nothing
    was sent to the target."""

    code = "file_unreadable"


def size_cap(ctx: RunContext) -> int:
    given = (ctx.session.options or {}).get("max_file_bytes")
    return int(given) if given else get_settings().max_file_bytes


async def carry(ctx: RunContext, row: StagedRecord) -> Written:
    record = parse_record(Entity.files, row.canonical)
    assert isinstance(record, File) and row.payload is not None
    cap = size_cap(ctx)
    if record.size is not None and record.size > cap:  # said by the source: not even read
        raise NotRead(_too_large(record.name, record.size, cap), code=FileTooLarge.code)
    with Blob(record.name, cap) as blob:
        try:
            await ctx.source.download(record, blob)
        except FileTooLarge as exc:
            raise NotRead(exc.message, code=exc.code) from None
        except (ConnectionFailed, BudgetExhausted):
            # The source as a whole is gone (the session stops) or its quota is spent (the
            # session pauses): nothing was sent, the file is sent again later.
            raise
        except AdapterError as exc:
            message = f"{record.name!r} could not be read from the source: {exc.message}"
            raise NotRead(message) from None
        return await ctx.target.attach(row.payload, blob)


def _too_large(name: str, size: int, cap: int) -> str:
    return (
        f"{name!r} is {size:,} bytes, above the session's file size cap of {cap:,} bytes; it "
        "was not carried (raise options.max_file_bytes to take it)."
    )
