"""Pipedrive's error envelope: `{"success": false, "error", "error_info", "data": null}`."""

from __future__ import annotations

from typing import Any

# The error_info Pipedrive sends with its errors (as quoted in its API changelog).
DEFAULT_ERROR_INFO = (
    "Please check developers.pipedrive.com for more information about Pipedrive API."
)


class PipedriveError(Exception):
    def __init__(self, status: int, error: str, error_info: str = DEFAULT_ERROR_INFO) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.error_info = error_info

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": self.error,
            "error_info": self.error_info,
            "data": None,
            "additional_data": None,
        }


class BadRequest(PipedriveError):
    def __init__(self, error: str) -> None:
        super().__init__(400, error)


class NotFound(PipedriveError):
    def __init__(self, error: str) -> None:
        super().__init__(404, error)


class Unauthorized(PipedriveError):
    """The spec's unauthorized response: `error: "unauthorized access"`, `errorCode: 401`."""

    def __init__(self) -> None:
        super().__init__(401, "unauthorized access")

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errorCode": 401}


class TooManyRequests(PipedriveError):
    def __init__(self, error_info: str) -> None:
        super().__init__(429, "Too Many Requests", error_info)

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errorCode": 429}
