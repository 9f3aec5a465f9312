"""Webhooks (signed, retried) and the daily token budget (the session pauses, then resumes)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from app.security import verify_webhook
from tests.helpers import sandbox, start_session, wait_for


class Receiver:
    """A webhook receiver on loopback that fails its first `failures` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.calls.append((dict(self.headers.items()), body))
                status = 500 if len(receiver.calls) <= receiver.failures else 204
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ferry"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(failures=1)
    yield server
    server.server.shutdown()


async def test_webhook_is_signed_and_retried_until_delivered(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    secret = (await client.post("/v1/account/webhook-secret/rotate")).json()["webhook_secret"]
    source = await sandbox(client, size=3)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target, webhook_url=receiver.url)
    done = await wait_for(
        client, session["id"], until=lambda s: s["webhook_status"] == "delivered", timeout=60
    )
    assert done["status"] == "completed"
    assert len(receiver.calls) == 2  # the first delivery failed and was retried
    headers, body = receiver.calls[-1]
    signature = {k.lower(): v for k, v in headers.items()}["ferry-signature"]
    assert verify_webhook(secret, signature, body, now=int(time.time()))
    assert not verify_webhook("whsec_other", signature, body, now=int(time.time()))
    payload = json.loads(body)
    assert payload["event"] == "session.finished"
    assert payload["session"]["id"] == session["id"]
    assert payload["session"]["status"] == "completed"
    assert payload["session"]["progress"]["persons"]["loaded"] == 3
    assert "api_token" not in body.decode()


async def test_spent_daily_budget_pauses_the_session_and_says_until_when(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=20)
    target = await sandbox(client, dataset="empty", limits={"daily_tokens": 150})
    session = await start_session(client, source, target)
    paused = await wait_for(client, session["id"], until=lambda s: s["paused_until"] is not None)
    assert paused["status"] == "running"
    loaded = sum(p["loaded"] for p in paused["progress"].values())
    assert loaded < 60
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]
    assert errors == []
