"""Every error code Ferry answers or records, in one place: the API description's catalogue and
each operation's documented responses are built from it, and a test holds it to the codes the
sources raise (tests/api/test_docs.py).

`routes` says which operations can answer a code: "METHOD /path" as in the OpenAPI document, or
a trait every matching operation has: any (every route), key (takes an API key), body (takes
a JSON body), input (takes parameters or a body), post (every POST)."""

from __future__ import annotations

from dataclasses import dataclass

ANY, KEY, BODY, INPUT, POST = "any", "key", "body", "input", "post"

SESSIONS = ("POST /v1/sessions", "POST /v1/sessions/preview")
CONNECTING = (*SESSIONS, "POST /v1/connections/test")
ONE_SESSION = (
    "GET /v1/sessions/{session_id}",
    "POST /v1/sessions/{session_id}/cancel",
    "POST /v1/sessions/{session_id}/undo",
    "POST /v1/sessions/{session_id}/resume",
    "GET /v1/sessions/{session_id}/errors",
    "GET /v1/sessions/{session_id}/errors.csv",
    "GET /v1/sessions/{session_id}/events",
    "GET /v1/sessions/{session_id}/webhook-deliveries",
)
ONE_SANDBOX = (
    "GET /sandbox/accounts/{sandbox_id}",
    "PUT /sandbox/accounts/{sandbox_id}/faults",
    "GET /sandbox/accounts/{sandbox_id}/export",
)
UPLOADING = "POST /v1/uploads"
ONE_UPLOAD = ("GET /v1/uploads/{upload_id}", "DELETE /v1/uploads/{upload_id}")
# What opens a session: the connection checks and the mapping's reads call both systems.
OPENING = (
    *SESSIONS,
    "POST /v1/sessions/{session_id}/undo",
    "POST /v1/sessions/{session_id}/resume",
)


@dataclass(frozen=True)
class ErrorCode:
    code: str
    # The HTTP status of an API answer with this code; None: never an API answer, only a
    # session's `error_code`, a line of its errors or a connection test's `error`.
    status: int | None
    meaning: str
    routes: tuple[str, ...] = ()
    # Also a session's `error_code`, a record's error or a connection test's `error.code`.
    in_sessions: bool = False


def _api(code: str, status: int, meaning: str, *routes: str) -> ErrorCode:
    return ErrorCode(code, status, meaning, routes)


def _run(code: str, meaning: str) -> ErrorCode:
    return ErrorCode(code, None, meaning, in_sessions=True)


# What can go wrong calling a vendor. A connection check that fails answers it with the role in
# front (`source_auth_failed`, `target_unreachable`...): 502 when the vendor is at fault (down,
# answering garbage: app/sessions/service.py VENDOR_SIDE_CODES), else 422; in a running session
# it is the session's `error_code` or a record's.
VENDOR_FAILURES: dict[str, tuple[int, str]] = {
    "auth_failed": (422, "the system refused the credentials"),
    "url_not_allowed": (422, "the base_url points where Ferry may not call (a private address)"),
    "off_site_url": (422, "the system sent Ferry to a host other than its base_url"),
    "connection_failed": (502, "the call to the system failed"),
    "unreachable": (502, "the system could not be reached"),
    "transient_error": (502, "the system kept failing (5xx, timeouts, rate limits) past retries"),
    "unexpected_response": (422, "the system answered a status Ferry does not expect"),
    "unreadable_response": (502, "the system's answer could not be read"),
    "invalid_response": (502, "the system answered in a shape that could not be read"),
    "pagination_loop": (422, "the system's pages led back to a page already read"),
    "adapter_error": (422, "reading or writing the system failed"),
    "budget_exhausted": (422, "the system's daily API budget is spent"),
}

