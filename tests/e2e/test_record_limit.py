"""FERRY_MAX_RECORDS against a source whose size is unknown when the session is created: the
records are counted as they are extracted, and the session fails there, before any is loaded."""

from __future__ import annotations

import httpx

from adapters.reference.dataset import generate
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

LIMIT = 3000  # FERRY_MAX_RECORDS of the test stack (tests/conftest.py)
SIZE = 750  # the smallest round size whose records (users aside) exceed it: 3,048


async def test_a_source_past_the_limit_fails_while_extracting_and_loads_nothing(
    client: httpx.AsyncClient,
) -> None:
    held = generate(SIZE).counts()
    assert sum(n for entity, n in held.items() if entity != "users") > LIMIT
    # Pipedrive's lists give no total: the session is created, its counts unknown.
    source = await sandbox(client, size=SIZE)
    target = await sandbox(client, dataset="empty")
    session = await start_session(client, source, target)
    assert session["progress"]["persons"]["total"] is None

    done = await wait_for(client, session["id"], timeout=120)
    assert done["status"] == "failed", done
    assert done["error"]["code"] == "too_many_records"
    assert (
        str(LIMIT) in done["error"]["message"] and "FERRY_MAX_RECORDS" in done["error"]["message"]
    )
    extracted = sum(p["extracted"] for entity, p in done["progress"].items() if entity != "users")
    assert extracted > LIMIT
    assert all(p["loaded"] == 0 for p in done["progress"].values())

    reader = PipedriveReader(target)
    for kind in ("persons", "organizations", "deals"):
        assert await reader.all(kind) == [], kind
