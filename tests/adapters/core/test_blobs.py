"""Files on their way across: downloads streamed into a capped spooled copy (a body cut short
is an error, never a shorter file), and multipart uploads of known length that a retry sends
again whole."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.core.auth import HeaderAuth
from adapters.core.blobs import IN_MEMORY_BYTES, Blob, FileTooLarge, multipart
from adapters.core.errors import UnreadableResponse
from adapters.core.http import ApiClient, RetryPolicy

CONTENT = bytes(range(256)) * (IN_MEMORY_BYTES // 256 + 7)  # past the in-memory part
NAME = 'Umowa – Zażółć gęślą jaźń 契約 "v2".pdf'


class Files:
    """Serves CONTENT, cut short for the first `short` requests; takes uploads."""

    def __init__(self, short: int = 0, refuse_first: bool = False) -> None:
        self.short = short
        self.refuse_first = refuse_first
        self.uploads: list[dict[str, Any]] = []
        self.seen: list[tuple[str, str | None]] = []  # (host, the key it was sent)
        self.app = Starlette(
            routes=[
                Route("/file", self.file),
                Route("/moved", self.moved),
                Route("/upload", self.upload, methods=["POST"]),
            ]
        )

    async def moved(self, request: Request) -> Response:
        return Response(status_code=302, headers={"location": "http://cdn.example/file"})

    async def file(self, request: Request) -> Response:
        self.seen.append((request.url.hostname or "", request.headers.get("x-api-key")))
        headers = {"content-length": str(len(CONTENT))}
        if self.short > 0:
            self.short -= 1
            return Response(CONTENT[: len(CONTENT) // 2], headers=headers)
        return Response(CONTENT, headers=headers)

    async def upload(self, request: Request) -> Response:
        raw = await request.body()
        assert int(request.headers["content-length"]) == len(raw)
        if self.refuse_first and not self.uploads:
            self.uploads.append({})
            return JSONResponse({}, 429, headers={"retry-after": "0"})
        form = await request.form()
        file = form["file"]
        assert not isinstance(file, str)
        self.uploads.append(
            {"name": file.filename, "type": file.content_type, "bytes": await file.read(),
             "deal_id": form["deal_id"]}
        )  # fmt: skip
        return JSONResponse({"ok": True})


def client(files: Files) -> ApiClient:
    retry = RetryPolicy(attempts=3, wait_initial=0, wait_max=0)
    transport = httpx.ASGITransport(app=files.app)
    auth = HeaderAuth("x-api-key", "secret-key")
    return ApiClient("http://files", transport=transport, retry=retry, auth=auth)


async def test_a_download_is_spooled_whole_even_after_a_cut_short_attempt() -> None:
    api = client(Files(short=1))
    with Blob("data.bin", cap=10 * len(CONTENT)) as blob:
        written = await api.download("/file", blob)
        assert written == blob.size == len(CONTENT)
        assert b"".join([chunk async for chunk in blob.chunks()]) == CONTENT


async def test_credentials_go_to_the_api_host_only_not_where_a_link_or_redirect_points() -> None:
    files = Files()
    api = client(files)
    for where in ("/file", "http://cdn.example/file", "/moved"):
        with Blob("data.bin", cap=10 * len(CONTENT)) as blob:
            assert await api.download(where, blob) == len(CONTENT)
    assert files.seen == [("files", "secret-key"), ("cdn.example", None), ("cdn.example", None)]


async def test_a_download_always_cut_short_is_an_error_not_a_shorter_file() -> None:
    api = client(Files(short=10))
    with Blob("data.bin", cap=10 * len(CONTENT)) as blob, pytest.raises(UnreadableResponse):
        await api.download("/file", blob)


async def test_a_file_above_the_cap_is_refused_while_it_streams() -> None:
    api = client(Files())
    with Blob("data.bin", cap=len(CONTENT) - 1) as blob, pytest.raises(FileTooLarge) as refused:
        await api.download("/file", blob)
    assert refused.value.code == "file_too_large" and "data.bin" in refused.value.message


async def test_an_upload_keeps_a_non_ascii_name_and_is_sent_again_whole_after_a_429() -> None:
    files = Files(refuse_first=True)
    api = client(files)
    with Blob(NAME, cap=10 * len(CONTENT)) as blob:
        blob.write(CONTENT)
        headers, body = multipart({"deal_id": "7"}, "file", NAME, "application/pdf", blob)
        response = await api.request("POST", "/upload", headers=headers, content=body)
    assert response.status_code == 200
    assert files.uploads[-1] == {
        "name": NAME, "type": "application/pdf", "bytes": CONTENT, "deal_id": "7"
    }  # fmt: skip
    assert len(files.uploads) == 2  # the 429 and the upload sent again
