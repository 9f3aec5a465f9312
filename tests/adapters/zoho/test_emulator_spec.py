"""The emulator's live answers against Zoho's own OpenAPI files for CRM v8 (zoho/crm-oas v8.0,
copied to ../shared/specs/zoho-crm/v8.0): every read a migration makes validates against the
documented 200 schema.

The files point at each other with absolute URLs
(`https://raw.githubusercontent.com/Zohocorp-Pvt-Ltd/crm-oas/.../v8.0/users.json#/...`); they are
loaded side by side into one document, each file's components under its own name, so the shared
`to_json_schema` can resolve every reference. Where a schema contradicts Zoho's documentation,
`_fixup` follows the documentation, each case with its reason."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jsonschema
import pytest

from tests.adapters.zoho.support import new_account
from tests.openapi_schema import to_json_schema
from tests.shared import spec_path

SPECS_DIR = spec_path("zoho-crm/v8.0")
API = "/acme/crm/v8"


_EXTERNAL = re.compile(r"^https://\S+/v8\.0/(\w+)\.json#/components/(.+)$")
_LOCAL = re.compile(r"^#/components/(.+)$")


def _namespaced(node: Any, name: str, wanted: set[str]) -> Any:
    """The file's references rewritten to `#/files/<file>/...`; other files it names are noted."""
    if isinstance(node, list):
        return [_namespaced(item, name, wanted) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _namespaced(value, name, wanted) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str):
        external, local = _EXTERNAL.match(ref), _LOCAL.match(ref)
        if external:
            wanted.add(external.group(1))
            out["$ref"] = f"#/files/{external.group(1)}/components/{external.group(2)}"
        elif local:
            out["$ref"] = f"#/files/{name}/components/{local.group(1)}"
    return out


def _load(*names: str) -> dict[str, Any]:
    files: dict[str, Any] = {}
    pending = set(names)
    while pending:
        name = pending.pop()
        raw = json.loads((SPECS_DIR / f"{name}.json").read_text())
        wanted: set[str] = set()
        files[name] = _namespaced(raw, name, wanted)
        pending |= wanted - set(files)
    return {"files": files}


SPECS = _load("record", "users", "fields", "notes", "pipeline", "attachments")

# Documented "always there" keys of a field's metadata: the spec's `required` lists every key of
# one sample answer, type-specific ones included (autonumber, subform, multiuserlookup...).
FIELD_KEYS = ["api_name", "data_type", "field_label", "display_label", "custom_field", "id"]
# Patterns copied from one sample value (e.g. an e-mail of exactly 9 characters at a 5-letter
# .com domain) that the documented examples themselves break.
SAMPLE_PATTERNS = ("email", "first_name", "last_name", "website")


def _fixup(schema: dict[str, Any]) -> None:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for key in SAMPLE_PATTERNS:
        if isinstance(properties.get(key), dict):
            properties[key].pop("pattern", None)
    if "time_zone" in properties:  # typed object, documented as a zone name ("Asia/Kolkata")
        properties["time_zone"] = {"type": ["string", "null"]}
    for key in ("next_page_token", "previous_page_token", "page_token_expiry"):
        if key in properties:  # "null when there are no more records"
            properties[key] = {"type": ["string", "null"]}
    if "Note_Content" in properties:  # a note without title or size answers null for them
        properties["Note_Title"] = {"type": ["string", "null"]}
        properties["$size"] = {"type": ["string", "null"]}
    if "field_label" in properties and "required" in schema:
        schema["required"] = FIELD_KEYS
    if "color_code" in properties and "created_time" in properties:
        # A record's Tag field reuses the tag settings' schema; the record answers of the
        # get-records page carry each tag's name, id and color_code only.
        schema["required"] = ["name", "id"]


