"""The file source in-process: a CSV file read as it streams, columns known by their common
names, links by id or by name, what an export names without a file of it, unreadable rows, and
SalesforceIQ's export read back as the records its API serves."""

from __future__ import annotations

import io

import pytest

from adapters.core.canonical import Entity, FieldType
from adapters.files.layout import DEFINITIONS, GENERIC, ExportLayout, entity_of_file, find_layout
from adapters.files.reading import CsvFile, Unreadable
from adapters.files.source import FileSource, StoredFile, StoredRow
from adapters.reference.dataset import generate
from adapters.salesforceiq.export import export_files
from adapters.salesforceiq.render import held


class MemoryStore:
    """An upload as the database keeps it: files' columns, then rows by number."""

    def __init__(self, files: dict[str, bytes], layout: ExportLayout) -> None:
        self.stored: list[StoredFile] = []
        self.data: dict[int, list[StoredRow]] = {}
        for number, (name, data) in enumerate(files.items()):
            reader = CsvFile(name, io.BytesIO(data))
            rows = [StoredRow(r.row, r.line, r.cells) for r in reader]
            entity = entity_of_file(name, layout)
            assert entity is not None, name
            kind = entity if isinstance(entity, str) else entity.value
            columns = [c.out() for c in reader.columns]
            self.stored.append(StoredFile(number, name, kind, len(rows), columns))
            self.data[number] = rows

    async def account(self) -> dict[str, str]:
        return {"account_id": "test"}

    async def files(self) -> list[StoredFile]:
        return self.stored

    async def rows(self, file_id: int, after: int, limit: int) -> list[StoredRow]:
        return [r for r in self.data[file_id] if r.row > after][:limit]


async def read_all(source: FileSource) -> tuple[dict[Entity, list], list]:
    await source.check()
    found: dict[Entity, list] = {}
    problems = []
    for entity in source.entities:
        async for page in source.extract(entity):
            found.setdefault(entity, []).extend(item.record for item in page.items)
            problems.extend(page.problems)
    return found, problems


def test_a_file_streams_with_its_lines_and_column_kinds() -> None:
    data = b'Name;Score;Since\n"Ann\nLee";3;2024-01-02\n\nBo;4,5;x\n'
    reader = CsvFile("people.csv", io.BytesIO(data))
    rows = list(reader)
    assert [(r.row, r.line, r.cells[0]) for r in rows] == [(1, 2, "Ann\nLee"), (2, 5, "Bo")]
    kinds = {c.name: c.out()["kind"] for c in reader.columns}
    assert kinds == {"Name": "text", "Score": "text", "Since": "text"}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "upload_no_header"),
        (b"ann@example.com,Ann\n", "upload_no_header"),
        (b"Name\n\x00\x01", "upload_unreadable"),
        ("Name\nJosé\n".encode("latin-1"), "upload_unreadable"),
    ],
)
def test_what_is_not_a_csv_file_is_refused_by_name(data: bytes, code: str) -> None:
    with pytest.raises(Unreadable) as refused:
        list(CsvFile("persons.csv", io.BytesIO(data)))
    assert refused.value.code == code and "persons.csv" in refused.value.message


def test_file_names_say_the_entity() -> None:
    names = {
        "Contacts.csv": Entity.persons,
        "acme_companies_2024.csv": Entity.organizations,
        "Opportunities.csv": Entity.deals,
        "tasks.csv": Entity.activities,
        "stuff.csv": None,
    }
    for name, entity in names.items():
        assert entity_of_file(name, GENERIC) == entity, name
    siq = find_layout("salesforceiq")
    assert siq is not None
    assert entity_of_file("list_abc123.csv", siq) is Entity.deals
    assert entity_of_file("list_fields.csv", siq) == DEFINITIONS
    assert find_layout("pipedrive") is None


