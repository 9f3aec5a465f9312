"""`ferry db upgrade` run by several processes at once on a fresh data directory (what `ferry
serve` and `ferry accounts create` started together do): all succeed, the schema made once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FERRY = Path(sys.executable).with_name("ferry")


def test_concurrent_upgrades_of_a_fresh_embedded_database_all_succeed(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_")}
    env["FERRY_DATA_DIR"] = str(tmp_path / "data")
    runs = [
        subprocess.Popen(
            [str(FERRY), "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    created = subprocess.run(
        [str(FERRY), "accounts", "create", "after"], env=env, capture_output=True, timeout=120
    )
    assert created.returncode == 0, created.stderr.decode()
