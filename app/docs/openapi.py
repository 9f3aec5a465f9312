"""What the generated OpenAPI document lacks, added once over the whole document: every error
response in the one error shape with the codes it can carry (from app/error_codes.py), the
Idempotency-Key header on every POST, example request bodies, and the code catalogue."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.docs.examples import BODY_EXAMPLES
from app.error_codes import ANY, BODY, INPUT, KEY, POST, ErrorCode, catalogue_markdown, codes_for
from app.guards import STREAMED_BODIES
from app.idempotency import HEADER, HEADER_DESCRIPTION, MAX_KEY_LENGTH, REPLAYED_HEADER

ERROR_REF = "#/components/schemas/ErrorResponse"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

STATUS_TITLES = {
    400: "The request cannot be read",
    401: "No API key, or not a valid one",
    403: "Not allowed",
    404: "Not found in this account",
    405: "Method not allowed",
    409: "Not possible in the object's state, or an Idempotency-Key conflict",
    413: "The body is too large",
    422: "The input is invalid",
    500: "A fault on Ferry's side",
    502: "A system the request had to call failed",
    503: "Not ready",
}

IDEMPOTENCY_SECTION = f"""
## Idempotency

Every POST takes an optional `{HEADER}` header (up to {MAX_KEY_LENGTH} characters; a UUID is
a good choice). Retry a request whose answer you did not get with the same key and the same body:
within 24 hours Ferry answers the first response again, with `{REPLAYED_HEADER}: true`, instead
of creating a second session, sandbox or key. The same key with another body (or on another
route) is 409 `idempotency_key_reused`; while the first request is still running, 409
`idempotency_key_in_use`. Keys belong to the account; an answer of 5xx is not kept.
"""

CATALOGUE_INTRO = """
## Error codes

Every error answers `{"error": {"code", "message", "details"}}`; `code` is stable, `message` is
for people. Codes marked "in a session" appear in a session's `error_code`, in its
`/errors` lines or in a connection test's `error`, not as an HTTP answer.

"""


def enrich(document: dict[str, Any]) -> None:
    info = document.setdefault("info", {})
    info["description"] = (
        info.get("description", "") + IDEMPOTENCY_SECTION + CATALOGUE_INTRO + catalogue_markdown()
    )
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in METHODS:
                _enrich_operation(method, path, operation)


def _enrich_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    if _replayable(method, path):
        _document_idempotency(operation)
    _document_errors(operation, codes_for(method, path, _traits(method, path, operation)))
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        examples = BODY_EXAMPLES.get(_schema_name(body.get("schema", {})) or "")
        if examples:
            body["examples"] = examples


def _traits(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    traits = {ANY}
    if operation.get("security"):
        traits.add(KEY)
    if "requestBody" in operation:
        traits.update({BODY, INPUT})
    if operation.get("parameters"):
        traits.add(INPUT)
    if _replayable(method, path):
        traits.add(POST)
    return traits


def _replayable(method: str, path: str) -> bool:
    """POSTs take an Idempotency-Key, except those that stream their body (uploads)."""
    return method == "post" and path not in STREAMED_BODIES


def _document_idempotency(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    parameters.append(
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "description": HEADER_DESCRIPTION,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
            "example": "3f0c8a52-7e1b-4d2a-9c6e-5b4a3f2e1d0c",
        }
    )
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            response.setdefault("headers", {})[REPLAYED_HEADER] = {
                "description": f"`true` when this is the stored answer to an earlier "
                f"request with the same {HEADER}",
                "schema": {"type": "string", "enum": ["true"]},
            }


def _document_errors(operation: dict[str, Any], codes: list[ErrorCode]) -> None:
    by_status: dict[int, list[ErrorCode]] = defaultdict(list)
    for entry in codes:
        assert entry.status is not None
        by_status[entry.status].append(entry)
    responses = operation.setdefault("responses", {})
    for status, entries in sorted(by_status.items()):
        response = responses.setdefault(
            str(status), {"content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
        )
        listed = "\n".join(f"- `{e.code}`: {e.meaning}" for e in entries)
        response["description"] = f"{STATUS_TITLES.get(status, 'Error')}\n\n{listed}"
        if "application/json" not in response.get("content", {}):
            # A route of another media type (an event stream, a CSV) still errs in JSON.
            response["content"] = {"application/json": {"schema": {"$ref": ERROR_REF}}}
        content = response["content"]["application/json"]
        if content.get("schema") == {"$ref": ERROR_REF}:
            content["examples"] = {e.code: _error_example(e) for e in entries}


def _error_example(entry: ErrorCode) -> dict[str, Any]:
    return {
        "summary": entry.meaning,
        "value": {"error": {"code": entry.code, "message": f"{entry.meaning}.", "details": None}},
    }


def _schema_name(schema: dict[str, Any]) -> str | None:
    """The component a body refers to, also through an optional body's anyOf."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    for option in schema.get("anyOf", []):
        name = _schema_name(option)
        if name:
            return name
    return None