def response_schema(name: str, path: str) -> dict[str, Any]:
    operation = SPECS["files"][name]["paths"][path]["get"]
    response = operation["responses"]["200"]
    resolved = to_json_schema(response, SPECS, fixup=_fixup)
    schema = resolved["content"]["application/json"]["schema"]
    # The success body is the first `oneOf` branch; the others are errors with no required keys,
    # which any object would match.
    return schema["oneOf"][0] if "oneOf" in schema else schema


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    emulator, credentials = new_account(size=40)
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        grant = {"grant_type": "refresh_token", **credentials}
        token = (await client.post("/acme/oauth/v2/token", data=grant)).json()["access_token"]
        client.headers["Authorization"] = f"Zoho-oauthtoken {token}"
        yield client


RECORD_FIELDS = {
    "Accounts": "Account_Name,Billing_Street,Owner,Currency,Industry_1,Segments,Annual_revenue_1,Tag",
    "Contacts": "First_Name,Last_Name,Full_Name,Email,Secondary_Email,Phone,Mobile,Account_Name,Owner",
    "Deals": "Deal_Name,Amount,Currency,Stage,Pipeline,Contact_Name,Account_Name,Owner,Closing_Date",
    "Products": "Product_Name,Product_Code,Unit_Price,Usage_Unit,Tax,Owner,Currency",
    "Tasks": "Subject,Due_Date,Status,What_Id,Who_Id,Owner",
    "Events": "Event_Title,Start_DateTime,End_DateTime,All_day,What_Id,Who_Id,Owner",
    "Calls": "Subject,Call_Start_Time,Call_Duration,Call_Duration_in_seconds,What_Id,Owner",
    "Leads": "First_Name,Last_Name,Full_Name,Company,Email,Phone,Mobile,Owner,Lead_Status,Tag",
}
ATTACHMENT_FIELDS = (
    "File_Name,Size,Parent_Id,Owner,Created_By,Modified_By,Created_Time,Modified_Time"
)
D1 = "5725767000007000001"
NOTE_FIELDS = (
    "Note_Title,Note_Content,Parent_Id,Owner,Created_Time,Modified_Time,Created_By,Modified_By"
)

READS = [
    *[
        ("record", "/crm/v8/{module_api_name}", f"/{m}", {"fields": f, "per_page": 200})
        for m, f in RECORD_FIELDS.items()
    ],
    ("notes", "/crm/v8/Notes", "/Notes", {"fields": NOTE_FIELDS}),
    (
        "attachments",
        "/crm/v8/{module}/{record_id}/Attachments",
        f"/Deals/{D1}/Attachments",
        {"fields": ATTACHMENT_FIELDS},
    ),
    ("users", "/crm/v8/users", "/users", {"type": "AllUsers"}),
    ("users", "/crm/v8/users", "/users", {"type": "CurrentUser"}),
    *[
        ("fields", "/crm/v8/settings/fields", "/settings/fields", {"module": m})
        for m in ("Accounts", "Contacts", "Deals", "Products")
    ],
]


@pytest.mark.parametrize(
    ("name", "spec_path", "url", "params"), READS, ids=[f"{r[2]}?{r[3]}" for r in READS]
)
async def test_reads_match_the_documented_200_schema(
    client: httpx.AsyncClient, name: str, spec_path: str, url: str, params: dict[str, Any]
) -> None:
    response = await client.get(API + url, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert any(body.get(key) for key in ("data", "users", "fields")), (
        "an empty answer proves nothing"
    )
    jsonschema.validate(body, response_schema(name, spec_path))


async def test_pipelines_match_the_documented_200_schema(client: httpx.AsyncClient) -> None:
    layouts = (await client.get(API + "/settings/layouts", params={"module": "Deals"})).json()
    layout_id = layouts["layouts"][0]["id"]
    response = await client.get(API + "/settings/pipeline", params={"layout_id": layout_id})
    assert response.status_code == 200, response.text
    assert len(response.json()["pipeline"]) == 2
    jsonschema.validate(response.json(), response_schema("pipeline", "/crm/v8/settings/pipeline"))
