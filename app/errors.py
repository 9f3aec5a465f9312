"""One error base: every failure the API reports has a status, a stable code and a human message."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


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


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each listed status answers the ErrorResponse shape."""
    return {status: {"model": ErrorResponse} for status in statuses}


def error_response(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


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
        return error_response(exc.status_code, code, str(exc.detail))


def _describe(err: dict[str, Any]) -> dict[str, Any]:
    # Never echo the submitted value back: it may be a credential.
    location = ".".join(str(part) for part in err.get("loc", ()))
    return {"location": location, "message": err.get("msg", ""), "type": err.get("type", "")}
