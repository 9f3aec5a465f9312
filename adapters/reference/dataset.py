"""The reference company: one fictional company's CRM data in the canonical model.

Every vendor emulator is seeded from this dataset, so the same company can be migrated from every
source and the results compared. It is deterministic: the same ``size`` and ``seed`` give the same
records (no clock, no global random: dates are relative to ``REFERENCE_DATE``).

``size`` is the number of persons; the other entities scale from it. The hard cases real migrations
meet live at fixed early ids so that they exist at every size >= 10 (smaller sizes keep what fits):

- users: u1..u5 are active. u6 is inactive, "former.employee@example.com", and owns o2, p2, pr2, d2,
  a2, n2 plus ~5% of the other records. **An emulator's empty target account holds users u1..u5
  only**, so u6 is the owner who does not exist in the target.
- persons: p1 ``Zażółć Gęślą-Jaźń 🚀`` (three e-mails, one primary; two phones), p2 ``Jürgen Weiß``,
  p3 ``山田 太郎`` (family name first: name is not first + last), p4 no e-mail, three phones, no
  organization, no custom fields, p5/p6 share one e-mail (the only duplicate e-mail), p6 and p7
  have no organization.
- organizations: o1 ``Müller & Söhne GmbH``, o2 ``株式会社サンプル``, o3 a Polish name with
  „quotes”, o4 an emoji name, o5 an apostrophe and an ampersand.
- deals: d1 won, d2 lost (with lost_reason), d3 org only (no person), d4 person only (no org),
  d5 open without a value. Currencies are EUR, USD and PLN. d1, d2 and every 40th deal are
  archived (Pipedrive lists archived deals apart from the others).
- notes: n1 is ~100,000 characters of HTML (on d1 and its person); the others are short HTML.
- activities: a1 done call on d1, a2 open meeting on p2 only, a3 a call whose UTC date is the day
  before its Tokyo date (23:30 UTC), a4 an overdue open task on o1 only, a5 a done lunch on the
  org-only deal d3, a6 an open all-day e-mail without due_time.
- custom fields: every FieldType for organizations, persons, deals and products; o1, p1, d1 and pr1
  have every field filled, the other records a random part of them.

Every ``*_source_id`` points at a record of the dataset, except that owner u6 is absent from the
target. Orphan references (a link to a record the source does not return) are not produced here;
a vendor rendering that wants them has to add them itself.
"""

from __future__ import annotations

import gc
import html
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from adapters.core.canonical import (
    Activity,
    ContactPoint,
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
    Pipeline,
    Product,
    ProductPrice,
    Record,
    Stage,
    User,
)

DEFAULT_SIZE = 300
# Every date is relative to this day, never to today: the output must not change with the clock.
REFERENCE_DATE = date(2026, 1, 15)
# The users an emulator's empty target account holds; u6 is deliberately left out (see docstring).
TARGET_USER_IDS: tuple[str, ...] = ("u1", "u2", "u3", "u4", "u5")
ABSENT_OWNER_ID = "u6"
CURRENCIES: tuple[str, ...] = ("EUR", "USD", "PLN")

T = TypeVar("T")
R = TypeVar("R", bound=Record)


@dataclass
class ReferenceCompany:
    users: list[User]
    organizations: list[Organization]
    persons: list[Person]
    pipelines: list[Pipeline]
    stages: list[Stage]
    products: list[Product]
    deals: list[Deal]
    deal_products: list[DealProduct]
    activities: list[Activity]
    notes: list[Note]
    custom_fields: list[CustomFieldDef]
    leads: list[Lead] = field(default_factory=list)
    # A lead's notes and activities, apart from the others: a vendor without leads has none.
    lead_notes: list[Note] = field(default_factory=list)
    lead_activities: list[Activity] = field(default_factory=list)
    files: list[File] = field(default_factory=list)
    file_bytes: dict[str, bytes] = field(default_factory=dict)  # by file source id

    def records(self, entity: Entity) -> list[Record]:
        # Attribute names are the entity values; a copy keeps callers from mutating the dataset.
        records: list[Record] = list(getattr(self, entity.value))
        if entity == Entity.notes:
            records += self.lead_notes
        if entity == Entity.activities:
            records += self.lead_activities
        return records

    def counts(self) -> dict[str, int]:
        return {entity.value: len(self.records(entity)) for entity in Entity}


# --------------------------------------------------------------------------------------------
# Locales: names, places and formats, so that records look like a European company's CRM.
# --------------------------------------------------------------------------------------------

Name = tuple[str, str]  # (as written, ASCII form for e-mail addresses)


@dataclass(frozen=True)
class _Locale:
    code: str
    domain: str
    first_names: tuple[Name, ...]
    last_names: tuple[Name, ...]
    phone_pattern: str  # "#" is a random digit
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    address_format: str
    org_words: tuple[str, ...]
    org_forms: tuple[str, ...]
    family_first: bool = False  # Japanese names are written family name first


def _names(spec: str) -> tuple[Name, ...]:
    """Space-separated names; "Łukasz:lukasz" gives the ASCII form used in e-mail addresses."""
    out = []
    for pair in spec.split():
        shown, _, ascii_form = pair.partition(":")
        out.append((shown, ascii_form or shown.lower()))
    return tuple(out)


