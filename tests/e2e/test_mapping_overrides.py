"""Mapping overrides end to end: a reference Pipedrive migrated into another one with a source
field sent to an existing field, one not carried, a stage sent to an existing stage, an owner
mapped and a default owner; everything read back through the target's API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from tests.e2e.pipedrive_view import AccountView
from tests.helpers import PipedriveReader, sandbox, start_session, wait_for

ANNA, MAX, EMMA = (
    "anna.kowalska@example.pl",
    "max.mustermann@example.de",
    "emma.johnson@example.com",
)
HANAKO, FORMER = "hanako.sato@example.org", "former.employee@example.com"


async def _post(pipedrive: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await pipedrive.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def _renamed(custom: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """A source person's custom values as the mapping carries them."""
    return tuple(sorted(("Rating" if n == "Lead score" else n, v) for n, v in custom if n != "Bio"))


async def test_fields_stages_and_owners_land_where_the_mapping_says(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=30)
    target = await sandbox(client, dataset="empty")
    headers = {"x-api-token": target["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=target["base_url"], headers=headers) as pipedrive:
        rating = await _post(
            pipedrive, "/api/v2/personFields", {"field_name": "Rating", "field_type": "double"}
        )
        pipeline = await _post(pipedrive, "/api/v2/pipelines", {"name": "Inbound"})
        discovery = await _post(
            pipedrive, "/api/v2/stages", {"name": "Discovery", "pipeline_id": pipeline["id"]}
        )
    mapping = {
        "fields": {"persons": {"Lead score": "rating", "Bio": None}},
        "stages": {"Demo scheduled": "Inbound / Discovery"},
        "owners": {MAX: EMMA},
        "default_owner": HANAKO,
    }
    session = await start_session(client, source, target, options={"mapping": mapping})
    done = await wait_for(client, session["id"], timeout=240)
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]
    assert done["status"] == "completed", (done, errors[:5])
    assert "not carried by mapping: persons: Bio" in done["warnings"]
    assert done["options"]["mapping"] == mapping

    src = await AccountView(PipedriveReader(source)).load()
    dst = await AccountView(PipedriveReader(target)).load()

    # Fields: Lead score went into the existing Rating field, Bio nowhere, the rest as usual.
    names = {f["field_name"] for f in dst.fields["persons"].values()}
    assert "Rating" in names and "Lead score" not in names and "Bio" not in names
    assert {"Birthday", "Job title", "Language"} <= names
    assert dst.fields["persons"][rating["field_code"]]["field_name"] == "Rating"
    assert any(
        p["custom_fields"].get(rating["field_code"]) is not None for p in dst.data["persons"]
    )

    # Owners: Max's records are Emma's; those of an owner the target lacks, or of none, Hanako's.
    target_emails = {u["email"] for u in dst.data["users"]}
    owners: dict[str | None, str | None] = {
        u["email"]: u["email"] if u["email"] in target_emails else HANAKO for u in src.data["users"]
    }
    owners.update({MAX: EMMA, None: HANAKO})
    identity: dict[str | None, str | None] = {e: e for e in target_emails}
    assert FORMER in owners and owners[FORMER] == HANAKO
    for entity in ("organizations", "products", "activities"):
        assert dst.render(entity, identity) == src.render(entity, owners), entity
    persons = Counter((*p[:-1], _renamed(p[-1])) for p in src.render("persons", owners).elements())
    assert dst.render("persons", identity) == persons
    assert any(p[4] == EMMA for p in persons) and any(p[4] == HANAKO for p in persons)

    # Stages: Demo scheduled was not created; its deals sit in Inbound / Discovery.
    stages = Counter(
        (s["name"], dst._name("pipelines", s["pipeline_id"])) for s in dst.data["stages"]
    )
    expected_stages = Counter(
        ("Discovery", "Inbound") if s == ("Demo scheduled", "Sales") else s
        for s in src.render("stages", owners).elements()
    )
    assert stages == expected_stages
    deals = Counter(
        (*d[:6], "Discovery", "Inbound", *d[8:]) if d[6] == "Demo scheduled" else d
        for d in src.render("deals", owners).elements()
    )
    assert dst.render("deals", identity) == deals
    in_discovery = [d for d in dst.data["deals"] if d.get("stage_id") == discovery["id"]]
    assert in_discovery and all(d["pipeline_id"] == pipeline["id"] for d in in_discovery)
    assert done["progress"]["stages"]["matched"] == 1
