"""The Dynamics emulator answers as Dataverse and Entra ID do: token errors, the 401 challenge,
OData errors, paging by Prefer with no $skip, and annotations only when asked for."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest

from adapters.dynamics365.emulator import DynamicsEmulator
from adapters.dynamics365.shapes import guid
from adapters.dynamics365.source import API
from tests.adapters.dynamics365.support import BASE, new_account

ORG = BASE + API
LOOKUP = "@Microsoft.Dynamics.CRM.lookuplogicalname"


async def token(http: httpx.AsyncClient, credentials: dict[str, str], **changes: str) -> Any:
    form = {
        "grant_type": "client_credentials",
        "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"],
        "scope": f"{BASE}/.default",
        **changes,
    }
    url = f"{credentials['authority']}/{credentials['tenant_id']}/oauth2/v2.0/token"
    return await http.post(url, data=form)


@pytest.fixture
async def api() -> Any:
    emulator, credentials = new_account(size=10)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        answer = await token(http, credentials)
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        yield http, credentials


async def test_token_errors_are_entra_shaped(api: Any) -> None:
    http, credentials = api
    wrong = await token(http, credentials, client_secret="x")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.json()["error_description"].startswith("AADSTS7000215")
    scope = await token(http, credentials, scope=f"{BASE}/user_impersonation")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    good = await token(http, credentials)
    assert good.json()["token_type"] == "Bearer" and good.json()["expires_in"] == 3599


async def test_no_token_is_an_empty_401_with_a_bearer_challenge(api: Any) -> None:
    http, _ = api
    answer = await http.get(f"{ORG}/accounts", headers={"Authorization": "Bearer bad"})
    assert answer.status_code == 401 and answer.content == b""
    assert answer.headers["www-authenticate"].startswith("Bearer authorization_uri=")


async def test_odata_errors(api: Any) -> None:
    http, _ = api
    missing = await http.get(f"{ORG}/Account")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "0x8006088a"
    column = await http.get(f"{ORG}/accounts", params={"$select": "Name"})
    assert column.status_code == 400
    assert column.json()["error"]["message"].startswith("Could not find a property named 'Name'")
    skip = await http.get(f"{ORG}/accounts", params={"$skip": "2"})
    assert skip.status_code == 400 and "$skip" in skip.json()["error"]["message"]
    size = await http.get(f"{ORG}/accounts", headers={"Prefer": "odata.maxpagesize=0"})
    assert size.status_code == 400


async def test_pages_by_prefer_with_a_next_link(api: Any) -> None:
    http, _ = api
    first = await http.get(
        f"{ORG}/contacts", params={"$select": "fullname"}, headers={"Prefer": "odata.maxpagesize=4"}
    )
    assert first.headers["preference-applied"] == "odata.maxpagesize=4"
    body = first.json()
    assert body["@odata.context"].endswith("$metadata#contacts(fullname)")
    assert len(body["value"]) == 4 and set(body["value"][0]) == {"fullname", "contactid"}
    link = body["@odata.nextLink"]
    assert "$select=fullname" in link and "$skiptoken=" in link
    second = (await http.get(link, headers={"Prefer": "odata.maxpagesize=4"})).json()
    assert {r["contactid"] for r in second["value"]}.isdisjoint(
        r["contactid"] for r in body["value"]
    )


async def test_createdon_is_utc_filterable_and_overriddencreatedon_null(api: Any) -> None:
    http, _ = api
    params = {
        "$select": "createdon,overriddencreatedon",
        "$filter": "createdon lt 2025-06-01T00:00:00Z",
    }
    for entity_set in ("accounts", "contacts", "opportunities"):
        rows = (await http.get(f"{ORG}/{entity_set}", params=params)).json()["value"]
        assert rows and all(r["createdon"] < "2025-06-01T00:00:00Z" for r in rows), entity_set
        assert all(r["createdon"].endswith(":00Z") and len(r["createdon"]) == 20 for r in rows)
        assert all(r["overriddencreatedon"] is None for r in rows)


async def test_lookup_annotations_only_when_asked(api: Any) -> None:
    http, _ = api
    params = {"$select": "subject,_regardingobjectid_value"}
    plain = (await http.get(f"{ORG}/phonecalls", params=params)).json()["value"][0]
    assert not any("@" in key for key in plain)
    prefer = {"Prefer": 'odata.include-annotations="*"'}
    annotated = (await http.get(f"{ORG}/phonecalls", params=params, headers=prefer)).json()
    row = annotated["value"][0]
    assert row["_regardingobjectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] in (
        "opportunity",
        "contact",
        "account",
    )


async def test_activity_parties_expand_with_their_lookup_table(api: Any) -> None:
    http, _ = api
    params = {
        "$select": "activityid",
        "$expand": "phonecall_activity_parties($select=_partyid_value,participationtypemask)",
    }
    prefer = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'}
    calls = (await http.get(f"{ORG}/phonecalls", params=params, headers=prefer)).json()["value"]
    a1 = next(c for c in calls if c["activityid"] == guid("a1"))  # a call on d1 (p1, o3)
    parties = a1["phonecall_activity_parties"]
    tables = {(p["participationtypemask"], p[f"_partyid_value{LOOKUP}"]) for p in parties}
    assert tables == {(9, "systemuser"), (1, "systemuser"), (2, "contact"), (2, "account")}
    assert set(parties[0]) == {
        "activitypartyid",
        "_partyid_value",
        f"_partyid_value{LOOKUP}",
        "participationtypemask",
    }
    plain = (await http.get(f"{ORG}/phonecalls", params=params)).json()["value"][0]
    assert not any("@" in key for p in plain["phonecall_activity_parties"] for key in p)
    # A task has no party list columns: Dataverse keeps only its owner party.
    tasks = await http.get(
        f"{ORG}/tasks", params={"$select": "subject", "$expand": "task_activity_parties"}
    )
    masks = {
        p["participationtypemask"]
        for t in tasks.json()["value"]
        for p in t["task_activity_parties"]
    }
    assert masks == {9}


async def test_unknown_expansions_and_expanded_columns_are_400(api: Any) -> None:
    http, _ = api
    wrong_set = await http.get(f"{ORG}/tasks", params={"$expand": "phonecall_activity_parties"})
    assert wrong_set.status_code == 400
    column = await http.get(
        f"{ORG}/emails", params={"$expand": "email_activity_parties($select=partyid)"}
    )
    assert column.status_code == 400
    assert "Could not find a property named 'partyid'" in column.json()["error"]["message"]


async def test_attribute_metadata_and_options(api: Any) -> None:
    http, _ = api
    path = f"{ORG}/EntityDefinitions(LogicalName='account')/Attributes"
    rows = (await http.get(path)).json()["value"]
    custom = {r["LogicalName"]: r for r in rows if r["IsCustomAttribute"]}
    assert custom["new_annual_revenue_base"]["AttributeOf"] == "new_annual_revenue"
    picklists = await http.get(
        path + "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        params={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
    )
    options = picklists.json()["value"][0]["OptionSet"]["Options"]
    assert options[0]["Value"] == 100_000_000
    assert options[0]["Label"]["UserLocalizedLabel"]["Label"] == "Produkcja"


async def test_who_am_i(api: Any) -> None:
    http, _ = api
    body = (await http.get(f"{ORG}/WhoAmI")).json()
    assert {"BusinessUnitId", "UserId", "OrganizationId"} <= set(body)


async def test_each_sandbox_account_is_its_own_organization_and_stays_it() -> None:
    """Real organization ids are unique across Dynamics; Ferry's ledger tells them apart."""
    emulator = DynamicsEmulator()
    seen: dict[str, set[str]] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        for name in ("acme", "globex"):
            base = f"http://sandbox/{name}"
            credentials = emulator.new_credentials(base)
            emulator.provision(name, credentials, dataset="empty", size=10, limits={})
            for _ in range(2):
                access = (await token(http, credentials, scope=f"{base}/.default")).json()
                headers = {"Authorization": f"Bearer {access['access_token']}"}
                body = (await http.get(f"{base}{API}/WhoAmI", headers=headers)).json()
                seen.setdefault(name, set()).add(str(uuid.UUID(body["OrganizationId"])))
    assert all(len(ids) == 1 for ids in seen.values())
    assert seen["acme"] != seen["globex"]