_PL = _Locale(
    code="pl",
    domain="example.pl",
    first_names=_names(
        "Zofia Jan Łukasz:lukasz Małgorzata:malgorzata Wojciech Agnieszka Paweł:pawel "
        "Katarzyna Michał:michal Żaneta:zaneta Krzysztof Ewa Tomasz Joanna Grzegorz "
        "Magdalena Jędrzej:jedrzej Bożena:bozena"
    ),
    last_names=_names(
        "Nowak Wójcik:wojcik Kowalczyk Woźniak:wozniak Mazur Krawczyk Kaczmarek "
        "Zając:zajac Król:krol Wróbel:wrobel Dudek Pawlak Sikora Baran Szymczak "
        "Gałązka:galazka Żak:zak Ślusarczyk:slusarczyk"
    ),
    phone_pattern="+48 ### ### ###",
    cities=("00-950 Warszawa", "30-001 Kraków", "90-001 Łódź", "80-001 Gdańsk", "50-001 Wrocław"),
    streets=("Marszałkowska", "Piotrkowska", "Długa", "Świętokrzyska", "Żeromskiego"),
    address_format="ul. {street} {no}, {city}, Polska",
    org_words=("Żuraw", "Bursztyn", "Wisła", "Sokół", "Łączność", "Pszczółka", "Kłos", "Dąb"),
    org_forms=("{w} Sp. z o.o.", "{w} S.A.", "PHU {w}", "{w} i Wspólnicy sp.k."),
)
_DE = _Locale(
    code="de",
    domain="example.de",
    first_names=_names(
        "Jürgen:juergen Jörg:joerg Ursula Björn:bjoern Lena Lukas Sophie Matthias "
        "Käthe:kaethe Uwe Sabine Günter:guenter Monika Felix"
    ),
    last_names=_names(
        "Müller:mueller Schmidt Schneider Fischer Weiß:weiss Schäfer:schaefer "
        "Köhler:koehler Groß:gross Becker Hoffmann Wagner Krüger:krueger Bauer "
        "Schröder:schroeder"
    ),
    phone_pattern="+49 30 #######",
    cities=("10115 Berlin", "80331 München", "50667 Köln", "20095 Hamburg", "70173 Stuttgart"),
    streets=("Königstraße", "Hauptstraße", "Bahnhofstraße", "Schloßallee", "Lindenweg"),
    address_format="{street} {no}, {city}, Deutschland",
    org_words=("Nordlicht", "Bergmann", "Weißkopf", "Grünwald", "Kühne", "Fröhlich", "Brückner"),
    org_forms=("{w} GmbH", "{w} AG", "{w} & Söhne KG", "{w}werk GmbH"),
)
_EN = _Locale(
    code="en",
    domain="example.com",
    first_names=_names(
        "James Olivia Liam Emma Noah Ava William Sophia Benjamin Mia Lucas Charlotte Henry Amelia"
    ),
    last_names=_names(
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor "
        "O'Brien:obrien Martin Clarke"
    ),
    phone_pattern="+1 555 ### ####",
    cities=("San Francisco, CA 94103, USA", "New York, NY 10001, USA", "London EC1A 1BB, UK"),
    streets=("Market Street", "Broadway", "High Street", "Elm Avenue", "Baker Street"),
    address_format="{no} {street}, {city}",
    org_words=("Bluebird", "Summit", "Northwind", "Riverside", "Evergreen", "Pinnacle", "Harbor"),
    org_forms=("{w} Inc.", "{w} Ltd.", "{w} Labs", "{w} & Partners LLC"),
)
_JP = _Locale(
    code="jp",
    domain="example.org",
    first_names=_names(
        "太郎:taro 花子:hanako 翔:sho 結衣:yui 健太:kenta 美咲:misaki "
        "大輔:daisuke 陽菜:hina 蓮:ren さくら:sakura"
    ),
    last_names=_names(
        "山田:yamada 佐藤:sato 鈴木:suzuki 高橋:takahashi 田中:tanaka 伊藤:ito 渡辺:watanabe "
        "中村:nakamura 小林:kobayashi 加藤:kato"
    ),
    phone_pattern="+81 3-####-####",
    cities=("東京都千代田区", "大阪府大阪市北区", "京都府京都市中京区", "神奈川県横浜市西区"),
    streets=("丸の内", "梅田", "烏丸通", "みなとみらい"),
    address_format="{city}{street}{no}-1-1",
    org_words=("富士", "桜", "日の出", "青空", "未来", "大和", "光", "みなと"),
    org_forms=("株式会社{w}", "{w}株式会社", "{w}商事", "{w}製作所"),
    family_first=True,
)
_FR = _Locale(
    code="fr",
    domain="example.net",
    first_names=_names(
        "Émilie:emilie François:francois Zoé:zoe Jérôme:jerome Hélène:helene Loïc:loic "
        "Chloé:chloe Théo:theo Amélie:amelie Gaëlle:gaelle"
    ),
    last_names=_names(
        "Lefèvre:lefevre Dubois Moreau Lambert Fontaine Rousseau Girard Bonnet Mercier "
        "Légaré:legare"
    ),
    phone_pattern="+33 1 ## ## ## ##",
    cities=("75002 Paris", "69001 Lyon", "13001 Marseille", "31000 Toulouse"),
    streets=("rue de la Paix", "avenue des Champs-Élysées", "boulevard Saint-Michel"),
    address_format="{no} {street}, {city}, France",
    org_words=("Étoile", "Lumière", "Château", "Côté Sud", "Hélios", "Océane", "Dupré"),
    org_forms=("{w} SARL", "{w} SAS", "Groupe {w}", "{w} & Fils"),
)
_LOCALES: tuple[_Locale, ...] = (_PL, _DE, _EN, _JP, _FR)
_LOCALE_CUM: tuple[int, ...] = tuple(accumulate((35, 25, 20, 10, 10)))
_EMOJI: tuple[str, ...] = ("🚀", "✨", "🎉", "🌸", "☕", "👍")


class _Random(random.Random):
    """random.Random with float-based picks.

    The stdlib's choice/randint draw exact integers by rejection sampling, about five times slower
    than one random() call; at 100,000 persons that is most of the run. The bias of scaling a
    53-bit float is far below anything fake data cares about.
    """

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, lo: int, hi: int) -> int:
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def weighted(self, items: Sequence[T], cum_weights: Sequence[int]) -> T:
        return items[bisect_right(cum_weights, self.random() * cum_weights[-1])]


def _rng(seed: int, part: str) -> _Random:
    # One stream per entity: changing how one entity is generated does not reshuffle the others.
    # String seeds are hashed with SHA-512, so this is stable across processes (unlike hash()).
    return _Random(f"ferry-reference:{seed}:{part}")


def _locale(rng: _Random) -> _Locale:
    return rng.weighted(_LOCALES, _LOCALE_CUM)


def _digits(rng: _Random, pattern: str) -> str:
    width = pattern.count("#")
    return pattern.replace("#", "{}").format(*f"{rng.below(10**width):0{width}d}")


def _phone(rng: _Random, loc: _Locale | None = None) -> str:
    return _digits(rng, (loc or _locale(rng)).phone_pattern)


def _address(rng: _Random, loc: _Locale) -> str:
    return loc.address_format.format(
        street=rng.pick(loc.streets), no=rng.between(1, 199), city=rng.pick(loc.cities)
    )


def _owner(rng: _Random) -> str:
    # ~5% of the records belong to the former employee, who is missing from the target.
    return ABSENT_OWNER_ID if rng.random() < 0.05 else f"u{rng.between(1, 5)}"


def _day(offset: int) -> str:
    return (REFERENCE_DATE + timedelta(days=offset)).isoformat()


