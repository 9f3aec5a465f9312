"""The status page's templates and sign-in cookie, in process: hostile names (an account, a
warning, a record error, a custom field) are shown as text, never run; a cookie that was
tampered with, is too old or is not ours signs nobody in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from app import security
from app.config import get_settings
from app.sessions.schemas import SessionOut
from app.ui import auth
from app.ui.pages import templates
from app.ui.views import session_view

HOSTILE = '<script>alert("owned")</script>'
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def _session(**changes: Any) -> SessionOut:
    progress = {
        "total": 3, "extracted": 3, "loaded": 2, "skipped": 0, "failed": 1, "created": 2,
        "updated": 0, "matched": 0, "unchanged": 0, "deleted": 0, "gone": 0, "percent": 100.0,
    }  # fmt: skip
    fields: dict[str, Any] = {
        "id": "5f0c6c1e-0000-4000-8000-000000000001",
        "status": "completed_with_errors",
        "mode": "full",
        "merge": None,
        "phase": "finished",
        "source": {"system": "hubspot", "base_url": "http://127.0.0.1:8000/sandbox/hubspot/x"},
        "target": {"system": "pipedrive", "base_url": "http://127.0.0.1:8000/sandbox/pipedrive/y"},
        "entities": ["users", "persons"],
        "options": {},
        "webhook_url": None,
        "webhook_status": None,
        "progress": {"persons": progress},
        "percent": 100.0,
        "field_map": [
            {
                "entity": "persons",
                "source_key": "x_field",
                "source_name": HOSTILE,
                "target_key": "abc123",
                "origin": "created",
            }
        ],
        "error": None,
        "warnings": [f"The field {HOSTILE} has no equivalent in Pipedrive"],
        "tokens_spent": 40,
        "cancel_requested": False,
        "paused_until": None,
        "created_at": NOW,
        "started_at": NOW,
        "finished_at": NOW,
        **changes,
    }
    return SessionOut.model_validate(fields)


class _Account:
    name = HOSTILE


def _render(template: str, **context: Any) -> str:
    return templates.get_template(template).render(
        account=_Account(), csrf_token="token", **context
    )


def test_hostile_names_are_shown_as_text_on_a_sessions_page() -> None:
    error = {"entity": "persons", "source_id": HOSTILE, "stage": "load", "code": "rejected",
             "message": f"Pipedrive refused {HOSTILE}"}  # fmt: skip
    html = _render(
        "session.html",
        view=session_view(_session(), now=NOW),
        errors=[error],
        errors_next=None,
        filters={"entity": "", "code": "", "entities": ["persons"], "codes": [HOSTILE]},
        field_map=_session().field_map,
        deliveries=[],
        notice=HOSTILE,
    )
    assert "<script>alert" not in html
    escaped = "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;"
    # The account's name, the notice, the warning, the error's id and message, the filter's
    # code and the field's name: each one escaped.
    assert html.count(escaped) >= 7, html
    # The page's own script is the one external file: no inline script at all.
    assert html.count("<script") == 1 and 'src="/ui/static/ferry.js?v=' in html


def test_hostile_names_are_shown_as_text_on_the_list() -> None:
    html = _render(
        "sessions.html",
        sessions=[session_view(_session(status="running", phase=HOSTILE), now=NOW)],
        next_cursor=None,
        cursor=None,
        sandbox=None,
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert 'data-status="running"' in html and "data-events=" in html


@pytest.fixture
def service_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FERRY_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    security._fernet.cache_clear()
    yield
    get_settings.cache_clear()
    security._fernet.cache_clear()


def test_the_sign_in_cookie_holds_for_twelve_hours_and_only_untouched(service_key: None) -> None:
    value, signed = auth.seal("fry_key", now=1_000_000)

    assert auth.unseal(value, now=1_000_000 + 60) == signed
    assert auth.unseal(value, now=1_000_000 + auth.SIGN_IN_SECONDS + 1) is None
    tampered = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    assert auth.unseal(tampered, now=1_000_000) is None
    assert auth.unseal("not-a-token", now=1_000_000) is None
    # A cookie another service's key sealed is not ours.
    other = Fernet(Fernet.generate_key()).encrypt(b'{"key": "fry_key", "csrf": "x", "iat": 1}')
    assert auth.unseal(other.decode(), now=1) is None
    assert auth.csrf_matches(signed.csrf_token, signed.csrf_token)
    assert not auth.csrf_matches(signed.csrf_token, "forged") and not auth.csrf_matches("", "")


def test_a_running_session_says_how_long_it_has_left_or_until_when_it_waits() -> None:
    running = session_view(
        _session(status="running", percent=40.0, eta=NOW + timedelta(minutes=3)), now=NOW
    )
    paused = session_view(
        _session(status="running", paused_until=NOW + timedelta(hours=2)), now=NOW
    )
    finished = session_view(_session(), now=NOW)

    assert (running["percent_text"], running["eta_text"]) == ("40.0 %", "about 3 min left")
    assert paused["eta_text"] == "paused until 2026-01-15 12:00:00 UTC"
    assert finished["eta_text"] == "" and finished["can_undo"] and not finished["can_cancel"]
