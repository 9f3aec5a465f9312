"""Opportunities, their status changes, activities and notes in Close's record shapes (see
render.py's docstring for how the reference company sits in Close)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from adapters.close.render import (
    APP,
    CREATED,
    ORGANIZATION_ID,
    Company,
    Raw,
    activity_kind,
    close_id,
    created_at,
    custom_values,
    deal_status,
    iso_time,
    plain_text,
    user_id,
)
from adapters.core.canonical import Activity, Deal, Entity, FieldType, File


def render_opportunity(deal: Deal, ref: Company, types: dict[str, FieldType]) -> Raw:
    status_id, label, kind = deal_status(deal, ref)
    pipeline = ref.pipelines[deal.pipeline_source_id or ""]
    owner = ref.users.get(deal.owner_source_id or "")
    lead_ref = ref.deal_lead(deal)
    return {
        "id": close_id("oppo", deal.source_id),
        "lead_id": close_id("lead", lead_ref),
        "lead_name": _lead_name(ref, lead_ref),
        "contact_id": close_id("cont", deal.person_source_id) if deal.person_source_id else None,
        "user_id": user_id(deal.owner_source_id),
        "user_name": owner.name if owner else None,
        "organization_id": ORGANIZATION_ID,
        "pipeline_id": close_id("pipe", pipeline.source_id),
        "pipeline_name": pipeline.name,
        "status_id": status_id,
        "status_label": label,
        "status_type": kind,
        "value": None if deal.value is None else round(deal.value * 100),
        "value_currency": deal.currency if deal.value is not None else None,
        "value_period": "one_time",
        "value_formatted": "" if deal.value is None else f"{deal.value:,.2f} {deal.currency}",
        "confidence": 0,
        "note": deal.title,
        "note_html": f"<body><p>{html.escape(deal.title)}</p></body>",
        "date_won": deal.expected_close_date,
        "date_lost": deal.lost_time[:10] if deal.lost_time else None,
        "date_created": created_at(deal.source_id),
        "date_updated": CREATED,
        "created_by": None,
        "updated_by": None,
        **custom_values(Entity.deals, deal.custom_fields, types),
    }


def _lead_name(ref: Company, lead_ref: str) -> str:
    return ref.org_names.get(lead_ref) or ref.persons[lead_ref].name


def render_status_change(deal: Deal, ref: Company) -> Raw | None:
    """The OpportunityStatusChange that closed a won or lost deal: it keeps the stage it left."""
    if deal.status == "open" or not deal.stage_source_id:
        return None
    new_id, new_label, new_type = deal_status(deal, ref)
    stage = ref.stages[deal.stage_source_id]
    when = iso_time(deal.won_time or deal.lost_time) or CREATED
    return {
        "_type": "OpportunityStatusChange",
        "id": close_id("acti", f"{deal.source_id}:status"),
        "opportunity_id": close_id("oppo", deal.source_id),
        "lead_id": close_id("lead", ref.deal_lead(deal)),
        "contact_id": None,
        "user_id": user_id(deal.owner_source_id),
        "organization_id": ORGANIZATION_ID,
        "old_status_id": close_id("stat", stage.source_id),
        "old_status_label": stage.name,
        "old_status_type": "active",
        "new_status_id": new_id,
        "new_status_label": new_label,
        "new_status_type": new_type,
        "activity_at": when,
        "date_created": when,
        "date_updated": when,
    }


def _starts_at(activity: Activity) -> str:
    return f"{activity.due_date}T{activity.due_time or '00:00'}:00+00:00"


def _seconds(duration: str | None) -> int:
    if not duration:
        return 0
    hours, _, minutes = duration.partition(":")
    return int(hours) * 3600 + int(minutes) * 60


def _activity_base(activity: Activity, ref: Company, prefix: str = "acti") -> Raw:
    contact = ref.contact_of(activity)
    return {
        "id": close_id(prefix, activity.source_id),
        "lead_id": close_id("lead", ref.lead_of(activity)),
        "contact_id": close_id("cont", contact) if contact else None,
        "organization_id": ORGANIZATION_ID,
        "date_created": created_at(activity.source_id),
        "date_updated": CREATED,
        "created_by": user_id(activity.owner_source_id),
        "updated_by": None,
    }


def render_activity(activity: Activity, ref: Company) -> tuple[str, Raw]:
    """(table, record) of one activity."""
    kind = activity_kind(activity)
    if kind == "task":
        return "task", _task(activity, ref)
    record = _activity_base(activity, ref)
    starts = _starts_at(activity)
    record.update(user_id=user_id(activity.owner_source_id), activity_at=starts)
    if kind == "meeting":
        ends_seconds = _seconds(activity.duration)
        record.update(
            _type="Meeting",
            title=activity.subject,
            starts_at=starts,
            ends_at=_plus(starts, ends_seconds),
            duration=ends_seconds,
            status="completed" if activity.done else "upcoming",
            note=activity.note or "",
            attendees=[],
        )
    elif kind == "call":
        record.update(
            _type="Call",
            direction="outbound",
            status="completed",
            duration=_seconds(activity.duration),
            note=activity.note or "",
            phone=None,
        )
    else:
        record.update(
            _type="Email",
            subject=activity.subject,
            body_text=activity.note or "",
            body_html=html.escape(activity.note or ""),
            direction="outgoing",
            status="sent" if activity.done else "scheduled",
            date_scheduled=None if activity.done else starts,
            date_sent=starts if activity.done else None,
            to=[],
            attachments=[],
        )
    return f"activity/{kind}", record


def _plus(starts: str, seconds: int) -> str:
    moment = datetime.fromisoformat(starts) + timedelta(seconds=seconds)
    return moment.isoformat()


def _task(activity: Activity, ref: Company) -> Raw:
    when = _starts_at(activity) if activity.due_time else activity.due_date
    record = _activity_base(activity, ref, "task")
    record.update(
        _type="lead",
        text=activity.subject,
        date=when,
        due_date=when,
        is_dateless=when is None,
        is_complete=activity.done,
        assigned_to=user_id(activity.owner_source_id),
        lead_name=None,
        object_id=None,
        object_type=None,
        view=None,
    )
    return record


def file_key(file: File) -> str:
    return close_id("file", file.source_id)


def attachment(file: File) -> Raw:
    """A note's or e-mail's attachment: the URL the Files API handed out, its name, type, size."""
    return {
        "url": f"{APP}/go/file/{file_key(file)}/",
        "filename": file.name,
        "content_type": file.mime_type or "application/octet-stream",
        "size": file.size,
        "thumbnail_url": None,
    }


def render_file_note(file: File, ref: Company) -> Raw:
    """The note a file on a record was attached with (held: on the lead, maybe a contact)."""
    lead = file.org_source_id or ref.person_lead(file.person_source_id or "")
    stamp = iso_time(file.add_time) or CREATED
    return {
        "_type": "Note",
        "id": close_id("acti", file.source_id),
        "lead_id": close_id("lead", lead),
        "contact_id": close_id("cont", file.person_source_id) if file.person_source_id else None,
        "user_id": user_id("u1"),
        "organization_id": ORGANIZATION_ID,
        "note": "",
        "note_html": "",
        "attachments": [attachment(file)],
        "activity_at": stamp,
        "date_created": stamp,
        "date_updated": stamp,
    }


def render_note(note: Any, ref: Company) -> Raw:
    contact = ref.contact_of(note) if note.person_source_id else None
    return {
        "_type": "Note",
        "id": close_id("acti", note.source_id),
        "lead_id": close_id("lead", ref.lead_of(note)),
        "contact_id": close_id("cont", contact) if contact else None,
        "user_id": user_id(note.owner_source_id),
        "organization_id": ORGANIZATION_ID,
        "note": plain_text(note.content),
        "note_html": note.content,
        "activity_at": iso_time(note.add_time) or CREATED,
        "date_created": iso_time(note.add_time) or CREATED,
        "date_updated": iso_time(note.add_time) or CREATED,
        "attachments": [],
    }