def _timestamp(day_offset: int, minute_of_day: int) -> str:
    moment = datetime.combine(REFERENCE_DATE, time()) + timedelta(
        days=day_offset, minutes=minute_of_day
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _random_timestamp(rng: _Random, lo_days: int, hi_days: int) -> str:
    return _timestamp(rng.between(lo_days, hi_days), rng.between(6 * 60, 19 * 60))


def _clamp(items: Sequence[T], position: int) -> T:
    """The item at 1-based `position`, or the last one when the dataset is too small for it."""
    return items[min(position, len(items)) - 1]


class _Unique:
    """Makes names (e-mails, organization names) unique by suffixing repeats with a counter."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def take(self, value: str) -> None:
        self._seen[value] = self._seen.get(value, 0) + 1

    def make(self, value: str, head: str, tail: str = "") -> str:
        """`value` the first time, then head + "2" + tail, head + "3" + tail..."""
        count = self._seen.get(value, 0)
        self._seen[value] = count + 1
        if count == 0:
            return value
        candidate = f"{head}{count + 1}{tail}"
        self.take(candidate)
        return candidate


# --------------------------------------------------------------------------------------------
# Custom fields: every type for every entity that has them, values typed as canonical.py says.
# --------------------------------------------------------------------------------------------

Maker = Callable[[_Random], Any]


@dataclass(frozen=True)
class _FieldSpec:
    key: str
    name: str
    field_type: FieldType
    make: Maker
    options: tuple[str, ...] = ()


def _enum(key: str, name: str, options: tuple[str, ...]) -> _FieldSpec:
    return _FieldSpec(key, name, FieldType.enum, lambda r: r.pick(options), options)


def _set(key: str, name: str, options: tuple[str, ...]) -> _FieldSpec:
    def make(r: _Random) -> list[str]:
        # In option order, like the vendors return them; never empty (an empty set is no value).
        return [o for o in options if r.random() < 0.35] or [r.pick(options)]

    return _FieldSpec(key, name, FieldType.set, make, options)


def _double(key: str, name: str, lo: float, hi: float, digits: int) -> _FieldSpec:
    return _FieldSpec(
        key, name, FieldType.double, lambda r: float(round(r.uniform(lo, hi), digits))
    )


def _date(key: str, name: str, lo_days: int, hi_days: int) -> _FieldSpec:
    return _FieldSpec(key, name, FieldType.date, lambda r: _day(r.between(lo_days, hi_days)))


def _money(key: str, name: str, lo: float, hi: float) -> _FieldSpec:
    def make(r: _Random) -> dict[str, Any]:
        return {"value": round(r.uniform(lo, hi), 2), "currency": r.pick(CURRENCIES)}

    return _FieldSpec(key, name, FieldType.monetary, make)


def _pick(key: str, name: str, field_type: FieldType, pool: tuple[str, ...]) -> _FieldSpec:
    return _FieldSpec(key, name, field_type, lambda r: r.pick(pool))


def _phone_field(key: str, name: str) -> _FieldSpec:
    return _FieldSpec(key, name, FieldType.phone, lambda r: _phone(r))


_LONG_TEXTS: tuple[str, ...] = (
    "Klient zainteresowany pełnym wdrożeniem.\nDecyzja zapadnie po konsultacji z zarządem.",
    "Sehr zufriedener Kunde – möchte 2026 auf weitere Standorte ausweiten.",
    "Long-standing account; prefers e-mail over phone. Renewal every January.",
    "年間契約を希望。担当者は技術部門。",
    "Client exigeant, très attentif au support en français. 👍",
)

_FIELD_SPECS: dict[Entity, tuple[_FieldSpec, ...]] = {
    Entity.organizations: (
        _enum(
            "industry",
            "Industry",
            ("Produkcja", "Handel", "IT & Software", "Gastronomie", "Logistik", "物流", "Services"),
        ),
        _double("employees", "Employees", 1, 5000, 0),
        _date("founded", "Founded", -365 * 80, -30),
        _FieldSpec(
            "vat_id", "VAT ID", FieldType.varchar, lambda r: f"PL{r.between(10**9, 10**10 - 1)}"
        ),
        _pick("about", "About", FieldType.text, _LONG_TEXTS),
        _set(
            "segments",
            "Segments",
            ("SMB", "Mid-market", "Enterprise", "Öffentlicher Sektor", "Sektor publiczny"),
        ),
        _money("annual_revenue", "Annual revenue", 50_000, 50_000_000),
        _phone_field("switchboard", "Switchboard"),
    ),
    Entity.persons: (
        _double("lead_score", "Lead score", 0, 100, 1),
        _date("birthday", "Birthday", -365 * 65, -365 * 20),
        _pick(
            "job_title",
            "Job title",
            FieldType.varchar,
            ("Prezes Zarządu", "Geschäftsführer", "Head of Sales", "営業部長", "Directrice", "CTO"),
        ),
        _pick("bio", "Bio", FieldType.text, _LONG_TEXTS),
        _enum("language", "Language", ("Polski", "Deutsch", "English", "日本語", "Français")),
        _set("interests", "Interests", ("CRM", "Automatyzacja", "Reporting", "API", "Mobile 📱")),
        _money("budget", "Budget", 1_000, 250_000),
        _phone_field("assistant_phone", "Assistant phone"),
    ),
    Entity.deals: (
        _enum(
            "lead_source",
            "Lead source",
            ("Website", "Polecenie", "Messe", "Cold call", "Partner", "LinkedIn"),
        ),
        _set(
            "competitors",
            "Competitors",
            ("Salesforce", "HubSpot", "Zoho", "Livespace", "Bitrix24", "その他"),
        ),
        _double("discount", "Discount %", 0, 30, 1),
        _date("signed_on", "Signed on", -400, 60),
        _FieldSpec(
            "contract_no",
            "Contract no.",
            FieldType.varchar,
            lambda r: f"UM/{r.between(2023, 2026)}/{r.between(1, 9999):04d}",
        ),
        _pick("requirements", "Requirements", FieldType.text, _LONG_TEXTS),
        _money("setup_fee", "Setup fee", 0, 20_000),
        _phone_field("hotline", "Hotline"),
    ),
    Entity.products: (
        _enum(
            "category", "Category", ("Software", "Usługi", "Dienstleistung", "Hardware", "サポート")
        ),
        _set("platforms", "Platforms", ("Web", "iOS", "Android", "Windows", "macOS", "Linux")),
        _double("weight_kg", "Weight (kg)", 0.1, 25, 2),
        _date("launch_date", "Launch date", -1500, 90),
        _FieldSpec("ean", "EAN", FieldType.varchar, lambda r: f"{r.between(10**12, 10**13 - 1)}"),
        _pick("spec", "Specification", FieldType.text, _LONG_TEXTS),
        _money("list_price", "List price", 10, 10_000),
        _phone_field("support_line", "Support line"),
    ),
}


def _custom_field_defs() -> list[CustomFieldDef]:
    return [
        CustomFieldDef(
            entity=entity,
            key=spec.key,
            name=spec.name,
            field_type=spec.field_type,
            options=list(spec.options),
        )
        for entity, specs in _FIELD_SPECS.items()
        for spec in specs
    ]


def _custom_values(entity: Entity, rng: _Random, full: bool = False) -> dict[str, Any]:
    """Values for some of the entity's fields (all of them when `full`): real records are sparse."""
    return {spec.key: spec.make(rng) for spec in _FIELD_SPECS[entity] if full or rng.random() < 0.6}


# --------------------------------------------------------------------------------------------
# Users, pipelines and stages: fixed, whatever the size.
# --------------------------------------------------------------------------------------------


def _users() -> list[User]:
    people = (
        ("Anna Kowalska", "anna.kowalska@example.pl"),
        ("Max Mustermann", "max.mustermann@example.de"),
        ("Emma Johnson", "emma.johnson@example.com"),
        ("佐藤 花子", "hanako.sato@example.org"),
        ("Łukasz Wiśniewski", "lukasz.wisniewski@example.pl"),
        ("Piotr Zieliński", "former.employee@example.com"),
    )
    return [
        User(source_id=f"u{i}", name=name, email=email, active=f"u{i}" != ABSENT_OWNER_ID)
        for i, (name, email) in enumerate(people, start=1)
    ]


_PIPELINES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    (
        "Sales",
        (
            ("Qualified", 10),
            ("Contact made", 25),
            ("Demo scheduled", 50),
            ("Proposal made", 75),
            ("Negotiations started", 90),
        ),
    ),
    (
        "Partnerzy & Wiederverkäufer",
        (("Erstkontakt", 10), ("Prüfung", 40), ("Umowa", 80), ("Onboarding ✅", 100)),
    ),
)


