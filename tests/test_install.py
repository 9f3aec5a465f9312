"""Ferry installed as a package (not editable, as the Docker image installs it) upgrades its
database and serves, run from a directory that holds no checkout.

The package is installed from a copy of the repository's files into a fresh virtual
environment; its dependencies come from the project's own .venv (a .pth line), so nothing is
downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import services
from tests.helpers import TERMINAL

ROOT = services.ROOT


@dataclass
class Installed:
    bin: Path  # the fresh venv's bin/
    home: Path  # where its commands run: no checkout, no var/
    env: dict[str, str]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("install")
    source = copy_repository(work / "source")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_path('purelib'))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies, already installed here: a plain path, so the .pth files there (this
    # checkout's editable install among them) are not run and `app` comes from the venv only.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # What a non-editable install does: the packages and their package data copied into the
    # venv's site-packages, the `ferry` script made. (pip would need the `wheel` package to
    # build with this setuptools; the locked dependencies do not carry it. The image's pip
    # builds in isolation and fetches what it needs.)
    subprocess.run(
        [str(venv / "bin" / "python"), "-c", "from setuptools import setup; setup()", "--quiet"]
        + ["install", "--single-version-externally-managed", "--root=/"],
        check=True,
        cwd=source,
        capture_output=True,
    )
    shutil.rmtree(source)  # what runs below cannot lean on the sources
    home = work / "home"
    data = home / "data"
    data.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    env.update(
        HOME=str(home),
        FERRY_DATA_DIR=str(data),
        FERRY_DATABASE_URL=f"sqlite+aiosqlite:///{data / 'installed.db'}",
        FERRY_METRICS_TOKEN="metrics-token-for-the-test",
    )
    yield Installed(bin=venv / "bin", home=home, env=env)


def copy_repository(target: Path) -> Path:
    """The files a clean clone has (those git tracks, and new ones it does not ignore)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        path = ROOT / name
        if path.is_file():  # listed but deleted in this working tree: not part of it
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / name)
    return target


def run(installed: Installed, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.bin / "ferry"), *args],
        env=installed.env,
        cwd=installed.home,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_is_the_one_that_runs(installed: Installed) -> None:
    where = subprocess.run(
        [str(installed.bin / "python"), "-c", "import app; print(app.__file__)"],
        env=installed.env,
        cwd=installed.home,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(installed.bin.parent)), where


def test_installed_ferry_upgrades_its_database_and_serves(installed: Installed) -> None:
    upgrade = run(installed, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert (installed.home / "data" / "installed.db").exists()

    port = services.free_port()
    api = services.Process(
        [str(installed.bin / "ferry"), "serve", "--port", str(port)],
        installed.env,
        installed.home / "serve.log",
        cwd=installed.home,
    )
    try:
        services.wait_until(
            lambda: services._healthy(port), timeout=60, what="installed API", proc=api
        )
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            ready = http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ready", "checks": {"database": "ok", "queue": "ok"}}
            docs = http.get("/docs")
            assert docs.status_code == 200
            assert "swagger" in docs.text.lower()
            # FERRY_METRICS_TOKEN is set: a scrape without it is refused, with it answered.
            refused = http.get("/metrics")
            assert refused.status_code == 401
            assert refused.json()["error"]["code"] == "invalid_metrics_token"
            migrate_from_the_sandbox(installed, http)
            token = {"authorization": "Bearer metrics-token-for-the-test"}
            metrics = http.get("/metrics", headers=token)
            assert metrics.status_code == 200
            # Embedded mode: the calls were counted in this one process.
            assert 'ferry_sessions{status="completed"} 1.0' in metrics.text
            assert 'ferry_vendor_calls_total{status="200",system="pipedrive"}' in metrics.text
    finally:
        api.stop()
    assert not (installed.home / "var").exists()  # everything went to FERRY_DATA_DIR


def migrate_from_the_sandbox(installed: Installed, http: httpx.Client) -> None:
    """A small sandbox migration with a key from the installed `ferry accounts create`."""
    created = run(installed, "accounts", "create", "acme")
    assert created.returncode == 0, created.stderr
    http.headers["authorization"] = f"Bearer {created.stdout.strip().splitlines()[-1]}"
    accounts = []
    for dataset in ("reference", "empty"):
        body = {"system": "pipedrive", "dataset": dataset, "size": 5, "limits": {"burst": 480}}
        account = http.post("/sandbox/accounts", json=body)
        assert account.status_code == 201, account.text
        accounts.append({k: account.json()[k] for k in ("system", "credentials", "base_url")})
    session = http.post("/v1/sessions", json={"source": accounts[0], "target": accounts[1]})
    assert session.status_code == 201, session.text
    path = f"/v1/sessions/{session.json()['id']}"
    services.wait_until(
        lambda: http.get(path).json()["status"] in TERMINAL, timeout=60, what="the session's end"
    )
    assert http.get(path).json()["status"] == "completed"
    del http.headers["authorization"]
