"""Exit codes of the `ferry` command, stable so that scripts can branch on them."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    COMPLETED = 0  # the command worked; a watched session completed
    COMPLETED_WITH_ERRORS = 1  # the session ended, some records failed (see its errors)
    USAGE = 2  # the command line is wrong (unknown option, missing argument...)
    FAILED = 3  # the session failed
    CANCELLED = 4  # the session was cancelled
    API_ERROR = 5  # the API answered with an error (bad key, unknown session, invalid input...)
    UNREACHABLE = 6  # the server could not be reached
    INTERRUPTED = 130  # Ctrl-C while watching: the session goes on in the server


SESSION_EXIT = {
    "completed": ExitCode.COMPLETED,
    "completed_with_errors": ExitCode.COMPLETED_WITH_ERRORS,
    "failed": ExitCode.FAILED,
    "cancelled": ExitCode.CANCELLED,
}

HELP = (
    "Exit codes: 0 completed (or done), 1 completed_with_errors, 2 usage error, 3 failed, "
    "4 cancelled, 5 the API answered an error, 6 the server could not be reached, "
    "130 interrupted while watching (the session goes on)."
)
