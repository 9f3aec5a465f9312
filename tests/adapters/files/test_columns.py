"""One table of an export's columns, read both ways: the file written from records reads back
through the layout its meanings make."""

from __future__ import annotations

import io

from adapters.core.canonical import Entity
from adapters.core.mapping import ref, text
from adapters.files.columns import Column, csv_file, meanings
from adapters.files.layout import ExportLayout, column_field
from adapters.files.reading import CsvFile

PEOPLE = (
    Column("Kennung", ref("id"), "id"),
    Column("Rufname", text("name"), "name"),
    Column("Adressen", lambda r: r.get("mails"), "email"),
    Column("Geändert", text("changed")),  # written, not carried
)


def test_a_table_writes_the_file_and_says_what_its_columns_mean() -> None:
    records = [
        {"id": 1, "name": '=SUM(A1) "quoted", comma', "mails": ["a@x.de", None, "b@x.de"]},
        {"id": 2, "name": "Zoë\nzwei Zeilen", "mails": [], "changed": "2026-01-15"},
    ]
    data = csv_file(PEOPLE, records)
    assert not data.startswith(b"\xef\xbb\xbf") and data.startswith(b"Kennung,Rufname,")
    rows = [r.cells for r in CsvFile("people.csv", io.BytesIO(data))]
    assert rows[-2:] == [
        ["1", '=SUM(A1) "quoted", comma', "a@x.de; b@x.de", ""],
        ["2", "Zoë\nzwei Zeilen", "", "2026-01-15"],
    ]
    layout = ExportLayout(system="x", name="X", columns={Entity.persons: meanings(PEOPLE)})
    assert [column_field(Entity.persons, c.name, layout) for c in PEOPLE] == [
        "id",
        "name",
        "email",
        None,
    ]
