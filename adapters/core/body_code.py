"""Vendors that answer every call 200 and say how it went in the body: a code (`Code`, negative
when the call failed) and the messages (`Msg`). Maximizer's Octopus API answers so, as do many
RPC-style APIs.

`CodeInBody` gives a source the pieces the engine takes: `rows(path)` (the records of a good
answer; a failed or code-less answer is an error, never an empty page that would end a list),
`token_refused` (a failure whose message names the token: the `expired` hook of
TokenExchangeAuth, which logs in again), `is_auth_failure` and `error_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.core.errors import UnreadableResponse
from adapters.core.http import UnexpectedResponse, default_error_text, default_is_auth_failure
from adapters.core.paginators import dig

Raw = dict[str, Any]


@dataclass(frozen=True)
class CodeInBody:
    vendor: str  # named in errors
    code: str = "Code"  # dotted path of the code
    messages: str = "Msg"  # dotted path of the message, or the list of them
    failed: Callable[[int], bool] = lambda code: code < 0
    token_words: tuple[str, ...] = ("token",)  # a failure saying one of these is about the token

    def answer(self, body: Any) -> tuple[int | None, list[str]]:
        """The code (None: the body has none) and the messages of a body."""
        code = dig(body, self.code) if isinstance(body, dict) else None
        if not isinstance(code, int) or isinstance(code, bool):
            return None, []
        said = dig(body, self.messages)
        return code, [str(m) for m in (said if isinstance(said, list) else [said]) if m]

    def _of(self, response: httpx.Response) -> tuple[int | None, list[str]]:
        try:
            return self.answer(response.json())
        except ValueError:
            return None, []

    def token_refused(self, response: httpx.Response) -> bool:
        code, messages = self._of(response)
        about = any(w in m.lower() for m in messages for w in self.token_words)
        return code is not None and self.failed(code) and about

    def is_auth_failure(self, response: httpx.Response) -> bool:
        """A 401/403, or a token refused (after the new login the auth tried)."""
        return default_is_auth_failure(response) or self.token_refused(response)

    def error_text(self, response: httpx.Response) -> str:
        code, messages = self._of(response)
        return f"Code {code}: {'; '.join(messages)}" if messages else default_error_text(response)

    def rows(self, path: str, shape: type = list) -> Callable[[Any], Any]:
        """The value at `path` of a good answer (a list: its objects), checked to be a `shape`;
        a failed answer is UnexpectedResponse, one without its code or value UnreadableResponse."""

        def read(body: Any) -> Any:
            code, messages = self.answer(body)
            if code is None:
                raise UnreadableResponse(f"{self.vendor}: an answer without its {self.code}")
            if self.failed(code):
                said = "; ".join(messages)
                raise UnexpectedResponse(
                    f"{self.vendor}: the call failed ({self.code} {code}: {said})", status=200
                )
            found: Any = dig(body, path)
            if not isinstance(found, shape):
                raise UnreadableResponse(f"{self.vendor}: {path} is not a {shape.__name__}")
            return [r for r in dig(body, path) if isinstance(r, dict)] if shape is list else found

        return read