async def test_429_says_retry_after() -> None:
    emulator, credentials = new_account(size=10, burst=2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        access = (await token(http, credentials)).json()["access_token"]
        headers = {"Authorization": f"Bearer {access}"}
        answers = [await http.get(f"{ORG}/WhoAmI", headers=headers) for _ in range(3)]
    assert answers[-1].status_code == 429 and int(answers[-1].headers["retry-after"]) >= 1
    assert answers[-1].json()["error"]["code"] == "0x80072322"


async def test_opportunity_products_of_an_opportunity(api: Any) -> None:
    """Filtered by the opportunity's GUID; Money columns to the cent, tax an amount, and the
    extended amount the line less its manual discount plus its tax."""
    http, _ = api
    d1 = guid("d1")
    columns = "quantity,priceperunit,baseamount,manualdiscountamount,tax,extendedamount"
    params = {"$filter": f"_opportunityid_value eq {d1}", "$select": columns}
    rows = (await http.get(f"{ORG}/opportunityproducts", params=params)).json()["value"]
    first = next(r for r in rows if r["quantity"] == 2.5)
    assert (first["priceperunit"], first["baseamount"], first["manualdiscountamount"]) == (
        1200.0,
        3000.0,
        300.0,
    )
    assert (first["tax"], first["extendedamount"]) == (621.0, 3321.0)
    assert all(
        r["extendedamount"] == round(r["baseamount"] - r["manualdiscountamount"] + r["tax"], 2)
        for r in rows
    )
    rate = await http.get(f"{ORG}/opportunityproducts", params={"$select": "discountpercentage"})
    assert rate.status_code == 400
    # Revenue is "User Provided": the deal's own value, which its lines before tax add up to.
    params = {
        "$filter": f"opportunityid eq {d1}",
        "$select": "estimatedvalue,isrevenuesystemcalculated",
    }
    deal = (await http.get(f"{ORG}/opportunities", params=params)).json()["value"][0]
    assert deal["isrevenuesystemcalculated"] is False
    assert deal["estimatedvalue"] == round(sum(r["extendedamount"] - r["tax"] for r in rows), 2)


async def test_one_note_its_column_and_the_raw_download(api: Any) -> None:
    """An attachment's bytes: base64 in documentbody, and as text/plain from /$value."""
    http, _ = api
    annotation = guid("fl3")
    raw = await http.get(f"{ORG}/annotations({annotation})/documentbody/$value")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/plain")
    assert int(raw.headers["content-length"]) == len(raw.content)
    assert base64.b64decode(raw.content) == "Umowa ramowa: zażółć gęślą jaźń. 契約書。\n".encode()
    one = await http.get(f"{ORG}/annotations({annotation})", params={"$select": "filename"})
    assert one.json()["filename"] == "Umowa – Zażółć gęślą jaźń 契約.txt"
    assert "documentbody" not in one.json() and one.json()["@odata.etag"]
    body = await http.get(f"{ORG}/annotations({annotation})/documentbody")
    assert base64.b64decode(body.json()["value"]) == base64.b64decode(raw.content)
    missing = await http.get(f"{ORG}/annotations({guid('nope')})")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "0x80040217"
    note = await http.get(f"{ORG}/annotations({guid('n1')})/documentbody/$value")
    assert note.status_code == 204  # a note without a file