def _pipelines() -> tuple[list[Pipeline], list[Stage]]:
    pipelines: list[Pipeline] = []
    stages: list[Stage] = []
    for p, (name, stage_defs) in enumerate(_PIPELINES, start=1):
        pipelines.append(Pipeline(source_id=f"pl{p}", name=name))
        for order, (stage_name, probability) in enumerate(stage_defs, start=1):
            stages.append(
                Stage(
                    source_id=f"s{len(stages) + 1}",
                    name=stage_name,
                    pipeline_source_id=f"pl{p}",
                    order_nr=order,
                    deal_probability=probability,
                )
            )
    return pipelines, stages


# --------------------------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------------------------

# (name, locale, owner): o1..o5. o2 belongs to the absent owner.
_FIXED_ORGS: tuple[tuple[str, _Locale, str], ...] = (
    ("Müller & Söhne GmbH", _DE, "u1"),
    ("株式会社サンプル", _JP, ABSENT_OWNER_ID),
    ("Przedsiębiorstwo Wielobranżowe „Żuraw” Sp. z o.o.", _PL, "u5"),
    ("Café ☕ Étoile SARL", _FR, "u3"),
    ("O'Reilly & Partners Ltd.", _EN, "u2"),
)


def _organizations(count: int, rng: _Random) -> list[Organization]:
    names = _Unique()
    orgs: list[Organization] = []
    for i, (name, loc, owner) in enumerate(_FIXED_ORGS[:count], start=1):
        names.take(name)
        # o1 carries every custom field; o5 is the bare one (no address, no fields).
        bare = i == 5
        orgs.append(
            Organization(
                source_id=f"o{i}",
                name=name,
                address=None if bare else _address(rng, loc),
                owner_source_id=owner,
                custom_fields={} if bare else _custom_values(Entity.organizations, rng, i == 1),
            )
        )
    for i in range(len(orgs) + 1, count + 1):
        orgs.append(_random_org(i, rng, names))
    return orgs


def _random_org(i: int, rng: _Random, names: _Unique) -> Organization:
    loc = _locale(rng)
    word = rng.pick(loc.org_words)
    if rng.random() < 0.5:
        word = f"{word}-{rng.pick(loc.org_words)}"
    name = rng.pick(loc.org_forms).format(w=word)
    if rng.random() < 0.01:
        name = f"{rng.pick(_EMOJI)} {name}"
    return Organization(
        source_id=f"o{i}",
        name=names.make(name, f"{name} (", ")"),
        address=_address(rng, loc) if rng.random() < 0.8 else None,
        owner_source_id=_owner(rng),
        custom_fields=_custom_values(Entity.organizations, rng),
    )


# --------------------------------------------------------------------------------------------
# Persons
# --------------------------------------------------------------------------------------------


def _cp(value: str, label: str = "work", primary: bool = False) -> ContactPoint:
    return ContactPoint(value=value, label=label, primary=primary)


def _fixed_persons(n_orgs: int, rng: _Random) -> list[Person]:
    """p1..p7, the named hard cases; organization links are clamped to the ones there are."""

    def org(i: int) -> str:
        return f"o{min(i, n_orgs)}"

    def person(i: int, first: str, last: str, **kw: Any) -> Person:
        kw.setdefault("owner_source_id", "u1")
        kw.setdefault("name", f"{first} {last}")
        return Person(source_id=f"p{i}", first_name=first, last_name=last, **kw)

    persons_fields = Entity.persons
    return [
        person(
            1,
            "Zażółć",
            "Gęślą-Jaźń 🚀",
            emails=[
                _cp("zazolc.gesla-jazn@example.pl", "work", primary=True),
                _cp("zazolc@example.com", "home"),
                _cp("z.jazn@example.de", "other"),
            ],
            phones=[_cp("+48 601 234 567", "mobile", primary=True), _cp("+48 22 123 45 67")],
            org_source_id=org(3),
            custom_fields=_custom_values(persons_fields, rng, full=True),
        ),
        person(
            2,
            "Jürgen",
            "Weiß",
            emails=[_cp("juergen.weiss@example.de", primary=True)],
            phones=[_cp("+49 30 1234567", primary=True)],
            org_source_id=org(1),
            owner_source_id=ABSENT_OWNER_ID,
            custom_fields=_custom_values(persons_fields, rng),
        ),
        person(
            3,
            "太郎",
            "山田",
            name="山田 太郎",
            emails=[_cp("taro.yamada@example.org", primary=True)],
            phones=[_cp("+81 3-1234-5678", primary=True)],
            org_source_id=org(2),
            owner_source_id="u4",
            custom_fields=_custom_values(persons_fields, rng),
        ),
        person(
            4,
            "Grzegorz",
            "Brzęczyszczykiewicz",
            phones=[
                _cp("+48 600 100 200", "mobile", primary=True),
                _cp("+48 12 345 67 89", "work"),
                _cp("+48 12 987 65 43", "home"),
            ],
            owner_source_id="u5",
        ),
        person(
            5,
            "Anna",
            "Schmidt",
            emails=[_cp("anna.schmidt@example.de", primary=True)],
            org_source_id=org(1),
            owner_source_id="u2",
            custom_fields=_custom_values(persons_fields, rng),
        ),
        # The same woman entered a second time, without her company: the duplicate e-mail.
        person(
            6,
            "A.",
            "Schmidt",
            emails=[_cp("anna.schmidt@example.de", "other", primary=True)],
            owner_source_id="u3",
        ),
        person(
            7,
            "Zoë",
            "Ångström-Ødegaard",
            emails=[_cp("zoe.angstrom@example.com", primary=True)],
            owner_source_id="u3",
            custom_fields=_custom_values(persons_fields, rng),
        ),
    ]


def _persons(count: int, n_orgs: int, rng: _Random) -> list[Person]:
    emails = _Unique()
    persons = _fixed_persons(n_orgs, rng)[:count]
    for p in persons:
        for e in p.emails:
            emails.take(e.value)
    for i in range(len(persons) + 1, count + 1):
        persons.append(_random_person(i, n_orgs, rng, emails))
    return persons


