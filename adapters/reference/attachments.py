"""Files attached to the reference company's records, with their bytes.

Fixed cases at every size: fl1 a PDF on d1, fl2 a PNG image on p2, fl3 a text file with a
non-ASCII name on o1, fl4 a 1.5 MB binary on d2 (above the cap the tests set, below the default
one), fl5 a PDF on lead l1, fl6 a spreadsheet (CSV) on activity a1. Then one small file per thirty
persons on a random deal, person, organization or lead. The bytes are generated (deterministic)
and kept apart from the records (`ReferenceCompany.file_bytes`), by file source id.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from adapters.core.canonical import Activity, Deal, File, Lead, Organization, Person
from adapters.reference.dataset import _clamp, _Random, _random_timestamp

LARGE_FILE_BYTES = 1_500_000


def pdf(text: str) -> bytes:
    """A small, valid one-page PDF showing `text` (ASCII)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG image of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@dataclass(frozen=True)
class _Parent:
    deal: str | None = None
    person: str | None = None
    org: str | None = None
    lead: str | None = None
    activity: str | None = None


def _file(i: int, name: str, mime: str, data: bytes, parent: _Parent, when: str) -> File:
    return File(
        source_id=f"fl{i}",
        name=name,
        mime_type=mime,
        size=len(data),
        deal_source_id=parent.deal,
        person_source_id=parent.person,
        org_source_id=parent.org,
        lead_source_id=parent.lead,
        activity_source_id=parent.activity,
        content_ref=f"fl{i}",
        add_time=when,
    )


def _random_parent(
    deals: list[Deal], persons: list[Person], orgs: list[Organization], leads: list[Lead],
    rng: _Random,
) -> _Parent:  # fmt: skip
    roll = rng.random()
    if roll < 0.4:
        return _Parent(deal=rng.pick(deals).source_id)
    if roll < 0.7:
        return _Parent(person=rng.pick(persons).source_id)
    if roll < 0.9 or not leads:
        return _Parent(org=rng.pick(orgs).source_id)
    return _Parent(lead=rng.pick(leads).source_id)


def files(
    count: int,
    deals: list[Deal],
    persons: list[Person],
    orgs: list[Organization],
    leads: list[Lead],
    activities: list[Activity],
    rng: _Random,
) -> tuple[list[File], dict[str, bytes]]:
    """The files and their bytes by source id: the fixed six, then `count` small ones."""
    big = rng.randbytes(LARGE_FILE_BYTES)
    fixed = [
        ("Angebot_2026-001.pdf", "application/pdf", pdf("Angebot 2026-001"),
         _Parent(deal=deals[0].source_id)),
        ("portrait.png", "image/png", png(32, 24, (200, 40, 90)),
         _Parent(person=_clamp(persons, 2).source_id)),
        ("Umowa – Zażółć gęślą jaźń 契約.txt", "text/plain",
         "Umowa ramowa: zażółć gęślą jaźń. 契約書。\n".encode(),
         _Parent(org=orgs[0].source_id)),
        ("Messestand-Video.mp4", "video/mp4", big, _Parent(deal=_clamp(deals, 2).source_id)),
        ("Lead brief.pdf", "application/pdf", pdf("Lead brief"),
         _Parent(lead=leads[0].source_id) if leads else _Parent(org=orgs[0].source_id)),
        ("call-notes.csv", "text/csv", b"when,who\n2026-01-01,Anna\n",
         _Parent(activity=activities[0].source_id)),
    ]  # fmt: skip
    out: list[File] = []
    content: dict[str, bytes] = {}
    for i, (name, mime, data, parent) in enumerate(fixed, start=1):
        out.append(_file(i, name, mime, data, parent, _random_timestamp(rng, -300, 0)))
        content[out[-1].source_id] = data
    for i in range(len(fixed) + 1, len(fixed) + count + 1):
        data = pdf(f"Document {i}")
        parent = _random_parent(deals, persons, orgs, leads, rng)
        out.append(_file(i, f"Dokument-{i}.pdf", "application/pdf", data, parent,
                         _random_timestamp(rng, -300, 0)))  # fmt: skip
        content[out[-1].source_id] = data
    return out, content
