"""Schemathesis against the live stack (`ferry serve` over HTTP): whatever it sends, from the
documented examples through boundary values to fuzzed bodies with NUL bytes, the API answers a
documented status with the documented body, and never a 5xx.

Bounded and derandomized (a fixed seed, no example database) so that it is the same run
everywhere and takes well under two minutes on a 2-core machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import services
from tests.conftest import Stack

OPENAPI = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261202,
        "generation": {
            "max-examples": 25,
            "deterministic": True,
            # No .hypothesis/ replays: the run depends on the seed and the code alone.
            "database": "none",
        },
    }
)

# The committed document: tests/test_openapi.py holds it equal to what the app serves.
schema = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# A reference sandbox of the largest allowed size (100,000 persons) is valid input but takes a
# minute and over a gigabyte of the API's memory to build: real work, not what a fuzzer is for.
SANDBOX_SIZE_CAP = 20
SANDBOX_SIZE_MAX = 100_000


@pytest.fixture(scope="module")
def auth(stack: Stack) -> dict[str, str]:
    # An account of its own: the keys, sandboxes and secrets the fuzzer makes stay out of the
    # lists and webhook signatures the other tests look at.
    return {"authorization": f"Bearer {services.create_account(stack.env, 'schemathesis')}"}


@schema.parametrize()
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, stack: Stack, auth: dict[str, str]
) -> None:
    _keep_sandboxes_small(case)
    case.call_and_validate(base_url=stack.url, headers=auth, checks=CHECKS, timeout=30)


def _keep_sandboxes_small(case: schemathesis.Case) -> None:
    if (case.method, case.operation.path) != ("POST", "/sandbox/accounts"):
        return
    body = case.body
    if not isinstance(body, dict):
        return
    size = body.get("size")
    # Only valid sizes shrink: out-of-range ones must still be refused with a 422.
    if type(size) is int and SANDBOX_SIZE_CAP < size <= SANDBOX_SIZE_MAX:
        body["size"] = SANDBOX_SIZE_CAP
