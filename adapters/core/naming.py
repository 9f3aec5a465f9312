"""What a vendor does not store but shows, made one way for every adapter: a lead's title from
its person and company, a file's MIME type from its name."""

from __future__ import annotations

import mimetypes

# The standard library's own table, not the host's mime.types: the same answer on every machine.
_TYPES = mimetypes.MimeTypes()


def lead_title(name: str | None, company: str | None, *, same_twice: bool = False) -> str:
    """A lead that is a person at a company, as vendors show it: "Name (Company)", else the one
    it names. A name that is its company's is shown once, unless `same_twice` (Salesforce)."""
    if name and company and (same_twice or name != company):
        return f"{name} ({company})"
    return name or company or ""


def mime_type(name: str | None) -> str | None:
    """A file's MIME type from its name's extension, for the vendors that keep none (the
    common unofficial types too)."""
    return _TYPES.guess_type(name or "", strict=False)[0]
