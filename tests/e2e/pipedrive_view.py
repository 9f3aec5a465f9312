"""Reads a whole Pipedrive account back and renders it in a comparable, id-free form: links
become the linked record's identifying text, owners their email, custom fields their name and
readable value. Two accounts holding the same company render the same."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

import httpx

from adapters.pipedrive.emulator import Limits, PipedriveEmulator
from adapters.reference.dataset import REFERENCE_DATE, ReferenceCompany
from tests.helpers import PipedriveReader

# Every entity a migration writes, in the target's load order.
MIGRATED = (
    "organizations",
    "persons",
    "pipelines",
    "stages",
    "products",
    "deals",
    "leads",
    "deal_products",
    "activities",
    "notes",
    "files",
)

# Lists whose records are listed in a second list as well: archived deals are not in /deals.
ALSO_LISTED = {"deals": "deals/archived", "leads": "leads/archived"}
# Where label names live: the options of persons', organizations' and deals' `label_ids` field.
LABEL_FIELD = "label_ids"

FIELD_ENDPOINTS = {
    "organizations": "organizationFields",
    "persons": "personFields",
    "deals": "dealFields",
    "products": "productFields",
}


def _sorted_values(items: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(sorted(str(i.get("value")) for i in items or []))


class AccountView:
    def __init__(self, reader: PipedriveReader) -> None:
        self.reader = reader
        self.data: dict[str, list[dict[str, Any]]] = {}
        self.fields: dict[str, dict[str, dict[str, Any]]] = {}
        self.labels: dict[str, dict[Any, str]] = {}
        self.file_digests: dict[int, str] = {}

    async def load(self) -> AccountView:
        for path in ("users", *MIGRATED):
            if path == "deal_products":
                self.data[path] = await self._line_items()
                continue
            self.data[path] = await self.reader.all(path)
            if path in ALSO_LISTED:
                self.data[path] += await self.reader.all(ALSO_LISTED[path])
        for entity, path in FIELD_ENDPOINTS.items():
            fields = await self.reader.all(path)
            self.fields[entity] = {f["field_code"]: f for f in fields if f.get("is_custom_field")}
            label_field = next((f for f in fields if f["field_code"] == LABEL_FIELD), {})
            self.labels[entity] = {o["id"]: o["label"] for o in label_field.get("options") or []}
        self.labels["leads"] = {lb["id"]: lb["name"] for lb in await self.reader.all("leadLabels")}
        for file in self.data["files"]:  # byte for byte: compared by digest
            digest = hashlib.sha256(await self.reader.download(file["id"])).hexdigest()
            self.file_digests[file["id"]] = digest
        self.me = await self.reader.me()
        return self

    async def _line_items(self) -> list[dict[str, Any]]:
        """Products on deals are listed by deal, a hundred deals a request: those of the deals
        list first, then those of the archived deals (the order a source reads them in)."""
        items: list[dict[str, Any]] = []
        for archived in (False, True):
            ids = [
                str(d["id"]) for d in self.data["deals"] if bool(d.get("is_archived")) is archived
            ]
            for start in range(0, len(ids), 100):
                chunk = ",".join(ids[start : start + 100])
                items += await self.reader.all("deals/products", deal_ids=chunk)
        return items

    def by_id(self, entity: str) -> dict[Any, dict[str, Any]]:
        return {r["id"]: r for r in self.data[entity]}

    def label_names(self, entity: str, record: dict[str, Any]) -> tuple[str, ...]:
        names = self.labels.get(entity, {})
        return tuple(sorted(names.get(i, f"?{i}") for i in record.get("label_ids") or []))

    def _name(self, entity: str, record_id: Any, key: str = "name") -> str | None:
        record = self.by_id(entity).get(record_id) if record_id else None
        return record[key] if record else None

    def owner(self, user_id: int | None) -> str | None:
        user = self.by_id("users").get(user_id) if user_id else None
        return user["email"] if user else None

    def custom(self, entity: str, record: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        out = []
        for key, value in (record.get("custom_fields") or {}).items():
            field = self.fields[entity].get(key)
            if field is None or value in (None, "", []):
                continue
            out.append((field["field_name"], _readable(field, value)))
        return tuple(sorted(out))

    def render(self, entity: str, owners: dict[str | None, str | None]) -> Counter[Any]:
        """A multiset of id-free views of every record of `entity`."""
        render = getattr(self, f"_{entity}")
        return Counter(render(r, owners) for r in self.data[entity])

    def _organizations(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r["name"],
            owners.get(self.owner(r.get("owner_id"))),
            _original(r.get("add_time")),
            self.label_names("organizations", r),
            self.custom("organizations", r),
        )

    def _persons(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r["name"],
            _sorted_values(r.get("emails")),
            _sorted_values(r.get("phones")),
            self._name("organizations", r.get("org_id")),
            owners.get(self.owner(r.get("owner_id"))),
            _original(r.get("add_time")),
            self.label_names("persons", r),
            self.custom("persons", r),
        )

    def _products(self, r: dict[str, Any], owners: Any) -> Any:
        prices = tuple(
            sorted((p.get("currency"), float(p.get("price") or 0)) for p in r.get("prices") or [])
        )
        return (r["name"], r.get("code"), r.get("unit"), prices, self.custom("products", r))

    def _pipelines(self, r: dict[str, Any], owners: Any) -> Any:
        return (r["name"],)

    def _stages(self, r: dict[str, Any], owners: Any) -> Any:
        return (r["name"], self._name("pipelines", r.get("pipeline_id")))

    def _deals(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r["title"],
            r.get("value"),
            r.get("currency"),
            r.get("status"),
            self._name("persons", r.get("person_id")),
            self._name("organizations", r.get("org_id")),
            self._name("stages", r.get("stage_id")),
            self._name("pipelines", r.get("pipeline_id")),
            owners.get(self.owner(r.get("owner_id"))),
            r.get("expected_close_date"),
            r.get("lost_reason"),
            bool(r.get("is_archived")),
            r.get("archive_time"),
            _original(r.get("add_time")),
            self.label_names("deals", r),
            self.custom("deals", r),
        )

    def _leads(self, r: dict[str, Any], owners: Any) -> Any:
        value = r.get("value") or {}
        return (
            r["title"],
            self._name("persons", r.get("person_id")),
            self._name("organizations", r.get("organization_id")),
            owners.get(self.owner(r.get("owner_id"))),
            float(value["amount"]) if value.get("amount") is not None else None,
            value.get("currency"),
            r.get("expected_close_date"),
            bool(r.get("is_archived")),
            self.label_names("leads", r),
        )

    def _deal_products(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            self._name("deals", r.get("deal_id"), "title"),
            self._name("products", r.get("product_id")),
            float(r["item_price"]),
            float(r["quantity"]),
            float(r.get("discount") or 0),
            r.get("discount_type"),
            float(r.get("tax") or 0),
            r.get("comments"),
            r.get("currency"),
        )

    def _activities(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r["subject"],
            r.get("type"),
            r.get("due_date"),
            r.get("due_time"),
            bool(r.get("done")),
            self._name("deals", r.get("deal_id"), "title"),
            self._name("persons", r.get("person_id")),
            tuple(
                sorted(
                    str(self._name("persons", p.get("person_id")))
                    for p in r.get("participants") or []
                )
            ),
            self._name("organizations", r.get("org_id")),
            self._name("leads", r.get("lead_id"), "title"),
            owners.get(self.owner(r.get("owner_id"))),
        )

    def _notes(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r["content"],
            self._name("deals", r.get("deal_id"), "title"),
            self._name("persons", r.get("person_id")),
            self._name("organizations", r.get("org_id")),
            self._name("leads", r.get("lead_id"), "title"),
        )

    def _files(self, r: dict[str, Any], owners: Any) -> Any:
        return (
            r.get("name") or r.get("file_name"),
            r.get("file_size"),
            self.file_digests[r["id"]],
            self._name("deals", r.get("deal_id"), "title"),
            self._name("persons", r.get("person_id")),
            self._name("organizations", r.get("org_id")),
            self._name("leads", r.get("lead_id"), "title"),
            self._name("activities", r.get("activity_id"), "subject"),
            self._name("products", r.get("product_id")),
        )


def _original(add_time: str | None) -> str | None:
    """A creation time carried from the source (the reference company's are all before its
    date); one of the day the record was written in Pipedrive reads as none."""
    return add_time if add_time and add_time < REFERENCE_DATE.isoformat() else None


def _readable(field: dict[str, Any], value: Any) -> str:
    labels = {o["id"]: o["label"] for o in field.get("options") or []}
    if field["field_type"] == "enum":
        return labels.get(value, f"?{value}")
    if field["field_type"] == "set":
        ids = value if isinstance(value, list) else [value]
        return ",".join(sorted(labels.get(i, f"?{i}") for i in ids))
    if isinstance(value, dict):  # monetary and other composite values
        return ",".join(
            f"{k}={float(v) if isinstance(v, int | float) else v}" for k, v in sorted(value.items())
        )
    if isinstance(value, int | float):
        return str(float(value))
    return str(value)


def assert_same(expected: AccountView, actual: AccountView) -> None:
    """`actual` (a migrated account) holds exactly `expected`'s records. Owners are compared by
    email; an owner missing from the target must have become the token's user."""
    target_emails = {u["email"] for u in actual.data["users"]}
    me = actual.me["email"]
    expected_owners: dict[str | None, str | None] = {
        u["email"]: (u["email"] if u["email"] in target_emails else me)
        for u in expected.data["users"]
    }
    expected_owners[None] = me
    actual_owners: dict[str | None, str | None] = {email: email for email in target_emails}
    for entity in MIGRATED:
        want, got = expected.render(entity, expected_owners), actual.render(entity, actual_owners)
        assert got == want, (
            f"{entity}: missing {list((want - got).elements())[:3]}, "
            f"unexpected {list((got - want).elements())[:3]}"
        )


async def expected_view(company: ReferenceCompany) -> AccountView:
    """A company as Pipedrive would show it once migrated: seeded into an in-process Pipedrive
    emulator (the same rendering the sandbox uses) and read back through its API."""
    emulator = PipedriveEmulator()
    emulator.create_account(
        "expected",
        api_token="expected",
        company=company,
        limits=Limits(burst=1_000_000, daily_tokens=1_000_000_000),
    )
    account = {"base_url": "http://expected/expected", "credentials": {"api_token": "expected"}}
    reader = PipedriveReader(account, transport=httpx.ASGITransport(app=emulator.app))
    return await AccountView(reader).load()
