"""Small mechanisms first written for Maximizer: answers that say their outcome in a code in a
200 (`CodeInBody`), emulators' JSON operator queries (`json_query`) and tokens that expire
while idle (`ExpiringTokens`), and a meeting's length from its start and end (`between`)."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request

from adapters.core.body_code import CodeInBody
from adapters.core.emulated_auth import ExpiringTokens
from adapters.core.emulation import EmulatedAccount
from adapters.core.errors import UnreadableResponse
from adapters.core.http import UnexpectedResponse
from adapters.core.json_query import QueryError, matches, ordered, scoped
from adapters.core.mapping import between

CODES = CodeInBody("Vendor")


def answer(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_a_negative_code_is_an_error_never_an_empty_page() -> None:
    rows = CODES.rows("Task.Data")
    assert rows({"Code": 0, "Task": {"Data": [{"Key": "a"}, "junk"]}}) == [{"Key": "a"}]
    with pytest.raises(UnexpectedResponse, match="Code -1: Invalid field"):
        rows({"Code": -1, "Msg": ["Invalid field X."]})
    with pytest.raises(UnreadableResponse):  # no code: not an answer of this vendor
        rows({"Task": {"Data": []}})
    with pytest.raises(UnreadableResponse):  # a good code without the records
        rows({"Code": 0, "Task": {}})
    assert CODES.rows("Note.Options", dict)({"Code": 0, "Note": {"Options": {"a": 1}}}) == {"a": 1}


def test_a_refused_token_is_told_from_other_failures() -> None:
    refused = answer({"Code": -1, "Msg": ["Token is invalid"]})
    other = answer({"Code": -1, "Msg": ["Invalid field X."]})
    assert CODES.token_refused(refused) and CODES.is_auth_failure(refused)
    assert not CODES.token_refused(other) and not CODES.is_auth_failure(other)
    assert CODES.is_auth_failure(answer({}, 401)) and not CODES.token_refused(answer({"Code": 0}))
    assert CODES.error_text(other) == "Code -1: Invalid field X."
    assert CODES.error_text(httpx.Response(502, text="<html>")) == "Bad Gateway"


ROWS = [
    {"Key": "a", "Type": "Company", "When": "2026-01-02T10:00:00Z", "Path": "/A/Udf/1"},
    {"Key": "b", "Type": "Contact", "When": "2026-01-01", "Path": "/B/Udf/2"},
    {"Key": "c", "Type": "Individual", "When": None, "Path": "/A/Udf/3", "_inner": 1},
]
KNOWN = {"Key", "Type", "When", "Path"}


def keys(query: object) -> list[str]:
    return [r["Key"] for r in ROWS if matches(r, query, KNOWN)]


def test_operator_queries_select_as_the_vendor_documents() -> None:
    assert keys({}) == ["a", "b", "c"]
    assert keys({"Type": {"$IN": ["Contact", "Individual"]}}) == ["b", "c"]
    assert keys({"$and": [{"Type": {"$NE": "Contact"}}, {"Path": {"$TREE": "/A/"}}]}) == ["a", "c"]
    assert keys({"$OR": [{"Key": {"$EQ": "a"}}, {"Key": {"$eq": "b"}}]}) == ["a", "b"]
    assert keys({"When": {"$GT": "2026-01-01T12:00:00Z"}}) == ["a"]  # times as moments
    for bad in ({"Nickname": {"$EQ": 1}}, {"Key": {"$LIKE": "a"}}, {"Key": "a"}, []):
        with pytest.raises(QueryError):
            keys(bad)


def test_order_and_scope() -> None:
    by_when = ordered(ROWS, [{"When": "DESC"}], KNOWN)
    assert [r["Key"] for r in by_when] == [
        "c",
        "a",
        "b",
    ]  # none sorts after times: first, descending
    assert [r["Key"] for r in ordered(ROWS, [{"Type": "ASC"}], KNOWN)] == ["a", "b", "c"]
    assert scoped(ROWS[2], 1, KNOWN) == {k: v for k, v in ROWS[2].items() if k != "_inner"}
    assert scoped(ROWS[0], {"Key": 1}, KNOWN) == {"Key": "a"}
    with pytest.raises(QueryError):
        scoped(ROWS[0], {"Nickname": 1}, KNOWN)
    with pytest.raises(QueryError):
        ordered(ROWS, [{"Key": "UP"}], KNOWN)


def test_a_token_lives_while_used_and_not_past_its_life() -> None:
    now = [0.0]
    tokens = ExpiringTokens(idle=600, life=3600, clock=lambda: now[0])
    account = EmulatedAccount("acme", {}, {}, burst=10)
    token = tokens.issue(account)
    account.tokens.add(token)  # as the login route does
    gate = tokens.gate()
    scope = {"type": "http", "headers": [(b"authorization", f"Bearer {token}".encode())]}
    request = Request(scope)
    for moment in (0, 590, 1180, 1770, 2360, 2950, 3540):  # each use within 10 minutes
        now[0] = moment
        assert gate(account, request)
    now[0] = 3601  # past its life, though used a minute ago
    assert not gate(account, request) and token not in account.tokens
    idle = tokens.issue(account)
    account.tokens.add(idle)
    now[0] += 601
    idle_scope = {"type": "http", "headers": [(b"authorization", f"Bearer {idle}".encode())]}
    assert not gate(account, Request(idle_scope))


def test_a_length_from_start_to_end() -> None:
    length = between("start", "end")
    assert length({"start": "2026-01-15T09:30:00Z", "end": "2026-01-15T11:15:00Z"}) == "01:45"
    assert length({"start": "2026-01-15T23:30:00Z", "end": "2026-01-16T00:15:00Z"}) == "00:45"
    assert length({"start": "2026-01-15T09:30:00Z", "end": None}) is None
    assert length({"start": "2026-01-15T09:30:00Z", "end": "2026-01-15T09:30:00Z"}) is None
