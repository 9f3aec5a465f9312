"""The Docker set-up, read as files (Docker does not run in the suite): an image that runs as a
user of its own and reports readiness, a compose file that publishes only on the host's
loopback, keeps PostgreSQL and Redis off the host, starts nothing before what it needs is
healthy, keeps PostgreSQL's data in a volume and has no password of its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = re.compile(r"^\$\{[A-Z_]+:\?[^}]+\}$")  # ${NAME:?message}: compose refuses to start


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def instructions(dockerfile: list[str], name: str) -> list[str]:
    return [line[len(name) :].strip() for line in dockerfile if line.split()[0].upper() == name]


def test_the_image_runs_as_a_user_of_its_own(dockerfile: list[str]) -> None:
    users = instructions(dockerfile, "USER")
    assert users and users[-1] not in ("root", "0")


def test_the_image_reports_readiness(dockerfile: list[str]) -> None:
    (healthcheck,) = instructions(dockerfile, "HEALTHCHECK")
    assert "/readyz" in healthcheck


def test_the_image_keeps_its_data_in_one_directory(dockerfile: list[str]) -> None:
    assert any("FERRY_DATA_DIR=/data" in env for env in instructions(dockerfile, "ENV"))


def test_the_image_copies_only_what_exists(dockerfile: list[str]) -> None:
    for copy in instructions(dockerfile, "COPY"):
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_the_build_context_leaves_out_local_state_and_secrets() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for pattern in (".git", ".venv", "var", "**/*.db", "**/secret.key", "**/.env"):
        assert pattern in ignored


def test_only_the_api_is_published_and_only_on_loopback(compose: dict[str, Any]) -> None:
    services = compose["services"]
    published = {name: s.get("ports", []) for name, s in services.items() if s.get("ports")}
    assert set(published) == {"api"}
    for port in published["api"]:
        assert str(port).startswith("127.0.0.1:"), port


def test_services_start_once_what_they_need_is_healthy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "worker"):
        assert services[name]["healthcheck"]["test"], name  # the API's is the image's
    for name in ("api", "worker"):
        needs = services[name]["depends_on"]
        assert {"postgres", "redis"} <= set(needs)
        assert all(need["condition"] == "service_healthy" for need in needs.values())


def test_postgres_keeps_its_data_in_a_volume(compose: dict[str, Any]) -> None:
    mounts = compose["services"]["postgres"]["volumes"]
    volume = next(m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data"))
    assert volume in compose["volumes"]


def test_no_password_has_a_default(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert REQUIRED.match(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    assert REQUIRED.match(services["redis"]["environment"]["REDIS_PASSWORD"])
    env = services["api"]["environment"]
    assert REQUIRED.match(env["FERRY_SECRET_KEY"])
    for url in (env["FERRY_DATABASE_URL"], env["FERRY_REDIS_URL"]):
        password = re.search(r"://[^:]*:(.*)@", url)
        assert password and REQUIRED.match(password.group(1)), url


def test_the_walkthrough_works_from_the_host(compose: dict[str, Any]) -> None:
    """The sandbox is on, its base URLs name the host's published port, and Ferry's own
    processes reach it through the API's name on the compose network."""
    for name in ("api", "worker"):
        env = compose["services"][name]["environment"]
        assert env["FERRY_SANDBOX"] == "true"
        assert env["FERRY_PUBLIC_URL"] == "http://127.0.0.1:8000"
        assert env["FERRY_INTERNAL_URL"] == "http://api:8000"