def _random_person(i: int, n_orgs: int, rng: _Random, emails: _Unique) -> Person:
    loc = _locale(rng)
    first, first_ascii = rng.pick(loc.first_names)
    last, last_ascii = rng.pick(loc.last_names)
    if rng.random() < 0.01:
        last = f"{last} {rng.pick(_EMOJI)}"
    name = f"{last} {first}" if loc.family_first else f"{first} {last}"
    roll = rng.random()
    n_emails = 0 if roll < 0.1 else (2 if roll > 0.9 else 1)
    n_phones = rng.pick((0, 1, 1, 1, 2))
    return Person(
        source_id=f"p{i}",
        name=name,
        first_name=first,
        last_name=last,
        emails=_person_emails(n_emails, first_ascii, last_ascii, loc, emails),
        phones=[
            _cp(_phone(rng, loc), "work" if k == 0 else "mobile", k == 0) for k in range(n_phones)
        ],
        org_source_id=f"o{rng.between(1, n_orgs)}" if rng.random() < 0.8 else None,
        owner_source_id=_owner(rng),
        custom_fields=_custom_values(Entity.persons, rng),
    )


def _person_emails(
    n: int, first: str, last: str, loc: _Locale, emails: _Unique
) -> list[ContactPoint]:
    # Addresses stay unique across the dataset: p5/p6 must remain the only duplicate pair.
    bases = (f"{first}.{last}", f"{first[0]}.{last}")
    domains = (loc.domain, "example.com")
    out = []
    for k in range(n):
        base, domain = bases[k], domains[k]
        address = emails.make(f"{base}@{domain}", base, f"@{domain}")
        out.append(_cp(address, "work" if k == 0 else "home", primary=k == 0))
    return out


# --------------------------------------------------------------------------------------------
# Products
# --------------------------------------------------------------------------------------------

# (name, unit, EUR price, second currency, owner): pr1..pr5. pr2 belongs to the absent owner.
_FIXED_PRODUCTS: tuple[tuple[str, str, float, str | None, str], ...] = (
    ("Ferry CRM Professional – licencja roczna", "licence", 1188.0, "PLN", "u1"),
    ("Schulung vor Ort (Tagessatz)", "day", 1450.0, "USD", ABSENT_OWNER_ID),
    ("導入支援パッケージ", "pcs", 4999.99, "USD", "u4"),
    ("Premium Support ☎ 24/7", "month", 299.0, None, "u3"),
    ("Migracja danych – pakiet godzinowy", "h", 120.0, "PLN", "u5"),
)
_PRODUCT_BASES: tuple[str, ...] = (
    "CRM licence",
    "Szkolenie",
    "Schulung",
    "Support plan",
    "導入サービス",
    "API integration",
    "Migracja danych",
    "Beratung",
    "Formation",
    "Hardware kit",
)
_PRODUCT_VARIANTS: tuple[str, ...] = ("Basic", "Pro", "Enterprise", "S", "M", "L", "XL", "2026")
_UNITS: tuple[str, ...] = ("pcs", "h", "month", "licence", "day", "szt.", "Stück")
_TAX_RATES: tuple[float, ...] = (0.0, 7.0, 8.0, 19.0, 23.0)
_FX: dict[str, float] = {"USD": 1.08, "PLN": 4.3}  # EUR -> currency, for believable price lists


def _prices(eur: float, other: str | None) -> list[ProductPrice]:
    prices = [ProductPrice(price=eur, currency="EUR")]
    if other:
        prices.append(ProductPrice(price=round(eur * _FX[other], 2), currency=other))
    return prices


def _products(count: int, rng: _Random) -> list[Product]:
    names = _Unique()
    products = []
    for i, (name, unit, eur, other, owner) in enumerate(_FIXED_PRODUCTS[:count], start=1):
        names.take(name)
        products.append(
            Product(
                source_id=f"pr{i}",
                name=name,
                code=f"SKU-{i:05d}",
                unit=unit,
                tax=23.0,
                prices=_prices(eur, other),
                owner_source_id=owner,
                custom_fields=_custom_values(Entity.products, rng, full=i == 1),
            )
        )
    for i in range(len(products) + 1, count + 1):
        products.append(_random_product(i, rng, names))
    return products


def _random_product(i: int, rng: _Random, names: _Unique) -> Product:
    name = f"{rng.pick(_PRODUCT_BASES)} {rng.pick(_PRODUCT_VARIANTS)}"
    return Product(
        source_id=f"pr{i}",
        name=names.make(name, f"{name} v"),
        code=f"SKU-{i:05d}" if rng.random() < 0.9 else None,
        unit=rng.pick(_UNITS),
        tax=rng.pick(_TAX_RATES),
        prices=_prices(round(rng.uniform(5, 5000), 2), rng.pick((None, "USD", "PLN"))),
        owner_source_id=_owner(rng),
        custom_fields=_custom_values(Entity.products, rng),
    )


# --------------------------------------------------------------------------------------------
# Deals
# --------------------------------------------------------------------------------------------

_DEAL_TOPICS: tuple[str, ...] = (
    "Wdrożenie CRM",
    "Licencje roczne",
    "Szkolenie zespołu",
    "Lizenzerweiterung",
    "Wartungsvertrag",
    "Beratungspaket",
    "Annual subscription",
    "Data migration",
    "Premium support upgrade",
    "API integration",
    "導入支援",
    "保守契約",
    "Renouvellement de contrat",
    "Formation sur site",
)
_CURRENCY_CUM: tuple[int, ...] = tuple(accumulate((50, 20, 30)))  # EUR, USD, PLN
# Every archived deal was archived on the reference day, after it closed (at most a day before).
ARCHIVE_TIME = _timestamp(0, 8 * 60)
_LOST_REASONS: tuple[str, ...] = (
    "Za drogo",
    "Kein Budget",
    "Chose a competitor",
    "No response",
    "Projekt verschoben",
    "予算不足",
)


@dataclass(frozen=True)
class _PipelineShape:
    """Stage ids per pipeline, so a deal's stage always belongs to its pipeline."""

    stage_ids: dict[str, list[str]]

    @classmethod
    def of(cls, stages: list[Stage]) -> _PipelineShape:
        ids: dict[str, list[str]] = {}
        for s in sorted(stages, key=lambda s: s.order_nr):
            ids.setdefault(s.pipeline_source_id, []).append(s.source_id)
        return cls(ids)


@dataclass(frozen=True)
class _DealSpec:
    title: str
    status: str
    value: float | None
    currency: str | None
    pipeline: str
    owner: str


_FIXED_DEALS: tuple[_DealSpec, ...] = (
    _DealSpec("Wdrożenie CRM – „Żuraw”", "won", 48_500.0, "PLN", "pl1", "u1"),
    _DealSpec("Lizenzverlängerung 2026", "lost", 12_900.0, "EUR", "pl1", ABSENT_OWNER_ID),
    _DealSpec("サポート契約の更新", "open", 7_250.5, "USD", "pl2", "u4"),
    _DealSpec("Quick consultation", "open", 950.0, "PLN", "pl1", "u5"),
    _DealSpec("Rollout 🚀 phase 2", "open", None, None, "pl1", "u2"),
)


