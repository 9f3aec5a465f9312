"""The `x-token-cost` of the operations the emulator serves beyond those priced in
`adapters.pipedrive.costs` (leads, lead labels, files, field options), as the official specs
give them. The shared table wins where it has an operation."""

from __future__ import annotations

from adapters.pipedrive.costs import FIELD_COLLECTIONS, TOKEN_COSTS

EXTRA_COSTS: dict[tuple[str, str, str], int] = {
    ("GET", "v1", "/leads"): 20,
    ("GET", "v1", "/leads/archived"): 40,
    ("POST", "v1", "/leads"): 10,
    ("GET", "v1", "/leads/{id}"): 2,
    ("PATCH", "v1", "/leads/{id}"): 10,
    ("DELETE", "v1", "/leads/{id}"): 6,
    ("GET", "v1", "/leadLabels"): 10,
    ("POST", "v1", "/leadLabels"): 10,
    ("PATCH", "v1", "/leadLabels/{id}"): 10,
    ("DELETE", "v1", "/leadLabels/{id}"): 6,
    ("GET", "v1", "/files"): 20,
    ("POST", "v1", "/files"): 10,
    ("GET", "v1", "/files/{id}"): 2,
    ("PUT", "v1", "/files/{id}"): 10,
    ("DELETE", "v1", "/files/{id}"): 6,
    ("GET", "v1", "/files/{id}/download"): 20,
    **{
        ("POST", "v2", f"/{collection}/{{field_code}}/options"): 5
        for collection in FIELD_COLLECTIONS.values()
    },
}


def price(method: str, version: str, path: str) -> int:
    key = (method, version, path)
    return TOKEN_COSTS[key] if key in TOKEN_COSTS else EXTRA_COSTS[key]
