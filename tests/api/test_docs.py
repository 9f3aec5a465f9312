"""The OpenAPI document as the running service serves it: what Swagger needs to work for real
(a bearer scheme, the one error shape, examples), checked against the service's behaviour and
against the codes the sources raise."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from app.error_codes import CATALOGUE, VENDOR_FAILURES
from app.sessions.service import VENDOR_SIDE_CODES

ROOT = Path(__file__).resolve().parents[2]
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}
METHODS = {"get", "put", "post", "delete", "patch"}
SOME_ID = "00000000-0000-4000-8000-000000000000"


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
    ]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # The components ride along so that "#/components/schemas/..." refs resolve.
    return Draft202012Validator({**schema, "components": document["components"]})


async def test_the_document_declares_a_bearer_scheme_and_uses_it(
    client: httpx.AsyncClient,
) -> None:
    document = await _document(client)
    schemes = document["components"]["securitySchemes"]
    assert [s["scheme"] for s in schemes.values() if s["type"] == "http"] == ["bearer"]
    secured = [op for _, _, op in _operations(document) if op.get("security")]
    assert len(secured) > 10


async def test_every_operation_that_refuses_a_missing_key_documents_it(
    client: httpx.AsyncClient, stack: Any
) -> None:
    document = await _document(client)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as anonymous:
        for method, path, operation in _operations(document):
            url = re.sub(r"\{[^}]+\}", SOME_ID, path)
            response = await anonymous.request(method, url)
            if response.status_code != 401:
                continue
            where = f"{method.upper()} {path}"
            assert "401" in operation["responses"], where
            code = response.json()["error"]["code"]
            assert f"`{code}`" in operation["responses"]["401"]["description"], where
            if code == "missing_api_key":
                assert operation.get("security"), where


async def test_every_error_response_has_the_one_error_shape(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    assert "HTTPValidationError" not in json.dumps(document)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR_REF, (method, path, status)
                assert "`" in response["description"], (method, path, status)  # names codes


# Uploads stream their body to the database: nothing holds it to compare a replay with.
STREAMED = {"/v1/uploads"}


async def test_every_post_documents_the_idempotency_key(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    posts = [(path, op) for method, path, op in _operations(document) if method == "post"]
    assert posts
    for path in STREAMED:
        operation = document["paths"][path]["post"]
        assert not [p for p in operation.get("parameters", []) if p["in"] == "header"], path
    for path, operation in posts:
        if path in STREAMED:
            continue
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [h["name"] for h in headers] == ["Idempotency-Key"], path
        assert headers[0]["schema"]["maxLength"] == 255
        assert "409" in operation["responses"], path


async def test_every_body_has_examples_that_fit_its_schema(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    bodies = 0
    for method, path, operation in _operations(document):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        bodies += 1
        assert body.get("examples"), f"{method.upper()} {path} has no example body"
        validator = _validator(document, body["schema"])
        for name, example in body["examples"].items():
            errors = [e.message for e in validator.iter_errors(example["value"])]
            assert not errors, (method, path, name, errors)
            assert "additionalProp" not in json.dumps(example)
    assert bodies >= 5


async def test_error_examples_fit_the_error_shape(client: httpx.AsyncClient) -> None:
    document = await _document(client)
    validator = _validator(document, ERROR_REF)
    for _, _, operation in _operations(document):
        for response in operation["responses"].values():
            examples = response.get("content", {}).get("application/json", {}).get("examples", {})
            for code, example in examples.items():
                assert example["value"]["error"]["code"] == code
                validator.validate(example["value"])


async def test_the_description_holds_the_code_catalogue(client: httpx.AsyncClient) -> None:
    description = (await _document(client))["info"]["description"]
    for code in CATALOGUE:
        assert f"| `{code}` |" in description


def test_the_catalogue_covers_every_code_the_sources_raise() -> None:
    raised = _codes_in_sources()
    assert len(raised) > 40
    missing = sorted(set(raised) - set(CATALOGUE))
    assert not missing, (
        f"add to app/error_codes.py: {missing} (raised in {[raised[c] for c in missing]})"
    )


def test_a_failed_connection_check_is_catalogued_with_the_status_it_answers() -> None:
    for code, (status, _) in VENDOR_FAILURES.items():
        expected = 502 if code in VENDOR_SIDE_CODES else 422
        assert status == expected, code
        for role in ("source", "target"):
            assert CATALOGUE[f"{role}_{code}"].status == expected


# Calls whose code is a positional argument: error_response(status, code, ...),
# ctx.note(entity, source_id, stage, code, ...), _fail(ctx, row, stage, code, ...),
# lifecycle.fail(db, session, queue, code, ...), UrlRefused(code, reason).
POSITIONAL_CODE = {"error_response": 1, "note": 3, "_fail": 3, "fail": 3, "UrlRefused": 0}
NOT_ERROR_CODES = {"_Locale"}  # a reference dataset's locale code ("de"), not an error


def _codes_in_sources() -> dict[str, str]:
    """code -> the file raising it: class-level `code = "..."`, `code="..."` keyword arguments
    and the positional codes above, in app/, workers/ and adapters/."""
    found: dict[str, str] = {}
    for folder in ("app", "workers", "adapters"):
        for source in (ROOT / folder).rglob("*.py"):
            for code in _codes_in(ast.parse(source.read_text(), str(source))):
                # Ferry's codes are snake_case; an emulated vendor's own ("0x80040203") are not.
                if re.fullmatch(r"[a-z][a-z0-9_]*", code):
                    found.setdefault(code, str(source.relative_to(ROOT)))
    return found


def _codes_in(tree: ast.AST) -> list[str]:
    codes: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            codes += [
                stmt.value.value
                for stmt in node.body
                if isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "code" for t in stmt.targets)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            ]
        elif isinstance(node, ast.Call) and _name(node.func) not in NOT_ERROR_CODES:
            codes += [
                kw.value.value
                for kw in node.keywords
                if kw.arg == "code"
                and isinstance(kw.value, ast.Constant)
                and isinstance(kw.value.value, str)
            ]
            position = POSITIONAL_CODE.get(_name(node.func))
            if position is not None and len(node.args) > position:
                arg = node.args[position]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    codes.append(arg.value)
    return codes


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