def _fixed_deal_links(
    i: int, persons: list[Person], orgs: list[Organization]
) -> tuple[str | None, str | None]:
    """(person, org) of d1..d5: d3 is org only, d4 is the organization-less p4 alone."""
    if i == 3:
        return None, _clamp(orgs, 2).source_id
    person = _clamp(persons, {1: 1, 2: 2, 4: 4, 5: 5}[i])
    return person.source_id, person.org_source_id or (None if i == 4 else orgs[0].source_id)


def _deals(
    count: int,
    persons: list[Person],
    orgs: list[Organization],
    shape: _PipelineShape,
    rng: _Random,
) -> list[Deal]:
    deals = []
    for i, spec in enumerate(_FIXED_DEALS[:count], start=1):
        person_id, org_id = _fixed_deal_links(i, persons, orgs)
        deals.append(
            _deal(
                i, spec, person_id, org_id, shape, rng, full_fields=i == 1, lost_reason="Zu teuer"
            )
        )
    for i in range(len(deals) + 1, count + 1):
        deals.append(_random_deal(i, persons, orgs, shape, rng))
    return deals


def _random_deal(
    i: int,
    persons: list[Person],
    orgs: list[Organization],
    shape: _PipelineShape,
    rng: _Random,
) -> Deal:
    if rng.random() < 0.7:
        person = rng.pick(persons)
        person_id, org_id, party = person.source_id, person.org_source_id, person.name
    else:
        org = rng.pick(orgs)
        person_id, org_id, party = None, org.source_id, org.name
    roll = rng.random()
    status = "open" if roll < 0.6 else ("won" if roll < 0.85 else "lost")
    value = round(rng.uniform(500, 150_000), rng.pick((-1, 0, 2)))
    spec = _DealSpec(
        title=f"{rng.pick(_DEAL_TOPICS)} – {party}",
        status=status,
        value=float(value) if rng.random() < 0.95 else None,
        currency=rng.weighted(CURRENCIES, _CURRENCY_CUM),
        pipeline="pl1" if rng.random() < 0.7 else "pl2",
        owner=_owner(rng),
    )
    return _deal(i, spec, person_id, org_id, shape, rng, lost_reason=rng.pick(_LOST_REASONS))


def _deal(
    i: int,
    spec: _DealSpec,
    person_id: str | None,
    org_id: str | None,
    shape: _PipelineShape,
    rng: _Random,
    *,
    lost_reason: str,
    full_fields: bool = False,
) -> Deal:
    stage_ids = shape.stage_ids[spec.pipeline]
    # Won deals sit in the last stage; open and lost ones anywhere.
    stage = stage_ids[-1] if spec.status == "won" else rng.pick(stage_ids)
    closed_at = _random_timestamp(rng, -540, -1)
    close_day = closed_at[:10] if spec.status != "open" else _day(rng.between(-30, 180))
    archived = _is_archived(i)
    return Deal(
        source_id=f"d{i}",
        title=spec.title,
        value=spec.value,
        currency=spec.currency if spec.value is not None else None,
        status=spec.status,
        person_source_id=person_id,
        org_source_id=org_id,
        pipeline_source_id=spec.pipeline,
        stage_source_id=stage,
        owner_source_id=spec.owner,
        expected_close_date=close_day,
        won_time=closed_at if spec.status == "won" else None,
        lost_time=closed_at if spec.status == "lost" else None,
        lost_reason=lost_reason if spec.status == "lost" else None,
        is_archived=archived,
        archive_time=ARCHIVE_TIME if archived else None,
        custom_fields=_custom_values(Entity.deals, rng, full=full_fields),
    )


def _is_archived(i: int) -> bool:
    # Chosen by position, not drawn, so that archiving leaves every other record as it was.
    return i in (1, 2) or i % 40 == 0


# --------------------------------------------------------------------------------------------
# Deal products (line items)
# --------------------------------------------------------------------------------------------

_LINE_COMMENTS: tuple[str, ...] = (
    "Rabat uzgodniony – „pakiet”",
    "Lieferung im März",
    "年間契約",
    "Incl. onboarding 🚀",
)


def _deal_products(deals: list[Deal], products: list[Product], rng: _Random) -> list[DealProduct]:
    """Line items on about half the deals with a value. Their sums add up to the deal's value,
    as a CRM that computes the amount from line items keeps them (and as Pipedrive recomputes
    a deal's value from its products): a last, plain line takes what the others leave."""
    items: list[DealProduct] = []
    for deal in deals:
        if (
            deal.value is None
            or deal.value < 100
            or (deal.source_id != "d1" and rng.random() < 0.5)
        ):
            continue
        lines = (
            _fixed_lines(deal, products)
            if deal.source_id == "d1"
            else _random_lines(deal, products, rng)
        )
        rest = round(deal.value - sum(line.sum for line in lines), 2)
        lines.append(
            DealProduct(
                source_id="",
                deal_source_id=deal.source_id,
                product_source_id=rng.pick(products).source_id,
                item_price=rest,
            )
        )
        for line in lines:
            items.append(line.model_copy(update={"source_id": f"dp{len(items) + 1}"}))
    return items


def _fixed_lines(deal: Deal, products: list[Product]) -> list[DealProduct]:
    """d1's hard cases: a fractional quantity, a percentage and an amount discount, a tax, a
    comment in Polish; each a product of its own."""
    assert deal.value is not None
    return [
        DealProduct(
            source_id="",
            deal_source_id=deal.source_id,
            product_source_id=_clamp(products, 1).source_id,
            item_price=1_200.0,
            quantity=2.5,
            discount=10.0,
            tax=23.0,
            comments=_LINE_COMMENTS[0],
        ),
        DealProduct(
            source_id="",
            deal_source_id=deal.source_id,
            product_source_id=_clamp(products, 2).source_id,
            item_price=850.0,
            quantity=3.0,
            discount=150.0,
            discount_type="amount",
        ),
    ]


def _random_lines(deal: Deal, products: list[Product], rng: _Random) -> list[DealProduct]:
    """Up to two lines worth at most 40% of the deal together."""
    assert deal.value is not None
    lines = []
    for _ in range(rng.between(0, 2)):
        quantity = float(rng.pick((1, 2, 5, 10)))
        price = round(deal.value * rng.uniform(0.02, 0.2) / quantity, 2)
        lines.append(
            DealProduct(
                source_id="",
                deal_source_id=deal.source_id,
                product_source_id=rng.pick(products).source_id,
                item_price=price,
                quantity=quantity,
                discount=float(rng.pick((0, 0, 5, 15))),
                tax=rng.pick(_TAX_RATES),
                comments=rng.pick(_LINE_COMMENTS) if rng.random() < 0.3 else None,
            )
        )
    return lines


# --------------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------------

