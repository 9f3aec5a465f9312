"""Preview sessions over HTTP with real workers: what a session would do, with nothing written;
its token figure held against what real sessions then spend."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.pipedrive_view import FIELD_ENDPOINTS, MIGRATED, AccountView
from tests.helpers import PipedriveReader, endpoint, sandbox, start_session, wait_for


async def start_preview(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/sessions/preview",
        json={"source": endpoint(source), "target": endpoint(target), **extra},
    )
    assert response.status_code == 201, response.text
    assert response.json()["mode"] == "preview"
    return response.json()


async def run_preview(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    session = await start_preview(client, source, target, **extra)
    done = await wait_for(client, session["id"], timeout=240)
    assert done["status"] == "completed", done
    assert done["report"] is not None
    return done["report"]  # type: ignore[no-any-return]


async def run_session(
    client: httpx.AsyncClient, source: dict[str, Any], target: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    session = await start_session(client, source, target, **extra)
    done = await wait_for(client, session["id"], timeout=240)
    errors = (await client.get(f"/v1/sessions/{session['id']}/errors")).json()["data"]
    assert done["status"] == "completed", (done, errors[:5])
    return done


def show(label: str, report: dict[str, Any]) -> None:
    print(f"\n{label}: plan {report['plan']}")
    for entity, counts in report["entities"].items():
        print(f"  {entity:14} {counts}")
    tokens = report["tokens"]
    print(
        f"  tokens: total {tokens['total']} = writes {tokens['writes']} + reads "
        f"{tokens['reads']}; reads per further run {tokens['reads_per_run']}"
    )
    for item in tokens["items"]:
        print(f"    {item['what']:28} {item['entity'] or '':14} {item['count']:4} {item['tokens']}")
    for field in report["fields"]:
        if field["custom"] or field["goes_to"] == "not_carried":
            where = field["target_field"] or field["reason"]
            print(f"    field {field['entity']}.{field['name']}: {field['goes_to']} {where}")
    owners = report["owners"]
    print(f"  owners: {len(owners['matched'])} matched, unmatched {owners['unmatched_emails']}")
    print(f"  budget: {report['budget']}")
    print(f"  cost of preview: {report['cost_of_preview']}")


async def test_preview_writes_nothing_and_its_token_figure_holds(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=30)
    target = await sandbox(client, dataset="empty")
    src = await AccountView(PipedriveReader(source)).load()

    report = await run_preview(client, source, target)
    show("preview into an empty Pipedrive", report)

    # Every record would be created: nothing to merge with, nothing linked yet.
    for entity in MIGRATED:
        counts = report["entities"][entity]
        assert counts["source"] == counts["read"] == len(src.data[entity]), entity
        assert counts["create"] == len(src.data[entity]), (entity, counts)
        assert counts["merge"] == counts["update"] == counts["unchanged"] == 0, (entity, counts)
        assert counts["rejected"] == 0, (entity, counts)

    # Nothing was written.
    reader = PipedriveReader(target)
    for path in ("persons", "organizations", "deals", "deals/archived", "pipelines", "notes"):
        assert await reader.all(path) == [], path
    for path in FIELD_ENDPOINTS.values():
        assert [f for f in await reader.all(path) if f.get("is_custom_field")] == [], path

    # Every source field is listed with where it goes: the custom ones would be created.
    fields = report["fields"]
    custom = {(f["entity"], f["name"]): f for f in fields if f["custom"]}
    for entity, held in src.fields.items():
        for field in held.values():
            listed = custom[(entity, field["field_name"])]
            assert listed["goes_to"] in ("new_custom_field", "not_carried"), listed
    assert any(f["goes_to"] == "new_custom_field" for f in custom.values())
    standard = {(f["entity"], f["source_field"]): f for f in fields if not f["custom"]}
    assert standard[("persons", "emails")]["goes_to"] == "standard_field"
    assert standard[("deals", "stage_source_id")]["target_field"] == "stage_id"

    # Owners: the former employee is not in the target; their records go to the token's user.
    owners = report["owners"]
    assert "former.employee@example.com" in owners["unmatched_emails"]
    assert owners["matched"] and all(m["target_user_id"] for m in owners["matched"])
    assert owners["default_owner"]["id"] == (await reader.me())["id"]
    assert report["budget"]["daily_left"] is not None
    assert report["budget"]["fits_today"] is True
    figure = report["tokens"]["total"]
    # Its duration at the burst window (the token's x-ratelimit-limit per 2 s).
    writes = sum(i["count"] for i in report["tokens"]["items"] if not i["what"].startswith("read"))
    budget = report["budget"]
    per_second = budget["window_requests_per_second"]
    assert budget["requests"] == writes and per_second > 0, budget
    assert budget["seconds_at_window"] == pytest.approx(writes / per_second, abs=0.1)
    assert "at the burst window" in budget["summary"], budget

    # A target whose budget left today is smaller than the session is told so.
    small = await sandbox(client, dataset="empty", limits={"daily_tokens": 500})
    budget = (await run_preview(client, source, small))["budget"]
    assert budget["fits_today"] is False and budget["daily_left"] < 500, budget
    assert budget["daily_budget"] == 30_000 * budget["seats"]  # the lowest plan's, then
    assert budget["days"] == pytest.approx(figure / budget["daily_budget"], abs=1e-4)

    # The same preview again reports the same.
    again = await run_preview(client, source, target)
    for key in ("entities", "owners", "fields", "tokens"):
        assert again[key] == report[key], key

    # A sample's preview counts the sample only.
    sampled = await run_preview(client, source, target, mode="sample")
    show("preview of a sample", sampled)
    assert sampled["plan"] == "sample"
    assert any(c["source"] < c["read"] for c in sampled["entities"].values())

    # The sessions it previews: a sample, then the full session that completes it.
    sample = await run_session(client, source, target, mode="sample")
    for entity in MIGRATED:
        assert sample["progress"][entity]["created"] == sampled["entities"][entity]["create"]
    print(
        f"\ntokens: sample preview {sampled['tokens']['total']}; the sample {sample['tokens_spent']}"
    )
    full = await run_session(client, source, target, mode="full")
    spent = sample["tokens_spent"] + full["tokens_spent"]
    # And the same full session on its own into another empty Pipedrive.
    alone = await run_session(client, source, await sandbox(client, dataset="empty"))
    by_itself = alone["tokens_spent"]
    print(
        f"\ntokens: preview {figure}; sample {sample['tokens_spent']} + full "
        f"{full['tokens_spent']} = {spent} ({(figure - spent) / spent:+.1%}); a full session "
        f"alone {by_itself} ({(figure - by_itself) / by_itself:+.1%})"
    )
    assert abs(figure - spent) <= 0.10 * spent
    # Exactly the figure in one run; each further run repeats reads_per_run (and a list read to
    # merge with): a few % at this size.
    assert figure <= by_itself <= 1.10 * figure
    for entity in MIGRATED:
        assert alone["progress"][entity]["created"] == report["entities"][entity]["create"]

    # Once the sessions have run, a preview finds everything linked and unchanged.
    after = await run_preview(client, source, target)
    for entity in MIGRATED:
        counts = after["entities"][entity]
        assert counts["unchanged"] == counts["source"] == len(src.data[entity]), (entity, counts)
    assert after["tokens"]["writes"] == 0
    custom = [f for f in after["fields"] if f["custom"] and f["goes_to"] != "not_carried"]
    assert custom and all(f["goes_to"] == "existing_custom_field" for f in custom)


async def test_preview_into_a_company_holding_the_same_records_merges_them(
    client: httpx.AsyncClient,
) -> None:
    source = await sandbox(client, size=30)
    target = await sandbox(client, size=30)  # the same reference company
    async with httpx.AsyncClient(
        base_url=source["base_url"], headers={"x-api-token": source["credentials"]["api_token"]}
    ) as pipedrive:  # a field of a type with no canonical form
        created = await pipedrive.post(
            "/api/v2/dealFields", json={"field_name": "Region", "field_type": "address"}
        )
        assert created.status_code == 200, created.text
    src = await AccountView(PipedriveReader(source)).load()

    report = await run_preview(client, source, target)
    show("preview into a Pipedrive holding the same company", report)

    entities = report["entities"]
    with_email = [p for p in src.data["persons"] if any(e.get("value") for e in p["emails"])]
    assert 0 < len(with_email) < len(src.data["persons"])
    assert entities["persons"]["merge"] == len(with_email)
    assert entities["persons"]["create"] == len(src.data["persons"]) - len(with_email)
    assert entities["organizations"]["merge"] == len(src.data["organizations"])
    assert entities["organizations"]["create"] == 0
    for entity in ("pipelines", "stages"):  # reused by name
        assert entities[entity]["merge"] == len(src.data[entity]), entity
        assert entities[entity]["create"] == 0, entity

    # The target holds the source's custom fields: found, none to create.
    custom = [f for f in report["fields"] if f["custom"] and f["goes_to"] != "not_carried"]
    assert custom and all(f["goes_to"] == "existing_custom_field" for f in custom), custom
    assert all(f["target_field"] and not f["target_field"].startswith("new:") for f in custom)
    assert not any(i["what"] == "create custom field" for i in report["tokens"]["items"])
    region = next(f for f in report["fields"] if f["name"] == "Region")
    assert region["entity"] == "deals" and region["goes_to"] == "not_carried"
    assert "address" in region["reason"]
    # Merging reads the target's lists: 10 tokens a page of 500.
    items = report["tokens"]["items"]
    merge_reads = {i["entity"]: i["tokens"] for i in items if i["what"] == "read to merge"}
    assert merge_reads.get("persons") == merge_reads.get("organizations") == 10
    # Nothing was written: the target holds what it was seeded with.
    persons = await PipedriveReader(target).all("persons")
    assert len(persons) == len(src.data["persons"])

    # Without custom fields, none is carried and no field list is read.
    plain = await run_preview(client, source, target, options={"custom_fields": False})
    custom = [f for f in plain["fields"] if f["custom"]]
    assert custom and all(f["goes_to"] == "not_carried" for f in custom)
    assert {f["reason"] for f in custom if f["name"] != "Region"} == {
        "the custom_fields option is off"
    }
    # Four field lists of 10 fewer, but for the three whose `label_ids` field holds the labels.
    assert plain["tokens"]["reads"] == report["tokens"]["reads"] - 10

    # The session it previews merges and creates just as said.
    done = await run_session(client, source, target)
    for entity in MIGRATED:
        progress, counts = done["progress"][entity], entities[entity]
        assert progress["matched"] == counts["merge"], (entity, progress, counts)
        assert progress["created"] == counts["create"], (entity, progress, counts)
    print(f"\ntokens: preview {report['tokens']['total']}; the session {done['tokens_spent']}")
    assert report["tokens"]["total"] <= done["tokens_spent"] <= 1.10 * report["tokens"]["total"]


async def test_preview_follows_the_mapping_overrides(client: httpx.AsyncClient) -> None:
    source = await sandbox(client, size=30)
    target = await sandbox(client, dataset="empty")
    headers = {"x-api-token": target["credentials"]["api_token"]}
    async with httpx.AsyncClient(base_url=target["base_url"], headers=headers) as pipedrive:
        for path, body in (
            ("/api/v2/personFields", {"field_name": "Rating", "field_type": "double"}),
            ("/api/v2/pipelines", {"name": "Inbound"}),
        ):
            created = await pipedrive.post(path, json=body)
            assert created.status_code == 200, created.text
        inbound = created.json()["data"]["id"]
        created = await pipedrive.post(
            "/api/v2/stages", json={"name": "Discovery", "pipeline_id": inbound}
        )
        assert created.status_code == 200, created.text
    mapping = {
        "fields": {"persons": {"Lead score": "rating", "Bio": None}},
        "stages": {"Demo scheduled": "Inbound / Discovery"},
        "owners": {"max.mustermann@example.de": "emma.johnson@example.com"},
        "default_owner": "hanako.sato@example.org",
    }
    report = await run_preview(client, source, target, options={"mapping": mapping})
    show("preview with mapping overrides", report)

    fields = {(f["entity"], f["name"]): f for f in report["fields"] if f["custom"]}
    score = fields[("persons", "Lead score")]
    assert score["goes_to"] == "existing_custom_field" and score["target_name"] == "Rating"
    assert fields[("persons", "Bio")]["goes_to"] == "not_carried"
    owners = report["owners"]
    assert owners["default_owner"]["email"] == "hanako.sato@example.org"
    emma = [m for m in owners["matched"] if m["email"] == "max.mustermann@example.de"]
    assert emma and emma[0]["target_email"] == "emma.johnson@example.com"

    done = await run_session(client, source, target, options={"mapping": mapping})
    for entity in MIGRATED:
        progress, counts = done["progress"][entity], report["entities"][entity]
        assert progress["matched"] == counts["merge"], (entity, progress, counts)
        assert progress["created"] == counts["create"], (entity, progress, counts)
    assert report["entities"]["stages"]["merge"] == 1
    print(f"\ntokens: preview {report['tokens']['total']}; the session {done['tokens_spent']}")
    assert report["tokens"]["total"] <= done["tokens_spent"] <= 1.10 * report["tokens"]["total"]
