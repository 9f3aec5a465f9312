"""The canonical model: the one shape every source maps into and the target loads from.

Entity names are Pipedrive's. Links between records are expressed with *source* ids (the id the
record has in the source system); the loader resolves them to target ids through the id map.

Custom field values are keyed by the source field's key and typed as follows:
- text / varchar / phone: str
- double: float
- monetary: {"value": float, "currency": "EUR"}
- date: "YYYY-MM-DD"
- enum: the option's label (str)
- set: list of option labels
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class Entity(StrEnum):
    """Migratable entities, in load (dependency) order."""

    users = "users"
    organizations = "organizations"
    persons = "persons"
    pipelines = "pipelines"
    stages = "stages"
    products = "products"
    deals = "deals"
    leads = "leads"
    deal_products = "deal_products"
    activities = "activities"
    notes = "notes"
    files = "files"


LOAD_ORDER: tuple[Entity, ...] = tuple(Entity)

# Entities whose records can carry custom fields (Pipedrive can create fields for these).
CUSTOM_FIELD_ENTITIES: tuple[Entity, ...] = (
    Entity.organizations,
    Entity.persons,
    Entity.products,
    Entity.deals,
)


class FieldType(StrEnum):
    varchar = "varchar"
    text = "text"
    double = "double"
    monetary = "monetary"
    date = "date"
    enum = "enum"
    set = "set"
    phone = "phone"


class CustomFieldDef(BaseModel):
    entity: Entity
    key: str  # the source system's field key
    name: str  # the label users see
    field_type: FieldType
    options: list[str] = Field(default_factory=list)  # labels, for enum and set


class Record(BaseModel):
    source_id: str


class ContactPoint(BaseModel):
    value: str
    label: str = "work"
    primary: bool = False


class User(Record):
    name: str
    email: str | None = None
    active: bool = True


class Organization(Record):
    name: str
    address: str | None = None
    owner_source_id: str | None = None
    add_time: str | None = None  # RFC 3339: when it was made in the source
    labels: list[str] = Field(default_factory=list)  # label names, as the source shows them
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Person(Record):
    name: str
    first_name: str | None = None
    last_name: str | None = None
    emails: list[ContactPoint] = Field(default_factory=list)
    phones: list[ContactPoint] = Field(default_factory=list)
    org_source_id: str | None = None
    owner_source_id: str | None = None
    add_time: str | None = None  # RFC 3339: when it was made in the source
    labels: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Pipeline(Record):
    name: str


class Stage(Record):
    name: str
    pipeline_source_id: str
    order_nr: int = 0
    deal_probability: int | None = None


class ProductPrice(BaseModel):
    price: float
    currency: str


class Product(Record):
    name: str
    code: str | None = None
    unit: str | None = None
    tax: float | None = None
    prices: list[ProductPrice] = Field(default_factory=list)
    owner_source_id: str | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Deal(Record):
    title: str
    value: float | None = None
    currency: str | None = None
    status: str = "open"  # open | won | lost
    person_source_id: str | None = None
    org_source_id: str | None = None
    pipeline_source_id: str | None = None
    stage_source_id: str | None = None
    owner_source_id: str | None = None
    expected_close_date: str | None = None  # YYYY-MM-DD
    won_time: str | None = None  # RFC 3339
    lost_time: str | None = None
    lost_reason: str | None = None
    # Archived deals are kept apart from the working lists (Pipedrive lists them on their own).
    is_archived: bool = False
    archive_time: str | None = None  # RFC 3339
    add_time: str | None = None  # RFC 3339: when it was made in the source
    labels: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)


class Lead(Record):
    """A prospect not yet qualified into a deal (Pipedrive's leads inbox). It belongs to a
    person, an organization or both; a source whose leads carry their own contact details
    (Salesforce, Zoho, Dynamics) gives each its person or organization as records of their own."""

    title: str
    person_source_id: str | None = None
    org_source_id: str | None = None
    owner_source_id: str | None = None
    value: float | None = None
    currency: str | None = None
    expected_close_date: str | None = None  # YYYY-MM-DD
    labels: list[str] = Field(default_factory=list)
    add_time: str | None = None  # RFC 3339


class DealProduct(Record):
    """A product on a deal (a line item): in the deal's currency; `discount` is a percentage
    or, with `discount_type` "amount", an amount off the line; `tax` a percentage."""

    deal_source_id: str
    product_source_id: str
    item_price: float
    quantity: float = 1.0
    discount: float = 0.0
    discount_type: str = "percentage"  # percentage | amount
    tax: float = 0.0
    comments: str | None = None

    @property
    def sum(self) -> float:
        """The line's total before tax, as Pipedrive sums it into the deal's value."""
        gross = self.item_price * self.quantity
        off = self.discount if self.discount_type == "amount" else gross * self.discount / 100
        return round(gross - off, 2)


class Activity(Record):
    subject: str
    type: str = "task"  # activity type key: call, meeting, task, deadline, email, lunch
    due_date: str | None = None  # YYYY-MM-DD, in UTC
    due_time: str | None = None  # HH:MM, in UTC
    duration: str | None = None  # HH:MM
    done: bool = False
    note: str | None = None
    deal_source_id: str | None = None
    person_source_id: str | None = None  # the main person (Pipedrive's primary participant)
    # Other persons taking part (a meeting's attendees from the customer's side).
    participant_source_ids: list[str] = Field(default_factory=list)
    org_source_id: str | None = None
    lead_source_id: str | None = None
    owner_source_id: str | None = None


class Note(Record):
    content: str
    deal_source_id: str | None = None
    person_source_id: str | None = None
    org_source_id: str | None = None
    lead_source_id: str | None = None
    owner_source_id: str | None = None
    add_time: str | None = None  # RFC 3339


class File(Record):
    """A file attached to a record. Its bytes stay at the source until loading streams them
    across: `content_ref` tells the source adapter where they are (opaque to everything else).
    A file attached to a note in the source is attached to the note's record."""

    name: str
    mime_type: str | None = None
    size: int | None = None  # in bytes, where the source says
    deal_source_id: str | None = None
    person_source_id: str | None = None
    org_source_id: str | None = None
    lead_source_id: str | None = None
    activity_source_id: str | None = None
    product_source_id: str | None = None
    content_ref: str
    add_time: str | None = None  # RFC 3339


MODEL_BY_ENTITY: dict[Entity, type[Record]] = {
    Entity.users: User,
    Entity.organizations: Organization,
    Entity.persons: Person,
    Entity.pipelines: Pipeline,
    Entity.stages: Stage,
    Entity.products: Product,
    Entity.deals: Deal,
    Entity.leads: Lead,
    Entity.deal_products: DealProduct,
    Entity.activities: Activity,
    Entity.notes: Note,
    Entity.files: File,
}


# Link fields of canonical records and the entity each one points at.
LINK_FIELDS: dict[str, Entity] = {
    "org_source_id": Entity.organizations,
    "person_source_id": Entity.persons,
    "deal_source_id": Entity.deals,
    "owner_source_id": Entity.users,
    "pipeline_source_id": Entity.pipelines,
    "stage_source_id": Entity.stages,
    "product_source_id": Entity.products,
    "lead_source_id": Entity.leads,
    "activity_source_id": Entity.activities,
}

# Entities whose records carry labels (Pipedrive keeps them as options of a `label_ids` field;
# leads' labels are a list of their own).
LABELLED_ENTITIES: tuple[Entity, ...] = (
    Entity.organizations,
    Entity.persons,
    Entity.deals,
    Entity.leads,
)


# Link fields that hold several ids, and the entity they point at.
LIST_LINK_FIELDS: dict[str, Entity] = {"participant_source_ids": Entity.persons}


def parse_record(entity: Entity, data: dict[str, Any]) -> Record:
    return MODEL_BY_ENTITY[entity].model_validate(data)