_ACTIVITY_TYPES: tuple[str, ...] = ("call", "meeting", "task", "deadline", "email", "lunch")
_ACTIVITY_CUM: tuple[int, ...] = tuple(accumulate((30, 20, 20, 10, 15, 5)))
_SUBJECTS: dict[str, tuple[str, ...]] = {
    "call": ("Call", "Telefon:", "Rückruf", "電話:"),
    "meeting": ("Meeting:", "Spotkanie –", "Demo für", "Rendez-vous avec"),
    "task": ("Send proposal to", "Przygotować ofertę dla", "Angebot nachfassen:"),
    "deadline": ("Deadline:", "Termin umowy:"),
    "email": ("Follow-up e-mail to", "Wysłać podsumowanie do", "Mail an"),
    "lunch": ("Lunch with", "Mittagessen mit", "Obiad z"),
}
_DURATIONS: dict[str, tuple[str, ...]] = {
    "call": ("00:15", "00:30"),
    "meeting": ("01:00", "01:30"),
    "lunch": ("01:00", "01:30"),
}
_ACTIVITY_NOTES: tuple[str, ...] = (
    "Agenda: ceny, wdrożenie, szkolenie.",
    "Bitte Unterlagen vorab schicken.",
    "Customer is in Tokyo (UTC+9): keep it early in their morning.",
    "Klient prosił o kontakt po 15:00 czasu polskiego.",
    "資料を事前に送付すること。",
)


@dataclass(frozen=True)
class _Links:
    deal: str | None = None
    person: str | None = None
    org: str | None = None
    label: str = ""  # what the subject names

    @classmethod
    def of_deal(cls, deal: Deal) -> _Links:
        return cls(deal.source_id, deal.person_source_id, deal.org_source_id, deal.title)

    @classmethod
    def of_person(cls, person: Person, with_org: bool = False) -> _Links:
        org = person.org_source_id if with_org else None
        return cls(None, person.source_id, org, person.name)

    @classmethod
    def of_org(cls, org: Organization) -> _Links:
        return cls(None, None, org.source_id, org.name)


def _activity(
    i: int, kind: str, links: _Links, owner: str, day: int, at: str | None, done: bool, **kw: Any
) -> Activity:
    kw.setdefault("subject", f"{_SUBJECTS[kind][0]} {links.label}")
    kw.setdefault("duration", _DURATIONS.get(kind, (None,))[0])
    return Activity(
        source_id=f"a{i}",
        type=kind,
        due_date=_day(day),
        due_time=at,
        done=done,
        deal_source_id=links.deal,
        person_source_id=links.person,
        org_source_id=links.org,
        owner_source_id=owner,
        **kw,
    )


def _fixed_activities(
    deals: list[Deal], persons: list[Person], orgs: list[Organization]
) -> list[Activity]:
    tokyo = _clamp(persons, 3)
    return [
        _activity(1, "call", _Links.of_deal(deals[0]), "u1", -40, "09:30", True),
        _activity(2, "meeting", _Links.of_person(_clamp(persons, 2)), ABSENT_OWNER_ID, 10, "13:00",
                  False, note="Treffen im Büro in Berlin, 14:00 MEZ."),
        # 23:30 UTC on the 20th is 08:30 on the 21st in Tokyo: the UTC date is not the local date.
        _activity(3, "call", _Links.of_person(tokyo, with_org=True), "u4", 5, "23:30", False,
                  subject=f"Call {tokyo.name} (08:30 JST)",
                  note=f"Tokyo time: 08:30 on {_day(6)} (JST, UTC+9)."),
        _activity(4, "task", _Links.of_org(orgs[0]), "u2", -12, None, False,
                  subject="Angebot nachfassen – overdue"),
        _activity(5, "lunch", _Links.of_deal(_clamp(deals, 3)), "u4", -90, "03:00", True,
                  subject="Business lunch in Osaka (12:00 JST)", note="03:00 UTC = 12:00 JST."),
        _activity(6, "email", _Links.of_deal(_clamp(deals, 2)), "u3", 30, None, False,
                  duration=None),
    ]  # fmt: skip


def _activities(
    count: int,
    deals: list[Deal],
    persons: list[Person],
    orgs: list[Organization],
    rng: _Random,
) -> list[Activity]:
    activities = _fixed_activities(deals, persons, orgs)[:count]
    for i in range(len(activities) + 1, count + 1):
        activities.append(_random_activity(i, deals, persons, orgs, rng))
    return activities


def _with_participants(
    activities: list[Activity], persons: list[Person], rng: _Random
) -> list[Activity]:
    """A third of the meetings and lunches with a person have one or two more persons taking
    part (drawn apart, so that every other value stays as it was)."""
    out = []
    for activity in activities:
        main = activity.person_source_id
        if main and activity.type in ("meeting", "lunch") and rng.random() < 1 / 3:
            others = {rng.pick(persons).source_id for _ in range(rng.between(1, 2))} - {main}
            activity = activity.model_copy(update={"participant_source_ids": sorted(others)})
        out.append(activity)
    return out


def _random_links(
    deals: list[Deal], persons: list[Person], orgs: list[Organization], rng: _Random
) -> _Links:
    roll = rng.random()
    if roll < 0.45:
        return _Links.of_deal(rng.pick(deals))
    if roll < 0.8:
        return _Links.of_person(rng.pick(persons), with_org=roll >= 0.7)
    return _Links.of_org(rng.pick(orgs))


def _random_activity(
    i: int,
    deals: list[Deal],
    persons: list[Person],
    orgs: list[Organization],
    rng: _Random,
) -> Activity:
    kind = rng.weighted(_ACTIVITY_TYPES, _ACTIVITY_CUM)
    links = _random_links(deals, persons, orgs, rng)
    day = rng.between(-400, 120)
    # Past activities are mostly done; a few future ones were done early.
    done = rng.random() < (0.85 if day < 0 else 0.03)
    # Hours span the whole UTC day: the team and its customers work from Tokyo to San Francisco.
    at = None
    if rng.random() >= 0.25:  # the others are all-day
        at = f"{rng.between(0, 23):02d}:{rng.pick((0, 15, 30, 45)):02d}"
    subject = f"{rng.pick(_SUBJECTS[kind])} {links.label}"
    duration = rng.pick(_DURATIONS[kind]) if kind in _DURATIONS else None
    note = rng.pick(_ACTIVITY_NOTES) if rng.random() < 0.3 else None
    owner = _owner(rng)
    return _activity(
        i, kind, links, owner, day, at, done, subject=subject, duration=duration, note=note
    )


# --------------------------------------------------------------------------------------------
# Notes
# --------------------------------------------------------------------------------------------

_LONG_NOTE_CHARS = 100_000
_NOTE_TEMPLATES: tuple[str, ...] = (
    "<p>Rozmowa z <b>{name}</b>: zainteresowani pakietem <i>Pro</i>.</p>",
    "<p>Kunde wünscht ein Angebot bis Freitag.</p><ul><li>10 Lizenzen</li><li>Schulung</li></ul>",
    "<p>Follow-up with <b>{name}</b>: send pricing for 25 seats.</p>",
    "<p>{name}様にお見積もりを送付しました。</p>",
    "<p>Client très intéressé 👍 — rappeler <b>{name}</b> en mars.</p>",
    '<p>Spotkanie przełożone. Następny kontakt: <a href="https://example.com">kalendarz</a>.</p>',
)


