"""`make bench`: Ferry's throughput at Pipedrive's limits, as one table.

Tokens per record by entity (read off the wire); one session's records/s and share of the burst
window at 0 and 150 ms latency (burst 80 per 2 s, and the default 100 at 0 ms), with its 429s;
ten sessions into one company and fifty across ten companies (their durations' spread); records/s
with the limits lifted; a distributed worker's peak RSS at 10,000 and 100,000 records; extraction
records/s per source.

    python -m bench.migration                        # everything (about 20 minutes)
    python -m bench.migration --quick                # smaller sizes (a few minutes)
    python -m bench.migration --only window,tokens   # some parts
    python -m bench.migration --results bench/RESULTS.md   # also write the table there
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.parts import PARTS, Row, Sizes
from tests import services


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.migration", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--only", default="", help=f"comma-separated parts of {', '.join(PARTS)}")
    parser.add_argument(
        "--memory-records", default="", help="sizes of the memory part, e.g. 10000,100000"
    )
    parser.add_argument("--results", type=Path, help="write the table to this Markdown file")
    return parser.parse_args()


async def _run(parts: list[str], sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    for part in parts:
        started = time.monotonic()
        print(f"== {part}", flush=True)
        try:
            got = await PARTS[part](sizes)
        except Exception as exc:  # noqa: BLE001 - one broken part must not hide the others
            got = [(part, "FAILED", f"{type(exc).__name__}: {str(exc)[:200]}", "")]
        for row in got:
            print(" | ".join(row), flush=True)
        print(f"== {part}: {time.monotonic() - started:.0f} s", flush=True)
        rows += got
    return rows


def table(rows: list[Row]) -> str:
    lines = ["| part | figure | measured | goal |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
         if line.startswith("MemTotal")), "0",
    )  # fmt: skip
    return (
        f"{os.cpu_count()} CPUs ({model}), {int(memory) // 1024 // 1024} GB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def write_results(path: Path, rows: list[Row], command: str, seconds: float) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path.write_text(
        "# Benchmark results\n\n"
        f"`{command}` on {when}, commit {_commit()}, in {seconds / 60:.0f} minutes.\n\n"
        f"Machine: {machine()}.\n\n{table(rows)}\n"
    )


def main() -> None:
    args = _arguments()
    parts = [p for p in args.only.split(",") if p] or list(PARTS)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        sys.exit(f"unknown part(s): {', '.join(unknown)}; parts: {', '.join(PARTS)}")
    services.require_services()
    started = time.monotonic()
    sizes = Sizes.of(args.quick)
    if args.memory_records:
        memory = tuple(int(n) for n in args.memory_records.split(","))
        sizes = dataclasses.replace(sizes, memory=memory)
    rows = asyncio.run(_run(parts, sizes))
    print()
    print(f"Ferry bench ({'quick' if args.quick else 'full'}), {machine()}")
    print(table(rows))
    if args.results:
        command = "python -m bench.migration " + " ".join(sys.argv[1:])
        write_results(args.results, rows, command.strip(), time.monotonic() - started)


if __name__ == "__main__":
    main()