_CODES: list[ErrorCode] = [
    # Any route
    _api("missing_api_key", 401, "No `Authorization: Bearer <key>` header", KEY),
    _api("invalid_api_key", 401, "The API key is unknown or revoked", KEY),
    _api("malformed_json", 400, "The body is not valid JSON", BODY),
    _api("payload_too_large", 413, "The body is larger than FERRY_MAX_BODY_BYTES", BODY),
    _api(
        "validation_error",
        422,
        "A parameter or body field is invalid (`details` lists them)",
        INPUT,
    ),
    _api(
        "invalid_characters",
        422,
        "A NUL or a lone UTF-16 surrogate in the path, query or body",
        INPUT,
    ),
    _api(
        "invalid_idempotency_key",
        422,
        "The Idempotency-Key header is empty or past 255 characters",
        POST,
    ),
    _api("idempotency_key_reused", 409, "The Idempotency-Key was used for another request", POST),
    _api(
        "idempotency_key_in_use",
        409,
        "The first request with this Idempotency-Key is still running",
        POST,
    ),
    _api("not_found", 404, "No such route"),
    _api("method_not_allowed", 405, "The route takes other methods (see `Allow`)"),
    _api("internal_error", 500, "A fault on Ferry's side; it is logged"),
    # Fallbacks of the error classes (app/errors.py): a route answers a more precise code.
    _api("bad_request", 400, "The request cannot be taken"),
    _api("unauthorized", 401, "Not authenticated"),
    _api("forbidden", 403, "Not allowed"),
    _api("conflict", 409, "The object is not in a state that allows this"),
    _api("invalid_request", 422, "The input is invalid"),
    _api("unsupported_media_type", 415, "The body's content type is not taken"),
    _api("http_error", 400, "Any other HTTP-level refusal"),
    # Connections and sessions
    _api(
        "unknown_system",
        422,
        "No such system id (see GET /v1/systems)",
        *CONNECTING,
        "POST /sandbox/accounts",
        UPLOADING,
    ),
    _api(
        "role_not_supported",
        422,
        "The system cannot be a source (or a target) of a session",
        *CONNECTING,
    ),
    _api("base_url_required", 422, "The system needs a `base_url`", *CONNECTING),
    _api(
        "invalid_credentials",
        422,
        "A credential field is missing or unknown for the system",
        *CONNECTING,
    ),
    _api(
        "url_not_allowed",
        422,
        "A URL (a base_url, the webhook_url) points at a private or loopback address; "
        "FERRY_ALLOWED_HOSTS can allow a host",
        *CONNECTING,
    ),
    _api("url_unresolvable", 422, "A URL's host does not resolve", *CONNECTING),
    _api(
        "invalid_url", 422, "A URL is not an absolute http(s) URL without credentials", *CONNECTING
    ),
    _api("url_too_long", 422, "A URL is longer than Ferry takes", *CONNECTING),
    _api(
        "unsupported_entities",
        422,
        "The source offers none of (or not all) the entities asked for",
        *SESSIONS,
    ),
    _api(
        "sample_without_sample_mode",
        422,
        "`sample` was given with a mode other than sample",
        *SESSIONS,
    ),
    _api("same_company", 422, "The source and the target are the same company", *SESSIONS),
    _api(
        "invalid_mapping",
        422,
        "A name in `options.mapping` is not in the source or the target (`details.choices`)",
        *SESSIONS,
    ),
    ErrorCode(
        "too_many_records",
        422,
        "The source holds more records than FERRY_MAX_RECORDS (at creation, from the vendor's "
        "totals; or in the run, counted as read)",
        SESSIONS,
        in_sessions=True,
    ),
    _api(
        "pair_busy",
        409,
        "A writing session of the same source and target is queued or running",
        *SESSIONS,
        "POST /v1/sessions/{session_id}/undo",
        "POST /v1/sessions/{session_id}/resume",
    ),
    _api(
        "no_baseline", 409, "A delta needs an earlier full or delta session of the pair", *SESSIONS
    ),
    _api("invalid_cursor", 422, "The `cursor` is not one this list gave", "GET /v1/sessions"),
    _api("session_not_found", 404, "No such session in this account", *ONE_SESSION),
    _api(
        "session_finished",
        409,
        "The session has ended already",
        "POST /v1/sessions/{session_id}/cancel",
    ),
    _api(
        "session_running",
        409,
        "The session is still queued or running",
        "POST /v1/sessions/{session_id}/undo",
    ),
    _api(
        "nothing_to_undo",
        422,
        "The session wrote nothing that an undo could delete",
        "POST /v1/sessions/{session_id}/undo",
    ),
    _api(
        "session_not_finished",
        409,
        "Only a session that has ended can be resumed",
        "POST /v1/sessions/{session_id}/resume",
    ),
    _api(
        "not_resumable",
        409,
        "The session cannot be resumed (completed, or of a mode that does not resume)",
        "POST /v1/sessions/{session_id}/resume",
    ),
    # Uploads (a CSV export as a source)
    _api(
        "upload_too_large",
        413,
        "The upload (or what its zip unpacks to) is larger than FERRY_MAX_UPLOAD_BYTES",
        UPLOADING,
    ),
    _api(
        "upload_unreadable",
        422,
        "A file is not CSV text in UTF-8 (or a zip of such files); the message names it",
        UPLOADING,
    ),
    _api("upload_no_header", 422, "A file is empty or its first row is no header", UPLOADING),
    _api(
        "upload_unknown_entity",
        422,
        "A file's name does not say its entity and `entities` does not either",
        UPLOADING,
    ),
    _api("upload_duplicate_entity", 422, "Two files of the upload hold one entity", UPLOADING),
    _api("upload_empty", 422, "The upload holds no CSV file", UPLOADING),
    _api(
        "no_file_source",
        422,
        "The system has no export Ferry reads (upload as csv)",
        UPLOADING,
        *CONNECTING,
    ),
    _api("upload_not_found", 404, "No such upload in this account", *ONE_UPLOAD),
    _api("upload_in_use", 409, "A queued or running session reads the upload", *ONE_UPLOAD),
    ErrorCode(
        "unknown_upload",
        422,
        "The connection's `upload_id` is no upload of this account (or of another system's "
        "export); in a session: the upload was deleted",
        CONNECTING,
        in_sessions=True,
    ),
    _api(
        "upload_required", 422, "The system is read from an upload: give `upload_id`", *CONNECTING
    ),
    _api(
        "upload_with_credentials",
        422,
        "A connection gave an `upload_id` and credentials or a base_url",
        *CONNECTING,
    ),
    _api(
        "no_export",
        404,
        "The sandbox account's system has no export to download",
        "GET /sandbox/accounts/{sandbox_id}/export",
    ),
    # Account and sandbox
    _api(
        "api_key_not_found",
        404,
        "No such API key in this account",
        "DELETE /v1/account/api-keys/{key_id}",
    ),
    _api(
        "last_api_key",
        409,
        "The account's last active key cannot be revoked",
        "DELETE /v1/account/api-keys/{key_id}",
    ),
    _api("sandbox_account_not_found", 404, "No such sandbox account in this account", *ONE_SANDBOX),
    # Operations
    _api("not_ready", 503, "The database or the queue does not answer", "GET /readyz"),
    _api(
        "invalid_metrics_token",
        401,
        "/metrics needs FERRY_METRICS_TOKEN as a bearer token",
        "GET /metrics",
    ),
    # The status page and the CLI
    _api("sandbox_disabled", 422, "This service runs no sandbox (status page)"),
    _api(
        "invalid_sandbox_size", 422, "The sandbox size is not a whole number in range (status page)"
    ),
    _api("account_not_found", 404, "No account of that name or id (`ferry accounts`)"),
    # In a session's run: its `error_code`, its records' errors or a connection test's `error`
    _run("record_rejected", "The target refused the record (its message says why)"),
    _run("target_record_gone", "The Pipedrive record Ferry wrote before is gone"),
    _run("outcome_unknown", "A write's answer was lost; Ferry looked and could not tell"),
    _run("outcome_ambiguous", "A lost write's record matched more than one Pipedrive record"),
    _run("mapping_failed", "The record could not be mapped to Pipedrive's shape"),
    _run("missing_parent", "A line item's deal or product is not in Pipedrive"),
    _run("parent_missing", "A file or note hangs on no record that is in Pipedrive"),
    _run("not_supported", "The entity is matched in Pipedrive, never written"),
    _run("no_content", "The system serves no file contents"),
    _run("file_too_large", "The file is larger than `options.max_file_bytes`"),
    _run("file_unreadable", "The file's contents could not be read from the source"),
    _run("row_unreadable", "A row of an uploaded file is not a record (file and line named)"),
    _run("gone_from_source", "The record was deleted in the source since an earlier session"),
    _run(
        "edited_in_target", "An undo kept a record edited in Pipedrive since (`force` deletes it)"
    ),
    _run(
        "unsupported_grant_type", "An emulated vendor's OAuth endpoint refused the grant (sandbox)"
    ),
]