def _long_html_note() -> str:
    """~100,000 characters of HTML with lists, bold and non-ASCII: the size limit case."""
    block = (
        "<h3>Protokół spotkania nr {n}</h3>"
        "<p><b>Uczestnicy:</b> Zażółć Gęślą-Jaźń 🚀, Jürgen Weiß, 山田 太郎.</p>"
        "<p>Omówiono wdrożenie, migrację danych &amp; szkolenia. Über die Preise wird "
        "nächste Woche entschieden; 次回の打ち合わせは来週です。</p>"
        "<ul><li>Import kontaktów – <i>gotowe</i></li><li>Pipelines &amp; Stufen prüfen</li>"
        "<li>Custom fields: <b>ok</b> ✅</li></ul>"
    )
    parts: list[str] = []
    length, n = 0, 0
    while length < _LONG_NOTE_CHARS:
        n += 1
        parts.append(block.format(n=n))
        length += len(parts[-1])
    return "".join(parts)


def _fixed_notes(deals: list[Deal], persons: list[Person], orgs: list[Organization]) -> list[Note]:
    d1, d2 = deals[0], _clamp(deals, 2)
    p2, p3 = _clamp(persons, 2), _clamp(persons, 3)
    return [
        Note(source_id="n1", content=_long_html_note(), deal_source_id=d1.source_id,
             person_source_id=d1.person_source_id, owner_source_id="u1",
             add_time=_timestamp(-45, 10 * 60)),
        Note(source_id="n2", content=f"<p>Notiz zu <b>{html.escape(p2.name)}</b>: "
             "bevorzugt Anrufe am Vormittag.</p>", person_source_id=p2.source_id,
             owner_source_id=ABSENT_OWNER_ID, add_time=_timestamp(-300, 9 * 60)),
        Note(source_id="n3", content=f"<p>{html.escape(orgs[0].name)}: Rahmenvertrag bis "
             "<b>2027</b>.</p><ul><li>Standort München</li><li>Standort Köln</li></ul>",
             org_source_id=orgs[0].source_id, owner_source_id="u2",
             add_time=_timestamp(-120, 14 * 60 + 5)),
        Note(source_id="n4", content="<p>Lost: <i>zu teuer</i>. Retry in Q3.</p>",
             deal_source_id=d2.source_id, owner_source_id="u3", add_time=_timestamp(-20, 16 * 60)),
        Note(source_id="n5", content=f"<p>{html.escape(p3.name)}様と打ち合わせ。</p>",
             person_source_id=p3.source_id, owner_source_id="u4", add_time=_timestamp(-3, 1 * 60)),
    ]  # fmt: skip


def _notes(
    count: int,
    deals: list[Deal],
    persons: list[Person],
    orgs: list[Organization],
    rng: _Random,
) -> list[Note]:
    notes = _fixed_notes(deals, persons, orgs)[:count]
    for i in range(len(notes) + 1, count + 1):
        notes.append(_random_note(i, deals, persons, orgs, rng))
    return notes


def _random_note(
    i: int,
    deals: list[Deal],
    persons: list[Person],
    orgs: list[Organization],
    rng: _Random,
) -> Note:
    roll = rng.random()
    deal_id = person_id = org_id = None
    if roll < 0.4:
        deal = rng.pick(deals)
        deal_id, name = deal.source_id, deal.title
        # Half of the deal notes also name the deal's person, as Pipedrive shows them on both.
        person_id = deal.person_source_id if roll < 0.2 else None
    elif roll < 0.75:
        person = rng.pick(persons)
        person_id, name = person.source_id, person.name
    else:
        org = rng.pick(orgs)
        org_id, name = org.source_id, org.name
    return Note(
        source_id=f"n{i}",
        content=rng.pick(_NOTE_TEMPLATES).format(name=html.escape(name)),
        deal_source_id=deal_id,
        person_source_id=person_id,
        org_source_id=org_id,
        owner_source_id=_owner(rng),
        add_time=_random_timestamp(rng, -700, 0),
    )


# --------------------------------------------------------------------------------------------
# The company
# --------------------------------------------------------------------------------------------


def _created(
    orgs: list[Organization], persons: list[Person], deals: list[Deal], rng: _Random
) -> tuple[list[Organization], list[Person], list[Deal]]:
    """Original creation times, drawn apart so that every other value stays as it was: a few
    years back for organizations and persons, before any deal closed for deals."""

    def dated(records: list[R], lo: int, hi: int) -> list[R]:
        return [r.model_copy(update={"add_time": _random_timestamp(rng, lo, hi)}) for r in records]

    return dated(orgs, -1500, -800), dated(persons, -1400, -700), dated(deals, -700, -545)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of records are built.

    They form no cycles, but every collection walks all of them: at 100,000 persons the collector
    doubles the run time. The previous state is restored, so a caller that disabled it keeps it so.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate(size: int = DEFAULT_SIZE, seed: int = 0) -> ReferenceCompany:
    """The reference company with `size` persons; same size and seed, same records."""
    if size < 1:
        raise ValueError("size must be at least 1")
    with _gc_paused():
        return _generate(size, seed)


def _generate(size: int, seed: int) -> ReferenceCompany:
    users = _users()
    pipelines, stages = _pipelines()
    orgs = _organizations(max(1, size // 3), _rng(seed, "organizations"))
    persons = _persons(size, len(orgs), _rng(seed, "persons"))
    products = _products(max(5, size // 20), _rng(seed, "products"))
    deals = _deals(
        max(1, size * 2 // 3), persons, orgs, _PipelineShape.of(stages), _rng(seed, "deals")
    )
    orgs, persons, deals = _created(orgs, persons, deals, _rng(seed, "created"))
    deal_products = _deal_products(deals, products, _rng(seed, "deal_products"))
    activities = _activities(size, deals, persons, orgs, _rng(seed, "activities"))
    activities = _with_participants(activities, persons, _rng(seed, "participants"))
    notes = _notes(size, deals, persons, orgs, _rng(seed, "notes"))
    # Imported here: these parts build on this module's helpers.
    from adapters.reference import attachments, prospects

    orgs, persons, deals = prospects.labelled_company_parts(
        orgs, persons, deals, _rng(seed, "labels")
    )
    leads = prospects.leads(max(3, size // 10), persons, orgs, _rng(seed, "leads"))
    lead_notes = prospects.lead_notes(leads, len(notes) + 1, _rng(seed, "lead_notes"))
    lead_activities = prospects.lead_activities(
        leads, len(activities) + 1, _rng(seed, "lead_activities")
    )
    files, file_bytes = attachments.files(
        size // 30, deals, persons, orgs, leads, activities, _rng(seed, "files")
    )
    return ReferenceCompany(
        users=users,
        organizations=orgs,
        persons=persons,
        pipelines=pipelines,
        stages=stages,
        products=products,
        deals=deals,
        deal_products=deal_products,
        activities=activities,
        notes=notes,
        custom_fields=_custom_field_defs(),
        leads=leads,
        lead_notes=lead_notes,
        lead_activities=lead_activities,
        files=files,
        file_bytes=file_bytes,
    )
