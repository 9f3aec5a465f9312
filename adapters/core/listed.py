"""Picking from lists: a getter for the first value of a list that passes a test (a link whose
id tells its kind), and a `select` hook numbering a page's records (stages listed in order)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.core.declarative import RunState
from adapters.core.mapping import Getter, Raw, value_at


def first_of(getter: Getter, test: Callable[[Any], bool]) -> Callable[[Raw], str | None]:
    """The first value at `getter` (or in the list there) that is set and passes `test`, as a
    string (an id)."""

    def read(raw: Raw) -> str | None:
        found = value_at(raw, getter)
        values = found if isinstance(found, list) else [found]
        return next((str(v) for v in values if v not in (None, "") and test(v)), None)

    return read


def numbered(into: str, within: Getter | None = None) -> Callable[[list[Raw], RunState], list[Raw]]:
    """Records numbered from 1 in list order into `into` (stages listed in their order, with
    no position of their own), counted apart for each value at `within` (their pipeline)."""

    def select(raws: list[Raw], state: RunState) -> list[Raw]:
        seen: dict[str, int] = {}
        out = []
        for raw in raws:
            group = str(value_at(raw, within)) if within is not None else ""
            seen[group] = seen.get(group, 0) + 1
            out.append({**raw, into: seen[group]})
        return out

    return select