def _vendor_codes() -> list[ErrorCode]:
    codes = [
        _run(code, meaning[0].upper() + meaning[1:])
        for code, (_, meaning) in VENDOR_FAILURES.items()
    ]
    for role in ("source", "target"):
        for code, (status, meaning) in VENDOR_FAILURES.items():
            routes = OPENING if status == 502 else CONNECTING
            codes.append(_api(f"{role}_{code}", status, f"The {role}: {meaning}", *routes))
    return codes


def _catalogue(codes: list[ErrorCode]) -> dict[str, ErrorCode]:
    merged: dict[str, ErrorCode] = {}
    for entry in codes:
        known = merged.get(entry.code)
        if known is None:
            merged[entry.code] = entry
        else:  # an API code that is also a failure in runs (url_not_allowed...)
            merged[entry.code] = ErrorCode(
                known.code, known.status, known.meaning, known.routes, in_sessions=True
            )
    return merged


CATALOGUE: dict[str, ErrorCode] = _catalogue(_CODES + _vendor_codes())


def codes_for(method: str, path: str, traits: set[str]) -> list[ErrorCode]:
    """The codes an operation can answer: those naming it and those of its traits."""
    operation = f"{method.upper()} {path}"
    return [
        entry
        for entry in CATALOGUE.values()
        if entry.status is not None
        and any(route == operation or route in traits for route in entry.routes)
    ]


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table, for the API description."""
    lines = ["| code | HTTP status | meaning |", "|---|---|---|"]
    for entry in sorted(CATALOGUE.values(), key=lambda e: e.code):
        status = str(entry.status) if entry.status is not None else "in a session"
        if entry.status is not None and entry.in_sessions:
            status += "; also in a session"
        lines.append(f"| `{entry.code}` | {status} | {entry.meaning} |")
    return "\n".join(lines)
