"""Mapping overrides (options.mapping) are checked when the session is created: each wrong name
is a 422 `invalid_mapping` naming it and where it was, with the choices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import endpoint, sandbox, start_session

Pair = tuple[dict[str, Any], dict[str, Any]]
ANNA, FORMER = "anna.kowalska@example.pl", "former.employee@example.com"


@pytest.fixture
async def pair(client: httpx.AsyncClient) -> Pair:
    """A reference source and a reference target (it has custom fields and stages to name)."""
    return await sandbox(client, size=5), await sandbox(client, size=5)


@pytest.fixture
async def to_empty(client: httpx.AsyncClient) -> Pair:
    """A reference source and an empty target: the company's users, the former employee aside."""
    return await sandbox(client, size=5), await sandbox(client, dataset="empty")


async def _create(client: httpx.AsyncClient, pair: Pair, mapping: Any) -> httpx.Response:
    source, target = pair
    body = {"source": endpoint(source), "target": endpoint(target)}
    return await client.post("/v1/sessions", json={**body, "options": {"mapping": mapping}})


async def _refused(client: httpx.AsyncClient, pair: Pair, mapping: Any) -> dict[str, Any]:
    response = await _create(client, pair, mapping)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_mapping", error
    return error  # type: ignore[no-any-return]


async def test_a_wrong_source_field_lists_the_sources_fields(
    client: httpx.AsyncClient, pair: Pair
) -> None:
    error = await _refused(client, pair, {"fields": {"persons": {"Lead scroe": "Lead score"}}})
    assert error["message"].startswith(
        "options.mapping.fields.persons: the source has no persons custom field 'Lead scroe'."
    )
    assert error["details"]["location"] == "options.mapping.fields.persons"
    assert error["details"]["value"] == "Lead scroe"
    assert "Lead score" in error["details"]["choices"]
    assert "Lead source" not in error["details"]["choices"]  # a deals field


async def test_a_wrong_target_field_lists_pipedrives_fields(
    client: httpx.AsyncClient, pair: Pair
) -> None:
    error = await _refused(client, pair, {"fields": {"persons": {"Lead score": "Rating"}}})
    assert "options.mapping.fields.persons['Lead score']" in error["message"]
    assert "Pipedrive has no persons custom field 'Rating'" in error["message"]
    assert {"Lead score", "Birthday", "Language"} <= set(error["details"]["choices"])


async def test_a_target_field_of_another_type_says_why(
    client: httpx.AsyncClient, pair: Pair
) -> None:
    error = await _refused(client, pair, {"fields": {"persons": {"Lead score": "birthday"}}})
    assert "is of type double" in error["message"]
    assert "'Birthday' (of type date) cannot hold" in error["message"]
    choices = set(error["details"]["choices"])
    assert {"Lead score", "Budget", "Job title", "Bio"} <= choices  # what holds a number
    assert "Birthday" not in choices and "Language" not in choices


async def test_a_wrong_stage_lists_the_stages(client: httpx.AsyncClient, pair: Pair) -> None:
    error = await _refused(client, pair, {"stages": {"Demo sheduled": "Qualified"}})
    assert "options.mapping.stages: the source has no stage 'Demo sheduled'" in error["message"]
    assert "Demo scheduled" in error["details"]["choices"]

    error = await _refused(client, pair, {"stages": {"Demo scheduled": "Won"}})
    assert "options.mapping.stages['Demo scheduled']" in error["message"]
    assert "Pipedrive has no stage 'Won'" in error["message"]
    assert {"Qualified", "Onboarding ✅"} <= set(error["details"]["choices"])
    assert error["details"]["total"] == 9


async def test_a_wrong_owner_lists_the_users(client: httpx.AsyncClient, to_empty: Pair) -> None:
    error = await _refused(client, to_empty, {"owners": {"nobody@example.com": ANNA}})
    assert "the source has no user with the e-mail 'nobody@example.com'" in error["message"]
    assert "max.mustermann@example.de" in error["details"]["choices"]
    assert FORMER in error["details"]["choices"]  # a source user still

    # The former employee is not an active user of the target: no one to own records.
    error = await _refused(client, to_empty, {"owners": {"max.mustermann@example.de": FORMER}})
    assert "options.mapping.owners['max.mustermann@example.de']" in error["message"]
    assert "Pipedrive has no active user with the e-mail" in error["message"]
    assert FORMER not in error["details"]["choices"]
    assert ANNA in error["details"]["choices"]


async def test_a_wrong_default_owner_lists_the_active_users(
    client: httpx.AsyncClient, to_empty: Pair
) -> None:
    error = await _refused(client, to_empty, {"default_owner": "boss@example.com"})
    assert error["message"].startswith(
        "options.mapping.default_owner: Pipedrive has no active user with the e-mail "
        "'boss@example.com'."
    )
    assert len(error["details"]["choices"]) == 5
    assert "hanako.sato@example.org" in error["details"]["choices"]


async def test_an_unknown_entity_or_key_is_a_validation_error(
    client: httpx.AsyncClient, pair: Pair
) -> None:
    for mapping in ({"fields": {"notes": {"a": "b"}}}, {"pipelines": {"a": "b"}}):
        response = await _create(client, pair, mapping)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


async def test_a_good_mapping_is_shown_as_sent(client: httpx.AsyncClient, pair: Pair) -> None:
    mapping = {
        "fields": {"persons": {"lead SCORE": "Lead score", "Bio": None}},
        "stages": {"Demo scheduled": "Partnerzy & Wiederverkäufer / Prüfung"},
        "owners": {"Max.Mustermann@example.de": "emma.johnson@example.com"},
        "default_owner": "hanako.sato@example.org",
    }
    session = await start_session(client, *pair, options={"mapping": mapping})
    assert session["options"]["mapping"] == mapping
    assert "mapping_resolved" not in session["options"]
    shown = (await client.get(f"/v1/sessions/{session['id']}")).json()
    assert shown["options"]["mapping"] == mapping
    await client.post(f"/v1/sessions/{session['id']}/cancel")
