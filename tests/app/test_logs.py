"""The log helpers on their own: the sandbox's access lines filtered out, session event lines."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from app.logs import DropSandboxTraffic, session_event


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn.access makes it."""
    args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/sandbox/pipedrive/4f1c/api/v2/persons?limit=500", False),
        ("/sandbox/hubspot/4f1c/crm/v3/objects/contacts", False),
        ("/sandbox/accounts", True),
        ("/sandbox/accounts/4f1c/faults", True),
        ("/v1/sessions", True),
    ],
)
def test_only_the_emulators_traffic_leaves_the_access_log(path: str, kept: bool) -> None:
    assert DropSandboxTraffic().filter(access_record(path)) is kept


@dataclass
class FakeSession:
    id: str = "s-1"
    account_id: str = "a-1"
    source_system: str = "hubspot"
    target_system: str = "pipedrive"
    mode: str = "full"


def test_a_session_event_is_one_logfmt_line(caplog: pytest.LogCaptureFixture) -> None:
    until = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with caplog.at_level(logging.INFO, logger="ferry.events"):
        session_event("paused", FakeSession(), until=until, code=None, reason="budget spent")
    (record,) = caplog.records
    assert record.getMessage() == (
        "event=session.paused session=s-1 account=a-1 source=hubspot target=pipedrive mode=full "
        'until=2026-01-02T03:04:05+00:00 reason="budget spent"'
    )


def test_a_failed_session_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ferry.events"):
        session_event("failed", FakeSession(), status="failed", code="source_auth_failed")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("status=failed code=source_auth_failed")
