"""Mechanisms a vendor's source or emulator reuses: a changed-since time written
yyyymmddhhmmss in UTC (37signals' `since`) asked and served, a rate window of a route's own,
a file's bytes served as a download names them, and a status of its own over the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from starlette.routing import BaseRoute

from adapters.core.declarative import ChangedSince
from adapters.core.emulation import RateState, RateWindow, SourceEmulator, VendorError
from adapters.core.serving import Since, file_response


def test_a_compact_since_is_asked_in_utc_and_served_against_iso_times() -> None:
    since = datetime(2026, 1, 15, 12, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    assert ChangedSince("since", "{compact}").params(since) == {"since": "20260115103005"}
    served = Since("since", "updated-at", form="compact")
    rows = [{"updated-at": "2026-01-15T10:30:04Z"}, {"updated-at": "2026-01-15T10:30:06Z"}]
    assert served.keep(rows, "20260115103005") == rows[1:]
    assert served.moment("20260115103005") == datetime(2026, 1, 15, 10, 30, 5, tzinfo=UTC)
    for bad in ("2026-01-15", "20261315103005", "2026011510300x"):
        with pytest.raises(VendorError):
            served.keep(rows, bad)


def test_a_rate_window_of_its_own_counts_each_account_apart_and_starts_over() -> None:
    window = RateWindow(seconds=10.0, burst=2)
    assert [window.spend("a", 0.0).remaining for _ in range(3)] == [1, 0, -1]
    assert window.spend("b", 1.0).remaining == 1  # another account's own count
    over = window.spend("a", 4.0)
    assert over.remaining < 0 and over.reset_seconds == 6.0
    assert window.spend("a", 10.0).remaining == 1  # a new window


def test_a_file_is_served_with_its_type_length_and_both_names() -> None:
    answer = file_response(b"hello", 'Umowa "Zażółć".txt', "text/plain")
    assert answer.body == b"hello" and answer.headers["content-length"] == "5"
    assert answer.headers["content-type"].startswith("text/plain")
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith("inline; filename=\"Umowa 'Za????'.txt\"")
    assert "filename*=UTF-8''Umowa%20%22Za%C5%BC%C3%B3%C5%82%C4%87%22.txt" in disposition
    assert file_response(b"", "x", None).headers["content-type"] == "application/octet-stream"


def test_a_vendor_may_answer_another_status_over_its_limit() -> None:
    class Busy(SourceEmulator):
        rate_limited_status = 503  # Highrise's

        def routes(self) -> list[BaseRoute]:
            return []

    over = Busy().rate_limited(RateState(limit=1, remaining=-1, reset_seconds=2.2))
    assert over.status == 503 and over.headers == {"Retry-After": "3"}
