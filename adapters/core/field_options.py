"""Custom field definitions whose choices are listed apart from them (Maximizer's `Schema` and
`FieldOptions` reads, NetSuite's custom fields and custom lists): one lookup of the
definitions, one or more of their options (`many=True`, keyed by the definition each belongs
to), and `OptionedFields` joining them into a derived table whose rows carry their options as
`(id, label)` pairs, read by the catalogs it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.core.canonical import Entity, FieldType
from adapters.core.declarative import Derived, FieldCatalog, RunState
from adapters.core.mapping import Getter, Raw, value_at

OPTIONS = "_options"


def options_of(raw: Raw) -> list[tuple[str, str]]:
    """The `(id, label)` options a definition of an `OptionedFields` table carries."""
    return [(str(i), str(label)) for i, label in raw.get(OPTIONS) or []]


@dataclass(frozen=True)
class OptionedFields:
    name: str  # the derived table's
    definitions: str  # the lookup of the definitions, by their key
    option_tables: tuple[str, ...]  # lookups of options, each a list by definition key
    option_id: Getter = "id"
    label: Getter = "name"
    # A definition's key in the option tables (None: its key in `definitions`).
    key: Callable[[Raw], Any] | None = None

    def build(self, state: RunState) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for table in self.option_tables:
            options.update(state[table])
        out = {}
        for key, definition in state[self.definitions].items():
            found = options.get(str(self.key(definition)) if self.key else key) or []
            pairs = [(value_at(o, self.option_id), value_at(o, self.label)) for o in found]
            out[key] = {**definition, OPTIONS: pairs}
        return out

    @property
    def derived(self) -> Derived:
        return Derived(self.name, (self.definitions, *self.option_tables), self.build)

    def catalog(
        self,
        entity: Entity,
        key: Getter,
        name: Getter,
        type: Getter,
        types: Mapping[str, FieldType],
        is_custom: Callable[[Raw], bool] = lambda raw: True,
    ) -> FieldCatalog:
        """The catalog of `entity`'s definitions among the table's rows."""
        return FieldCatalog(
            entity, "", key, name, type, types, None, is_custom, options_of, rows_of=self.name
        )


def prefixed_values(prefix: str, label: str = "Value") -> Callable[[Raw], dict[str, Any]]:
    """A `custom_values` for records that keep their custom values among their own fields, by
    a name prefix (Maximizer's `Udf/`); a choice kept as a list of option objects (`[{Key,
    Value}]`) reads as their labels."""

    def read(raw: Raw) -> dict[str, Any]:
        out = {name: value for name, value in raw.items() if name.startswith(prefix)}
        for name, value in out.items():
            if isinstance(value, list):
                out[name] = [item.get(label) for item in value if isinstance(item, dict)]
        return out

    return read