async def test_columns_links_and_what_has_no_file() -> None:
    files = {
        "people.csv": (
            b"First name,Last name,E-mail,Work email,Company,Owner (e-mail),Lead score,Notes\n"
            b"Ann,Lee,ann@x.example,ann@work.example,Acme,o@x.example,3,VIP\n"
            b"Bo,,bo@y.example,,,,4,\n"
        ),
        "deals.csv": (
            b"Deal name,Amount,Stage,Pipeline,Contact,Account,Close date\n"
            b'Big,"$1,200.50",Proposal,Sales,ann@x.example,Acme,12/31/2026\n'
            b"Won one,5,Closed Won,Sales,Bo,,\n"
            b"Bad,lots,Proposal,Sales,,,\n"
        ),
        "notes.csv": b"Note,Deal\nCalled,Big\n",
    }
    source = FileSource(MemoryStore(files, GENERIC), GENERIC)
    found, problems = await read_all(source)
    ann, bo = found[Entity.persons]
    assert ann.name == "Ann Lee" and [e.value for e in ann.emails] == [
        "ann@x.example",
        "ann@work.example",
    ]
    assert ann.org_source_id == "organizations:acme" and ann.owner_source_id == "users:o@x.example"
    assert ann.custom_fields == {"Lead score": 3.0, "Notes": "VIP"}
    assert [o.name for o in found[Entity.organizations]] == ["Acme"]
    assert [u.email for u in found[Entity.users]] == ["o@x.example"]
    big, won = found[Entity.deals]
    assert (big.value, big.expected_close_date, big.person_source_id) == (
        1200.5,
        "2026-12-31",
        ann.source_id,
    )
    assert (
        won.status == "won" and won.stage_source_id is None and won.person_source_id == bo.source_id
    )
    assert [s.name for s in found[Entity.stages]] == ["Proposal"]
    assert [p.name for p in found[Entity.pipelines]] == ["Sales"]
    assert found[Entity.notes][0].deal_source_id == big.source_id
    assert [p.message for p in problems] == ["deals.csv, line 4: value 'lots' is not a number"]
    fields = {(d.entity, d.name): d.field_type for d in await source.custom_fields()}
    assert fields[(Entity.persons, "Lead score")] is FieldType.double


async def test_mapping_columns_overrides_names() -> None:
    files = {"Leute.csv": b"Kennung,Rufname,Spitzname\nk1,Ann,Annie\n"}
    store = MemoryStore({"persons.csv": files["Leute.csv"]}, GENERIC)
    source = FileSource(
        store, GENERIC, columns={"persons": {"Kennung": "id", "Rufname": "name", "Spitzname": None}}
    )
    found, _ = await read_all(source)
    person = found[Entity.persons][0]
    assert (person.source_id, person.name, person.custom_fields) == ("k1", "Ann", {})


async def test_the_salesforceiq_export_reads_back_as_held() -> None:
    company = generate(size=30, seed=0)
    layout = find_layout("salesforceiq")
    assert layout is not None
    source = FileSource(MemoryStore(export_files(company), layout), layout)
    found, problems = await read_all(source)
    assert problems == []
    expected = held(company)
    for entity in (Entity.users, Entity.organizations, Entity.persons, Entity.deals):
        assert len(found[entity]) == len(expected.records(entity)), entity
    assert len(found[Entity.stages]) == len(expected.stages)
    types = {d.name: d.field_type for d in await source.custom_fields()}
    assert FieldType.enum in types.values() and FieldType.set in types.values()
    assert all(d.stage_source_id or d.status != "open" for d in found[Entity.deals])


async def test_a_repeated_id_is_a_row_error_not_a_lost_row() -> None:
    files = {"persons.csv": b"Id,Name\n1,Ann\n2,Bo\n1,Cy\n"}
    found, problems = await read_all(FileSource(MemoryStore(files, GENERIC), GENERIC))
    assert [p.name for p in found[Entity.persons]] == ["Ann", "Bo"]
    assert [p.message for p in problems] == ["persons.csv, line 4: its id '1' is the id of line 2"]
