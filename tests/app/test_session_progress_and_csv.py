"""The pure parts of live progress: CSV cells a spreadsheet would run as formulas stay text, and
percent and ETA from a session's counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from app.models import MigrationSession, SessionEntity
from app.sessions import progress
from app.sessions.errors_csv import _lines

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_formula_cells_are_neutralised_and_the_rest_left_as_is() -> None:
    hostile = ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "fine, with a comma")
    [row] = list(csv.reader(io.StringIO(_lines([hostile]))))
    assert row == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "fine, with a comma",
    ]


def _session(**values: object) -> MigrationSession:
    defaults: dict[str, object] = {
        "status": "running",
        "mode": "full",
        "started_at": NOW - timedelta(seconds=60),
        "paused_until": None,
    }
    return MigrationSession(**{**defaults, **values})


def _entity(**values: object) -> SessionEntity:
    counts: dict[str, object] = {
        "total": None, "extracted": 0, "loaded": 0, "skipped": 0, "failed": 0, "deleted": 0,
        "extract_done": False, "load_done": False,
    }  # fmt: skip
    return SessionEntity(**{**counts, **values})


def test_percent_is_unknown_until_every_total_is_and_never_100_before_the_end() -> None:
    session = _session()
    reading = _entity(extracted=40)
    assert progress.session_percent(session, [reading]) is None
    half = _entity(total=100, extracted=100, extract_done=True, loaded=50)
    assert progress.entity_percent(half, writing=True) == 60.0  # read: 20, half written: 40
    almost = _entity(total=10_000, extracted=10_000, extract_done=True, loaded=9_999)
    assert progress.session_percent(session, [almost]) == 99.9
    done = _entity(total=3, extracted=3, loaded=3, extract_done=True, load_done=True)
    assert progress.session_percent(session, [done, half]) == 61.2  # (3 + 60) of 103


def test_eta_follows_the_rate_so_far_and_is_null_once_ended() -> None:
    session = _session()
    assert progress.eta(session, 25.0, NOW) == NOW + timedelta(seconds=180)
    paused = _session(paused_until=NOW + timedelta(hours=1))
    assert progress.eta(paused, 50.0, NOW) == NOW + timedelta(hours=1, seconds=60)
    assert progress.eta(session, None, NOW) is None and progress.eta(session, 0.0, NOW) is None
    assert progress.eta(_session(status="cancelled"), 50.0, NOW) is None


def test_eta_is_never_sooner_than_the_burst_window_lets_the_writes_left_go() -> None:
    # A quarter done in a minute would promise three more minutes; but 9,000 writes are left
    # and the token's window lets 50 a second through: 180 s at the least, and here 3 minutes.
    rows = [_entity(total=12_000, extracted=12_000, extract_done=True, loaded=3_000)]
    pace = {"pace": {"daily_left": 10**6, "daily_budget": 10**6, "per_second": 50.0}}
    session = _session(handover_state=pace, tokens_spent=15_000)
    assert progress.eta(session, 25.0, NOW, rows) == NOW + timedelta(seconds=180)
    # The same counts behind a window of 10 a second: 900 s, whatever the pace so far said.
    slow = {"pace": {**pace["pace"], "per_second": 10.0}}
    session = _session(handover_state=slow, tokens_spent=15_000)
    assert progress.eta(session, 25.0, NOW, rows) == NOW + timedelta(seconds=900)


def test_work_past_the_budget_left_ends_after_the_resets() -> None:
    start = datetime(2026, 12, 3, 22, 0, tzinfo=UTC)
    fits = progress.estimate(start, 600.0, 5_000, budget_left=10_000, daily_budget=30_000)
    assert fits.done_at == start + timedelta(seconds=600)
    # 70,000 tokens with 10,000 left today: two resets, the second day's budget does the rest.
    spills = progress.estimate(start, 700.0, 70_000, budget_left=10_000, daily_budget=30_000)
    assert spills.done_at == datetime(2026, 12, 5, 0, 5, tzinfo=UTC)
    assert round(spills.budget_days, 3) == 2.333
    unknown = progress.estimate(start, 60.0, 70_000, budget_left=None, daily_budget=30_000)
    assert unknown.done_at == start + timedelta(seconds=60)
