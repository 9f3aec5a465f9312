"""Errors raised by adapters. The pipeline decides from the class what to do:
fatal for the session, wait and retry, or skip the one record."""

from __future__ import annotations

from datetime import datetime


class AdapterError(Exception):
    code = "adapter_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ConnectionFailed(AdapterError):
    """The system cannot be used at all: the session fails (fatal)."""

    code = "connection_failed"


class AuthFailed(ConnectionFailed):
    code = "auth_failed"


class Unreachable(ConnectionFailed):
    code = "unreachable"


class TooManyRecords(ConnectionFailed):
    """The source holds more records than this service migrates in one session
    (FERRY_MAX_RECORDS), found while extracting: the session fails before anything is loaded."""

    code = "too_many_records"


class BudgetExhausted(AdapterError):
    """The target's daily token budget is spent: pause until `resume_at`."""

    code = "budget_exhausted"

    def __init__(self, message: str, *, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class RecordRejected(AdapterError):
    """The system refused one record (validation, plan cap...): skip it, record why."""

    code = "record_rejected"


class TransientError(AdapterError):
    """Retries ran out on a 5xx or a timeout."""

    code = "transient_error"


class UnreadableResponse(TransientError):
    """A success answer whose body cannot be read (cut short, not JSON, not the shape the
    vendor documents), even after retries: a page that cannot be read is an error, never an
    empty page or the end of a list."""

    code = "unreadable_response"


class OutcomeUnknown(TransientError):
    """A write was sent and its answer lost or unreadable: it may or may not have taken effect."""

    code = "outcome_unknown"
