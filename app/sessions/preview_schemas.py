"""The report of a preview session (`SessionOut.report`): what the session it previews would do,
found by reading the source and the target and writing nothing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class EntityPreview(BaseModel):
    read: int = Field(description="Records read from the source")
    source: int = Field(
        description="Records the session would handle: those read, or for a sample those in "
        "the sample. source = create + merge + update + unchanged + rejected"
    )
    create: int = Field(description="Would be created in Pipedrive")
    merge: int = Field(
        description="Would be linked to a record Pipedrive already holds instead of created: "
        "persons by e-mail, organizations by name, products by code or name (with merging on); "
        "pipelines and stages of the same name are reused"
    )
    update: int = Field(
        description="Linked by the ledger to a record an earlier session wrote, changed in the "
        "source since: written again (one PATCH)"
    )
    unchanged: int = Field(description="Linked by the ledger and unchanged: left alone")
    fill: int = Field(
        description="Of the merged, records whose empty fields would be filled "
        "(merge.fill_empty; one PATCH each)"
    )
    rejected: int = Field(
        description="Records that cannot be made into a Pipedrive record (the session would "
        "list them among its errors)"
    )


class OwnerMatch(BaseModel):
    source_id: str
    name: str
    email: str = Field(description="The source user's e-mail")
    target_user_id: int = Field(description="The Pipedrive user their records would go to")
    target_email: str | None


class OwnerUnmatched(BaseModel):
    source_id: str
    name: str
    email: str | None = Field(description="null when the source user has none")


class DefaultOwner(BaseModel):
    id: int
    email: str | None
    name: str


class OwnersPreview(BaseModel):
    matched: list[OwnerMatch] = Field(
        description="Source users matched by e-mail (or by the owners mapping) to an active "
        "Pipedrive user"
    )
    unmatched: list[OwnerUnmatched] = Field(
        description="Source users with no active Pipedrive user of that e-mail: their records "
        "go to `default_owner`"
    )
    unmatched_emails: list[str] = Field(description="The unmatched users' e-mails")
    default_owner: DefaultOwner = Field(description="The token's user")


GoesTo = Literal["standard_field", "existing_custom_field", "new_custom_field", "not_carried"]


class FieldPreview(BaseModel):
    entity: str
    source_field: str = Field(
        description="The canonical field (standard fields) or the source's field key (custom "
        "fields; the label for a custom field the source cannot hand over)"
    )
    name: str = Field(description="The field's label")
    custom: bool = Field(description="A custom field of the source")
    source_type: str | None = Field(description="A custom field's canonical type")
    goes_to: GoesTo = Field(
        description="standard_field: a field every Pipedrive record has; "
        "existing_custom_field: a custom field Pipedrive holds (same name and type); "
        "new_custom_field: a custom field the session would create; not_carried: see `reason`"
    )
    target_field: str | None = Field(
        description="The Pipedrive field: a standard field's name, an existing custom field's "
        "key, or `new:<source key>` for one that would be created"
    )
    target_name: str | None = Field(description="The Pipedrive custom field's name")
    reason: str | None = Field(description="Why the field is not carried")
    missing_options: list[str] = Field(
        default_factory=list,
        description="Option labels an existing Pipedrive field lacks: the session adds them",
    )


class TokenItem(BaseModel):
    what: str = Field(description="The kind of call, e.g. `create`, `update`, `read users`")
    entity: str | None
    count: int = Field(description="How many writes; for a read, 1 (its tokens are measured)")
    tokens: int


class TokenEstimate(BaseModel):
    total: int = Field(description="writes + reads: what one uninterrupted run would spend")
    writes: int = Field(
        description="Creates (5 per v2 POST, 10 per v1 note POST), custom fields and options to "
        "create, updates and fills (5 per PATCH, 10 per note PUT)"
    )
    reads: int = Field(
        description="The target reads a run makes (users, the token's user, custom field "
        "lists, lists read to merge with, pipelines and stages), measured by making them"
    )
    reads_per_run: int = Field(
        description="What every further run of the session repeats: the token's user and the "
        "custom field lists (plus, in a run that goes on merging an entity, that entity's list "
        "again: 10 per 500 records Pipedrive then holds). A session is cut into runs (chunks "
        "of FERRY_CHUNK_SECONDS, and a new one each day the budget runs out), so it spends "
        "(runs - 1) x this more than `total`. Measured: the reference company (size 30) into "
        "an empty Pipedrive spent exactly `total` in one run and total + reads_per_run in two; "
        "a sample followed by a full session spends the second session's reads on top (users, "
        "the token's user, the field lists and the lists it merges with, about 70 tokens)"
    )
    items: list[TokenItem]


class BudgetPreview(BaseModel):
    daily_left: int | None = Field(
        description="The target's daily budget left, from the last x-daily-requests-left "
        "header its answers carried (null if none did)"
    )
    seats: int = Field(description="Active users in the target")
    daily_budget: int = Field(
        description="The tokens a day `days` counts with: what is left today, or the lowest "
        "plan's 30,000 per seat if that is more (Pipedrive's budget is 30,000 x a plan "
        "multiplier of 1 to 7 x seats, plus top-ups, shared by the whole company, reset daily)"
    )
    fits_today: bool | None = Field(
        description="Whether `tokens.total` fits in what is left today (null if unknown)"
    )
    days: float = Field(description="tokens.total / daily_budget")
    hours: float = Field(description="days x 24")
    requests: int = Field(description="The write requests the session would make")
    window_requests_per_second: float | None = Field(
        description="The most requests a second the token's burst window allows (its "
        "x-ratelimit-limit per 2 s), null if the target never said it"
    )
    seconds_at_window: float | None = Field(
        description="requests / window_requests_per_second: the least time the writes take "
        "at the burst window (shared with the company's other sessions; the source's reads "
        "and the wait for budget resets come on top), null when the window is unknown"
    )
    summary: str


class PreviewCost(BaseModel):
    source_requests: int | None = Field(
        description="Requests made to the source in the run that wrote the report (a long "
        "extraction's earlier runs are not counted); null if the source does not say"
    )
    target_tokens: int = Field(description="Pipedrive tokens the preview spent (reads only)")


class PreviewReport(BaseModel):
    plan: str = Field(description="The mode previewed: full, sample or delta")
    entities: dict[str, EntityPreview] = Field(description="Per entity (users: see owners)")
    owners: OwnersPreview
    fields: list[FieldPreview] = Field(
        description="Every source field, standard and custom, and where it would go"
    )
    tokens: TokenEstimate
    budget: BudgetPreview
    cost_of_preview: PreviewCost
