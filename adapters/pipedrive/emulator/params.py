"""Query parameters the spec documents that the emulator does not implement: refused with a
400 in Pipedrive's error envelope rather than ignored with a 200, so that a client relying on
one finds out here and not in production.

Parameters the spec does not document at all are ignored, not refused: nothing we could find
(Pipedrive's docs, changelog, migration guide, issue threads) says that Pipedrive refuses them,
and every client sends at least one (`api_token`). Only the documented-but-unimplemented ones
are refused."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import QueryParams

from adapters.pipedrive.emulator.errors import BadRequest

# What every v2 record list of an entity with custom fields documents and the emulator lacks.
RECORD_LIST_UNSUPPORTED = frozenset({"filter_id", "include_fields", "include_option_labels",
                                     "include_labels"})  # fmt: skip
RECORD_GET_UNSUPPORTED = frozenset({"include_fields", "include_option_labels", "include_labels"})
FIELD_UNSUPPORTED = frozenset({"include_fields"})


def refuse_unsupported(params: QueryParams, unsupported: Iterable[str]) -> None:
    for name in sorted(set(unsupported) & set(params.keys())):
        raise BadRequest(f"The parameter {name} is not supported by this emulator.")


def custom_field_keys(params: QueryParams) -> frozenset[str] | None:
    """`custom_fields`: a comma-separated list of up to 15 custom field keys to answer with."""
    text = params.get("custom_fields")
    if text is None:
        return None
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys or len(keys) > MAX_CUSTOM_FIELD_KEYS:
        raise BadRequest(
            f"custom_fields must be a comma-separated list of 1 to {MAX_CUSTOM_FIELD_KEYS} keys."
        )
    return frozenset(keys)


MAX_CUSTOM_FIELD_KEYS = 15
