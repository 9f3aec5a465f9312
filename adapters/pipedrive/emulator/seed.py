"""Fill a new company: the reference dataset rendered into Pipedrive, or an empty company.

Everything goes through the same create rules as the API. Links are written as Pipedrive ids;
a link whose target is not in the dataset (an orphan reference) cannot exist in Pipedrive, so
it is left out and listed in `state.dropped_links`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.core.canonical import (
    CUSTOM_FIELD_ENTITIES,
    Activity,
    CustomFieldDef,
    Deal,
    DealProduct,
    Entity,
    FieldType,
    File,
    Lead,
    Note,
    Organization,
    Person,
    Product,
    Record,
    Stage,
    User,
)
from adapters.pipedrive.bodies import participants
from adapters.pipedrive.emulator import deal_products, records
from adapters.pipedrive.emulator.entities import SPECS
from adapters.pipedrive.emulator.errors import PipedriveError
from adapters.pipedrive.emulator.fields import (
    LABEL_FIELD,
    OPTION_TYPES,
    FieldDef,
    FieldOption,
    create_custom_field,
)
from adapters.pipedrive.emulator.files import add_file
from adapters.pipedrive.emulator.leads import (
    COLOURS,
    add_default_lead_labels,
    add_lead_label,
    create_lead,
)
from adapters.pipedrive.emulator.notes import create_note
from adapters.pipedrive.emulator.state import AccountState

if TYPE_CHECKING:
    from adapters.reference.dataset import ReferenceCompany

DATASETS = ("reference", "empty")
# Deals seeded as if people had entered them in Pipedrive (the spec's example origin).
SEEDED_DEAL_ORIGIN = "ManuallyCreated"


def seed(
    state: AccountState,
    dataset: str,
    size: int,
    now: str,
    company: ReferenceCompany | None = None,
) -> None:
    """Seed `dataset`; a given `company` (a reference company as some system holds it) replaces
    the generated one."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    # Imported here: only seeding needs the dataset generator.
    from adapters.reference.dataset import TARGET_USER_IDS, generate

    # Users do not depend on the size: an empty company needs no large dataset generated.
    company = company or generate(size=size if dataset == "reference" else 10, seed=0)
    # An empty company still has its team, but not the former employee the dataset marks as
    # absent from the target (its records' owner must then be mapped to someone else).
    users = company.users
    if dataset == "empty":
        users = [user for user in users if user.source_id in TARGET_USER_IDS]
    _seed_users(state, users, now)
    state.add_default_activity_types(now)
    add_default_lead_labels(state, now)
    if dataset == "reference":
        _Seeder(state, now).run(company)


def _seed_users(state: AccountState, users: list[User], now: str) -> None:
    for user in users:
        # Every Pipedrive user has a login email; invent a unique one where the dataset has none.
        email = user.email or f"{user.source_id}@{state.account_id}.invalid"
        created = state.add_user(user.name, email, active=user.active, created=now)
        state.remember(Entity.users, user.source_id, created.id)


# What each link of a seeded body points at.
LINKED: dict[str, Entity] = {
    "deal_id": Entity.deals,
    "person_id": Entity.persons,
    "org_id": Entity.organizations,
    "organization_id": Entity.organizations,
    "owner_id": Entity.users,
    "user_id": Entity.users,
    "lead_id": Entity.leads,
    "activity_id": Entity.activities,
    "product_id": Entity.products,
    "pipeline_id": Entity.pipelines,
    "stage_id": Entity.stages,
}


