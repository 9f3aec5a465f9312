"""Sessions ride out the faults real vendor APIs produce: on the source's reads 500s, dropped
connections, 429 storms and truncated bodies; on the target's writes 500s before and after
acting and connections dropped before and after acting. Each session still ends `completed`
with the target identical to what the source holds: nothing lost, nothing doubled, every link
kept. The faults come from the sandbox itself (`"faults"` of a sandbox account)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_conformance import SIZE, assert_arrived_whole
from tests.helpers import sandbox, start_session

SOURCE_READ_FAULTS = {
    "server_error": 0.10,
    "drop_before": 0.05,
    "rate_limit": 0.03,
    "truncate": 0.02,
}
TARGET_WRITE_FAULTS = {
    "server_error": 0.05,
    "server_error_after": 0.05,
    "drop_before": 0.025,
    "drop_after": 0.025,
}


async def faulty_sandbox(
    client: httpx.AsyncClient, system: str, dataset: str, faults: dict[str, object]
) -> dict[str, object]:
    account = await sandbox(client, system=system, dataset=dataset, size=SIZE)
    response = await client.put(f"/sandbox/accounts/{account['id']}/faults", json=faults)
    assert response.status_code == 200, response.text
    return account


@pytest.mark.parametrize("system_id", ["pipedrive", "hubspot", "salesforce"])
async def test_a_session_rides_out_faults_on_both_sides(
    client: httpx.AsyncClient, system_id: str
) -> None:
    source = await faulty_sandbox(
        client, system_id, "reference", {"reads": SOURCE_READ_FAULTS, "seed": 7}
    )
    target = await faulty_sandbox(
        client, "pipedrive", "empty", {"writes": TARGET_WRITE_FAULTS, "seed": 11}
    )
    session = await start_session(client, source, target)
    await assert_arrived_whole(client, session["id"], system_id, target)
