"""Decoders for vendors that do not answer in JSON (`SourceSpec.decode`): the client turns
their bodies into JSON-shaped ones, so streams, paginators and getters read them as any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.parsers.expat import ExpatError

import httpx
import xmltodict  # type: ignore[import-untyped]  # ships no type hints


def xml(*, lists: tuple[str, ...] = ()) -> Callable[[httpx.Response], Any]:
    """XML as dicts (xmltodict's mapping: attributes as "@name", text beside them as "#text").
    `lists` names the elements that are always lists, as records are, even when a page holds
    one; anything that does not parse is a ValueError (an unreadable page)."""

    def decode(response: httpx.Response) -> Any:
        try:
            return xmltodict.parse(response.content, force_list=lists, disable_entities=True)
        except ExpatError as exc:
            raise ValueError(f"not XML: {exc}") from None

    return decode
