"""Where the shared research and official specs are: `../shared` beside the project root.

A test that checks an emulator against a vendor's official spec must not pass by not looking:
`spec_path` fails (never skips) when the spec is missing, saying where it is expected.
"""

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SPECS = SHARED / "specs"


def spec_path(relative: str) -> Path:
    """A file or folder under the shared specs; missing, the test fails with where to put it."""
    path = SPECS / relative
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the official specs live in ../shared/specs beside the "
            "project root (a checkout needs them there to check its emulators).",
            pytrace=False,
        )
    return path