class _Seeder:
    def __init__(self, state: AccountState, now: str) -> None:
        self.state = state
        self.now = now
        self.custom: dict[Entity, dict[str, FieldDef]] = {e: {} for e in CUSTOM_FIELD_ENTITIES}

    def run(self, company: ReferenceCompany) -> None:
        for definition in company.custom_fields:
            self.add_custom_field(definition)
        self.add_labels(company)
        for org in company.organizations:
            self.add(Entity.organizations, org, self.organization_body(org))
        for person in company.persons:
            created = self.add(Entity.persons, person, self.person_body(person))
            if person.first_name or person.last_name:
                created["first_name"], created["last_name"] = person.first_name, person.last_name
        for pipeline in company.pipelines:
            self.add(Entity.pipelines, pipeline, {"name": pipeline.name})
        for stage in company.stages:
            self.add(Entity.stages, stage, self.stage_body(stage))
        for product in company.products:
            self.add(Entity.products, product, self.product_body(product))
        for deal in company.deals:
            self.add(Entity.deals, deal, self.deal_body(deal))["origin"] = SEEDED_DEAL_ORIGIN
        for item in company.deal_products:
            self.add_line_item(item)
        for lead in company.leads:
            self.add_lead(lead)
        for activity in company.records(Entity.activities):
            assert isinstance(activity, Activity)
            self.add(Entity.activities, activity, self.activity_body(activity))
        for note in company.records(Entity.notes):
            assert isinstance(note, Note)
            self.add_note(note)
        for file in company.files:
            self.add_file(file, company.file_bytes[file.source_id])

    # --- writing -------------------------------------------------------------------------

    def add(self, entity: Entity, source: Record, body: dict[str, Any]) -> dict[str, Any]:
        try:
            created = records.create(self.state, SPECS[entity], body, self.now)
        except PipedriveError as exc:
            raise ValueError(f"cannot seed {entity} {source.source_id}: {exc.error}") from exc
        self.state.remember(entity, source.source_id, created["id"])
        return created

    def add_line_item(self, item: DealProduct) -> None:
        links = self.links(item, deal_id=item.deal_source_id, product_id=item.product_source_id)
        if len(links) < 2:
            return  # its deal or product is not here (noted in dropped_links)
        body = {"product_id": links["product_id"], **line_item_body(item)}
        try:
            created = deal_products.add(self.state, links["deal_id"], body, self.now)
        except PipedriveError as exc:
            raise ValueError(f"cannot seed deal product {item.source_id}: {exc.error}") from exc
        self.state.remember(Entity.deal_products, item.source_id, created["id"])

    def add_labels(self, company: ReferenceCompany) -> None:
        """The labels the records carry, as options of their entity's label field (the
        defaults kept) and as lead labels."""
        self.labels: dict[Entity, dict[str, Any]] = {}
        parts = ((Entity.organizations, company.organizations), (Entity.persons, company.persons),
                 (Entity.deals, company.deals))  # fmt: skip
        for entity, labelled in parts:
            definition = self.state.fields[entity].by_code[LABEL_FIELD]
            for name in dict.fromkeys(n for r in labelled for n in r.labels):
                if definition.option_id(name) is None:
                    definition.add_option(FieldOption(self.state.next_option_id(), name))
            self.labels[entity] = {o.label: o.id for o in definition.options or ()}
        by_name = {label["name"]: label["id"] for label in self.state.lead_labels.values()}
        for name in dict.fromkeys(n for lead in company.leads for n in lead.labels):
            if name not in by_name:
                colour = COLOURS[len(by_name) % len(COLOURS)]
                body = {"name": name, "color": colour}
                by_name[name] = add_lead_label(self.state, body, self.now)["id"]
        self.labels[Entity.leads] = by_name

    def label_ids(self, entity: Entity, names: list[str]) -> dict[str, Any]:
        return {"label_ids": [self.labels[entity][n] for n in names]} if names else {}

    def add_lead(self, lead: Lead) -> None:
        body: dict[str, Any] = {
            "title": lead.title,
            **self.links(lead, person_id=lead.person_source_id, owner_id=lead.owner_source_id),
            **self.links(lead, organization_id=lead.org_source_id),
            **self.label_ids(Entity.leads, lead.labels),
        }
        if lead.value is not None and lead.currency:
            body["value"] = {"amount": lead.value, "currency": lead.currency}
        if lead.expected_close_date:
            body["expected_close_date"] = lead.expected_close_date
        try:
            created = create_lead(self.state, body, self.now)
        except PipedriveError as exc:
            raise ValueError(f"cannot seed lead {lead.source_id}: {exc.error}") from exc
        # Entered in Pipedrive by people, at the dataset's time (the API takes no add_time).
        created["source_name"] = created["origin"] = "Manually created"
        created["add_time"] = lead.add_time or self.now
        self.state.remember(Entity.leads, lead.source_id, created["id"])

    def add_file(self, file: File, content: bytes) -> None:
        parents = self.links(
            file,
            deal_id=file.deal_source_id,
            person_id=file.person_source_id,
            org_id=file.org_source_id,
            lead_id=file.lead_source_id,
            activity_id=file.activity_source_id,
            product_id=file.product_source_id,
        )
        if not parents:
            self.state.dropped_links.append(f"{file.source_id}: file without an existing parent")
            return
        try:
            created = add_file(self.state, file.name, file.mime_type, content, parents, self.now)
        except PipedriveError as exc:
            raise ValueError(f"cannot seed file {file.source_id}: {exc.error}") from exc
        created["add_time"] = file.add_time or self.now
        self.state.remember(Entity.files, file.source_id, created["id"])

    def add_custom_field(self, definition: CustomFieldDef) -> None:
        if definition.entity not in self.custom:
            return  # Pipedrive has no creatable custom fields for this entity
        body: dict[str, Any] = {"field_name": definition.name, "field_type": definition.field_type}
        if definition.field_type in OPTION_TYPES:
            body["options"] = [{"label": label} for label in definition.options]
        created = create_custom_field(self.state, definition.entity, body, self.now)
        self.custom[definition.entity][definition.key] = created

    def add_note(self, note: Note) -> None:
        body = {
            "content": note.content,
            **self.links(note, deal_id=note.deal_source_id, person_id=note.person_source_id),
            **self.links(note, org_id=note.org_source_id, user_id=note.owner_source_id),
            **self.links(note, lead_id=note.lead_source_id),
        }
        if note.add_time:
            body["add_time"] = note.add_time
        if not any(body.get(key) for key in ("deal_id", "person_id", "org_id", "lead_id")):
            self.state.dropped_links.append(f"{note.source_id}: note without an existing parent")
            return
        try:
            created = create_note(self.state, body, self.now)
        except PipedriveError as exc:
            raise ValueError(f"cannot seed note {note.source_id}: {exc.error}") from exc
        self.state.remember(Entity.notes, note.source_id, created["id"])

    # --- canonical -> Pipedrive bodies ---------------------------------------------------

    def organization_body(self, org: Organization) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": org.name,
            **self.links(org, owner_id=org.owner_source_id),
            **self.label_ids(Entity.organizations, org.labels),
        }
        if org.address:
            body["address"] = {"value": org.address}
        if org.add_time:
            body["add_time"] = org.add_time
        return self.with_custom_fields(body, Entity.organizations, org.custom_fields, org)

    def person_body(self, person: Person) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": person.name,
            "emails": [point.model_dump() for point in person.emails],
            "phones": [point.model_dump() for point in person.phones],
            **self.links(person, org_id=person.org_source_id, owner_id=person.owner_source_id),
            **self.label_ids(Entity.persons, person.labels),
        }
        if person.add_time:
            body["add_time"] = person.add_time
        return self.with_custom_fields(body, Entity.persons, person.custom_fields, person)

    def stage_body(self, stage: Stage) -> dict[str, Any]:
        body: dict[str, Any] = {"name": stage.name, "order_nr": stage.order_nr}
        body.update(self.links(stage, pipeline_id=stage.pipeline_source_id))
        if stage.deal_probability is not None:
            body["deal_probability"] = stage.deal_probability
        return body

    def product_body(self, product: Product) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": product.name,
            "prices": [{"price": p.price, "currency": p.currency} for p in product.prices],
            **self.links(product, owner_id=product.owner_source_id),
        }
        for key in ("code", "unit", "tax"):
            if getattr(product, key) is not None:
                body[key] = getattr(product, key)
        return self.with_custom_fields(body, Entity.products, product.custom_fields, product)

    def deal_body(self, deal: Deal) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": deal.title,
            "status": deal.status,
            **self.links(
                deal,
                person_id=deal.person_source_id,
                org_id=deal.org_source_id,
                pipeline_id=deal.pipeline_source_id,
                stage_id=deal.stage_source_id,
                owner_id=deal.owner_source_id,
            ),
            **self.label_ids(Entity.deals, deal.labels),
        }
        optional = ("value", "currency", "expected_close_date", "won_time", "lost_time", "add_time")
        body.update({key: getattr(deal, key) for key in optional if getattr(deal, key) is not None})
        if deal.lost_reason is not None:
            body["lost_reason"] = deal.lost_reason
        if deal.is_archived:
            body["is_archived"] = True
            if deal.archive_time:
                body["archive_time"] = deal.archive_time
        return self.with_custom_fields(body, Entity.deals, deal.custom_fields, deal)

    def activity_body(self, activity: Activity) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subject": activity.subject,
            "type": activity.type,
            "done": activity.done,
            **self.links(
                activity,
                deal_id=activity.deal_source_id,
                person_id=activity.person_source_id,
                org_id=activity.org_source_id,
                owner_id=activity.owner_source_id,
                lead_id=activity.lead_source_id,
            ),
        }
        optional = ("due_date", "due_time", "duration", "note")
        body.update({k: getattr(activity, k) for k in optional if getattr(activity, k) is not None})
        others = [self.state.seeded(Entity.persons, p) for p in activity.participant_source_ids]
        if body.get("person_id") and any(others):
            body["participants"] = participants(body["person_id"], others)
        return body

    def links(self, source: Record, **source_ids: str | None) -> dict[str, Any]:
        """Pipedrive ids for the given links; orphan references are noted and left out."""
        resolved: dict[str, Any] = {}
        for key, source_id in source_ids.items():
            if source_id is None:
                continue
            target = self.state.seeded(LINKED[key], source_id)
            if target is None:
                self.state.dropped_links.append(f"{source.source_id}.{key} -> {source_id}")
            else:
                resolved[key] = target
        return resolved

    def with_custom_fields(
        self, body: dict[str, Any], entity: Entity, values: dict[str, Any], source: Record
    ) -> dict[str, Any]:
        custom: dict[str, Any] = {}
        for key, value in values.items():
            if value is None:
                continue
            definition = self.custom[entity].get(key)
            converted = None if definition is None else _custom_value(definition, value)
            if definition is None or converted is None:
                # A value for a field or option the dataset does not define: nowhere to put it.
                self.state.dropped_links.append(f"{source.source_id}.custom_fields.{key}")
            else:
                custom[definition.code] = converted
        if custom:
            body["custom_fields"] = custom
        return body


def line_item_body(item: DealProduct) -> dict[str, Any]:
    """A line item's v2 body, its product left out (the caller links it)."""
    body: dict[str, Any] = {
        "item_price": item.item_price,
        "quantity": item.quantity,
        "discount": item.discount,
        "discount_type": item.discount_type,
        "tax": item.tax,
    }
    if item.comments is not None:
        body["comments"] = item.comments
    return body


def _custom_value(definition: FieldDef, value: Any) -> Any:
    """A canonical value in Pipedrive's form: option labels become option ids."""
    if value is None:
        return None
    if definition.field_type == FieldType.enum:
        return definition.option_id(value)
    if definition.field_type == FieldType.set:
        ids = [definition.option_id(label) for label in value]
        return [i for i in ids if i is not None] or None
    return value
