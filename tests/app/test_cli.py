"""The `ferry` command as a user runs it: a real subprocess against the real stack (API server,
workers, PostgreSQL, Redis). Exit codes are what scripts branch on; secrets never show."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests import services
from tests.conftest import Stack
from tests.helpers import sandbox

FERRY = str(services.BIN / "ferry")


def ferry(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FERRY, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def api_env(stack: Stack, key: str | None = None, **extra: str) -> dict[str, str]:
    """A shell that knows where the server is and the key, and nothing of the server's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    return {**env, "FERRY_URL": stack.url, "FERRY_API_KEY": key or stack.api_key, **extra}


def output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def created_id(result: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"session (\S+) created", result.stderr)
    assert found, output(result)
    return found.group(1)


def assert_no_secret(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    text = output(result)
    assert "Traceback" not in text, text
    for secret in secrets:
        assert secret not in text


def test_migrate_from_a_sandbox_pair_shows_progress_and_exits_0(stack: Stack) -> None:
    env = api_env(stack)
    made = ferry("sandbox", "create", "hubspot", "--pair", "--size", "10", env=env)
    assert made.returncode == 0, output(made)
    line = shlex.split(made.stdout)  # the ready-to-paste line, run as printed
    assert line[:4] == [FERRY, "migrate", "--from", "hubspot"], made.stdout
    secrets = [line[i + 1].split("=", 1)[1] for i, a in enumerate(line) if a.endswith("-cred")]
    assert len(secrets) == 2

    done = subprocess.run(line, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, output(done)
    assert re.search(r"session \S+ +completed", done.stderr), done.stderr
    assert re.search(r"persons +━+ +10/10 +100%", done.stderr), done.stderr
    assert_no_secret(done, *secrets)


async def test_credentials_from_env_and_file_then_show_list_cancel_and_watch(
    stack: Stack, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    source = await sandbox(client, size=20)
    target = await sandbox(client, dataset="empty", limits={"burst": 5})  # slow: still running
    source_token = source["credentials"]["api_token"]
    target_token = target["credentials"]["api_token"]
    file = tmp_path / "credentials.json"
    file.write_text(json.dumps({"target": {"api_token": target_token}}))
    env = api_env(stack, FERRY_SOURCE_API_TOKEN=source_token)
    started = ferry(
        *("migrate", "--from", "pipedrive", "--to", "pipedrive", "--no-wait"),
        *("--source-url", source["base_url"], "--target-url", target["base_url"]),
        *("--credentials", str(file), "--entities", "organizations,persons"),
        env=env,
    )
    assert started.returncode == 0, output(started)
    session_id = started.stdout.strip()
    assert session_id == created_id(started)

    shown = ferry("sessions", "show", session_id, env=env)
    listed = ferry("sessions", "list", env=env)
    as_json = ferry("sessions", "show", session_id, "--json", env=env)
    cancelled = ferry("sessions", "cancel", session_id, env=env)
    watched = ferry("sessions", "watch", session_id, env=env)

    assert shown.returncode == 0 and session_id in shown.stdout and "persons" in shown.stdout
    assert listed.returncode == 0 and session_id in listed.stdout
    assert json.loads(as_json.stdout)["entities"][-2:] == ["organizations", "persons"]
    assert cancelled.returncode == 0, output(cancelled)
    assert watched.returncode == 4, output(watched)  # 4: cancelled
    assert "cancelled" in watched.stderr
    for result in (started, shown, listed, as_json, cancelled, watched):
        assert_no_secret(result, source_token, target_token)


async def test_a_session_with_failed_records_exits_1_and_lists_them(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=10)
    target = await sandbox(client, dataset="empty")
    env = api_env(stack)
    done = ferry(*_migrate_args(source, target), "--max-file-bytes", "1000000", env=env)
    assert done.returncode == 1, output(done)  # 1: completed_with_errors
    assert "completed_with_errors" in done.stderr
    errors = ferry("sessions", "errors", created_id(done), env=env)
    assert errors.returncode == 0 and "file_too_large" in errors.stdout, output(errors)


async def test_a_failed_session_exits_3_with_its_error(
    stack: Stack, client: httpx.AsyncClient
) -> None:
    source = await sandbox(client, size=750)  # past the stack's FERRY_MAX_RECORDS (3000)
    target = await sandbox(client, dataset="empty")
    done = ferry(*_migrate_args(source, target), env=api_env(stack))
    assert done.returncode == 3, output(done)
    assert "too_many_records" in done.stderr


def _migrate_args(source: dict[str, Any], target: dict[str, Any]) -> list[str]:
    return [
        *("migrate", "--from", source["system"], "--source-url", source["base_url"]),
        *("--to", "pipedrive", "--target-url", target["base_url"]),
        *(f"--source-cred={k}={v}" for k, v in source["credentials"].items()),
        *(f"--target-cred={k}={v}" for k, v in target["credentials"].items()),
    ]


def test_a_bad_key_exits_5_with_the_apis_code_and_message(stack: Stack) -> None:
    result = ferry("sessions", "list", env=api_env(stack, key="fry_not_a_key"))
    assert result.returncode == 5
    assert "invalid_api_key" in result.stderr and "The API key is not valid." in result.stderr
    assert_no_secret(result, "fry_not_a_key")


def test_an_unreachable_server_exits_6(stack: Stack) -> None:
    nowhere = f"http://127.0.0.1:{services.free_port()}"
    result = ferry("sessions", "list", "--url", nowhere, env=api_env(stack))
    assert result.returncode == 6
    assert nowhere in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_exit_2_without_echoing_a_credential(stack: Stack) -> None:
    missing = ferry("migrate", env=api_env(stack))
    assert missing.returncode == 2 and "--from" in missing.stderr
    pasted = ferry(
        "migrate", "--from", "pipedrive", "--source-cred", "s3cr3t-token", env=api_env(stack)
    )
    assert pasted.returncode == 2, output(pasted)
    assert_no_secret(pasted, "s3cr3t-token")


async def test_accounts_keys_and_revoke_key_on_the_local_database(stack: Stack) -> None:
    first = services.create_account(stack.env, "cli-keys")
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        headers = {"authorization": f"Bearer {first}"}
        second = (await http.post("/v1/account/api-keys", headers=headers)).json()["api_key"]
        listed = ferry("accounts", "list", env=stack.env)
        keys = ferry("accounts", "keys", "cli-keys", env=stack.env)
        assert listed.returncode == 0 and re.search(r"cli-keys +\S+ +2\b", listed.stdout)
        assert keys.returncode == 0, output(keys)
        ids = {
            prefix: key_id
            for key_id, prefix in re.findall(r"(\S+) +(fry_\S{4})\.\.\.", keys.stdout)
        }
        assert set(ids) == {first[:8], second[:8]}
        assert first not in keys.stdout and second not in keys.stdout

        revoked = ferry("accounts", "revoke-key", ids[second[:8]], env=stack.env)
        assert revoked.returncode == 0, output(revoked)
        refused = await http.get("/v1/account", headers={"authorization": f"Bearer {second}"})
        assert refused.status_code == 401

        last = ferry("accounts", "revoke-key", ids[first[:8]], env=stack.env)
        assert last.returncode == 5 and "last_api_key" in last.stderr, output(last)
        assert (await http.get("/v1/account", headers=headers)).status_code == 200
