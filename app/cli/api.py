"""The HTTP client of the commands that talk to a running server (`migrate`, `sessions`,
`sandbox`): where it is, the API key, and its errors turned into exit codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import typer

from app.cli.exits import ExitCode

DEFAULT_URL = "http://127.0.0.1:8000"

UrlOption = Annotated[
    str,
    typer.Option("--url", envvar="FERRY_URL", help="The Ferry server", rich_help_panel="Server"),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="FERRY_API_KEY",
        help="Your API key (better in FERRY_API_KEY: a flag shows in the process list)",
        show_default=False,
        rich_help_panel="Server",
    ),
]


class CliFailure(Exception):
    """Ends the command with a one-line message and an exit code (never a traceback)."""

    def __init__(self, message: str, exit_code: int, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.code = code


@dataclass
class Api:
    url: str
    key: str

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {self.key}"}
        try:
            with httpx.Client(base_url=self.url, headers=headers, timeout=30) as http:
                response = http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CliFailure(
                f"could not reach Ferry at {self.url} ({type(exc).__name__}). Is 'ferry serve' "
                "running? Point --url or FERRY_URL at it.",
                ExitCode.UNREACHABLE,
            ) from None
        if response.status_code >= 400:
            raise api_failure(response)
        return response.json()


def api_failure(response: httpx.Response) -> CliFailure:
    """The API's own `code` and `message` (the one error shape), else what the status says."""
    try:
        error = response.json()["error"]
        code, message = str(error["code"]), str(error["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.reason_phrase
    return CliFailure(message, ExitCode.API_ERROR, code=code)


def connect(url: str, api_key: str | None) -> Api:
    if not api_key:
        raise CliFailure(
            "no API key: set FERRY_API_KEY (or pass --api-key). "
            "'ferry accounts create NAME' makes one.",
            ExitCode.USAGE,
        )
    return Api(url=url.rstrip("/"), key=api_key)
