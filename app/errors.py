"""One error base: every failure the API reports has a status, a stable code and a human message."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("ferry")


class FerryError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


class NotFound(FerryError):
    status_code = 404
    code = "not_found"


class Unauthorized(FerryError):
    status_code = 401
    code = "unauthorized"


class Conflict(FerryError):
    status_code = 409
    code = "conflict"


class Unprocessable(FerryError):
    status_code = 422
    code = "invalid_request"


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The JSON shape of every error answer."""

    error: ErrorBody


_STATUS_DESCRIPTIONS = {
    400: "The body is not valid JSON (`malformed_json`) or cannot be parsed",
    401: "No API key, or not a valid one",
    404: "No such object in this account",
    409: "The object is not in a state that allows this",
    413: "The body is larger than FERRY_MAX_BODY_BYTES (`payload_too_large`)",
    422: "The input is invalid: `validation_error`, `invalid_characters` (a NUL or a lone "
    "surrogate anywhere in the path, query or body) or a code of the route's own",
    502: "A system the request had to call could not be reached",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each listed status answers the ErrorResponse shape."""
    return {
        status: {"model": ErrorResponse, "description": _STATUS_DESCRIPTIONS.get(status, "Error")}
        for status in statuses
    }


class ErrorJSONResponse(JSONResponse):
    """Renders any error body: an answer about bad input must not fail on that input."""

    def render(self, content: Any) -> bytes:
        try:
            text = _dumps(content)
        except (TypeError, ValueError):  # NaN or a cycle in the details: the message still goes
            error = content["error"]
            text = _dumps({"error": {**error, "details": None}})
        # A lone surrogate in a message (echoed input) cannot be UTF-8: it becomes "?".
        return text.encode("utf-8", errors="replace")


def _dumps(content: Any) -> str:
    return json.dumps(
        content, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":")
    )


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return ErrorJSONResponse(body, status_code=status)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    _document_our_422(app)

    @app.exception_handler(FerryError)
    async def _ferry(_: Request, exc: FerryError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [_describe(err) for err in exc.errors()]
        if any(p["type"] == "json_invalid" for p in problems):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        message = "The request is invalid: " + "; ".join(
            f"{p['location']}: {p['message']}" for p in problems[:5]
        )
        return error_response(422, "validation_error", message, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        response = error_response(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. the Allow of a 405
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette calls this outside the routes' handlers, for whatever escaped them.
        log.error("Unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(
            500, "internal_error", "Something went wrong on our side; it has been logged."
        )


def _describe(err: dict[str, Any]) -> dict[str, Any]:
    # Never echo the submitted value back: it may be a credential.
    location = ".".join(str(part) for part in err.get("loc", ()))
    return {"location": location, "message": err.get("msg", ""), "type": err.get("type", "")}


def _document_our_422(app: FastAPI) -> None:
    """FastAPI documents a 422 of its own (`{"detail": [...]}`) on a route with parameters that
    lists none; every 422 of ours has the ErrorResponse shape, so the document says so."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()  # FastAPI keeps it in app.openapi_schema
            schemas = document.get("components", {}).get("schemas", {})
            if "ErrorResponse" in schemas:
                _replace_default_422(document)
                if _DEFAULT_422_REF not in json.dumps(document["paths"]):
                    schemas.pop("HTTPValidationError", None)
                    schemas.pop("ValidationError", None)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


_DEFAULT_422_REF = "#/components/schemas/HTTPValidationError"


def _replace_default_422(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            response = operation.get("responses", {}).get("422")
            schema = (response or {}).get("content", {}).get("application/json", {}).get("schema")
            if schema == {"$ref": _DEFAULT_422_REF}:
                operation["responses"]["422"] = {
                    "description": _STATUS_DESCRIPTIONS[422],
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ErrorResponse"}
                        }
                    },
                }
