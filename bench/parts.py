"""The parts of `make bench`, each returning rows of the one table: (part, figure, measured,
goal). Every part runs the real stack: an embedded `ferry serve`, or the distributed one (the
API, two `ferry worker` processes, PostgreSQL, Redis) of bench/cluster.py."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench import tokens
from bench.cluster import distributed, tokens_left
from bench.proxy import behind, counting_proxy
from bench.stack import (
    LIFTED,
    Finished,
    embedded,
    finish,
    memory_kb,
    migrate,
    persons_for,
    sandbox,
    start,
)

Row = tuple[str, str, str, str]
WINDOW_SECONDS = 2.0
NO_MERGE = {"merge": False}  # sessions of one company's copies must not merge into each other


@dataclass(frozen=True)
class Sizes:
    tokens: int  # persons
    window: int
    company: int  # persons per session, 10 sessions
    fairness: int  # persons per session, 50 sessions
    lifted: int
    memory: tuple[int, ...]  # records
    extraction: int

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(300, 100, 20, 10, 1_000, (2_000, 10_000), 200)
        return cls(1_000, 300, 60, 30, 10_000, (10_000, 100_000), 1_000)


def _pace(burst: int, latency: int) -> str:
    return f"burst {burst}/2 s, {latency} ms"


# --- tokens per record ----------------------------------------------------------------------


async def tokens_part(sizes: Sizes) -> list[Row]:
    async with embedded("tokens") as ferry:
        upstream = str(ferry.client.base_url).rstrip("/")
        source = await sandbox(ferry.client, size=sizes.tokens)
        target = await sandbox(ferry.client, dataset="empty")
        before = await tokens_left(target)
        async with counting_proxy(upstream) as (origin, wire):
            done = await migrate(ferry.client, source, behind(target, origin, upstream))
        header_spent = before - await tokens_left(target) - 2  # our own users/me read costs 2
        figures = tokens.summary(done, wire.calls, header_spent)
    where = f"{sizes.tokens} persons, {done.records} records ({done.session['status']})"
    goals = {"all v2": "<= 5.05 from 1,000 persons", "notes": "<= 10.05"}
    return [("tokens/record", f"{name} ({where})" if name == "all v2" else name, value,
             goals.get(name, "")) for name, value in figures.items()]  # fmt: skip


# --- one session against the window ---------------------------------------------------------


async def window_part(sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    async with embedded("window") as ferry:
        for burst, latency in ((80, 0), (80, 150), (100, 0)):
            rows += await _one_session(ferry.client, sizes.window, burst, latency)
    return rows


async def _one_session(client: httpx.AsyncClient, size: int, burst: int, latency: int) -> list[Row]:
    upstream = str(client.base_url).rstrip("/")
    source = await sandbox(client, size=size, latency_ms=latency)
    limits = {"burst": burst, "daily_tokens": LIFTED["daily_tokens"]}
    target = await sandbox(client, dataset="empty", limits=limits, latency_ms=latency)
    async with counting_proxy(upstream) as (origin, wire):
        done = await migrate(client, source, behind(target, origin, upstream))
    share = wire.steady_rate() / (burst / WINDOW_SECONDS)
    goal = "95%+" if burst == 100 else "90%+ (36+/s)" if latency else ""
    label = f"1 session, {_pace(burst, latency)}"
    return [
        ("window", f"{label}: records/s end to end", f"{done.records / done.seconds:.1f}", ""),
        ("window", f"{label}: requests/s at steady state, share", _share(wire.steady_rate(), share), goal),
        ("window", f"{label}: 429s (wire / session)", _429s(wire.rate_limited(), [done], wire.lost()), "0"),
    ]  # fmt: skip


def _share(rate: float, share: float) -> str:
    return f"{rate:.1f}/s = {share:.0%}"


def _429s(on_wire: int, sessions: list[Finished], lost: int = 0) -> str:
    # A session's own count of the 429s it met, where the session says it (else n/a).
    said = [s.session.get("rate_limited") for s in sessions]
    counts = [n for n in said if isinstance(n, int)]
    told = str(sum(counts)) if len(counts) == len(said) else "n/a"
    return f"{on_wire} / {told}" + (f" ({lost} lost by the proxy)" if lost else "")


# --- many sessions: one company, and ten companies ------------------------------------------


async def company_part(sizes: Sizes) -> list[Row]:
    """Ten sessions from ten sources into one Pipedrive company, at once, distributed."""
    burst, latency = 80, 150
    async with distributed("bench-company", 14) as (_, client):
        upstream = str(client.base_url).rstrip("/")
        limits = {"burst": burst, "daily_tokens": LIFTED["daily_tokens"]}
        target = await sandbox(client, dataset="empty", limits=limits, latency_ms=latency)
        sources = [await sandbox(client, size=sizes.company, latency_ms=latency) for _ in range(10)]
        async with counting_proxy(upstream) as (origin, wire):
            proxied = behind(target, origin, upstream)
            done = await _all_at_once(client, [(s, proxied) for s in sources])
    records = sum(d.records for d in done)
    seconds = max(d.seconds for d in done)
    share = wire.steady_rate() / (burst / WINDOW_SECONDS)
    label = f"10 sessions into 1 company, {_pace(burst, latency)}"
    return [
        ("company", f"{label}: {_statuses(done)}", f"{records} records in {seconds:.0f} s", ""),
        ("company", f"{label}: records/s together", f"{records / seconds:.1f}", ""),
        ("company", f"{label}: requests/s at steady state, share", _share(wire.steady_rate(), share), "90%+"),
        ("company", f"{label}: 429s (wire / sessions)", _429s(wire.rate_limited(), done, wire.lost()), "0"),
        ("company", f"{label}: durations min / median / max", _spread([d.seconds for d in done]), ""),
    ]  # fmt: skip


async def fairness_part(sizes: Sizes) -> list[Row]:
    """Fifty sessions across ten companies (five each), all started at once, distributed."""
    burst, latency = 80, 150
    async with distributed("bench-fairness", 15) as (_, client):
        limits = {"burst": burst, "daily_tokens": LIFTED["daily_tokens"]}
        pairs = []
        for _ in range(10):
            target = await sandbox(client, dataset="empty", limits=limits, latency_ms=latency)
            for _ in range(5):
                source = await sandbox(client, size=sizes.fairness, latency_ms=latency)
                pairs.append((source, target))
        done = await _all_at_once(client, pairs)
    worst = 0.0
    for company in range(10):
        durations = [d.seconds for d in done[company * 5 : company * 5 + 5]]
        worst = max(worst, max(durations) / statistics.median(durations))
    records = sum(d.records for d in done)
    label = f"50 sessions, 10 companies, {_pace(burst, latency)}"
    return [
        ("fairness", f"{label}: {_statuses(done)}", f"{records} records in {max(d.seconds for d in done):.0f} s", "all complete"),
        ("fairness", f"{label}: durations min / median / max", _spread([d.seconds for d in done]), ""),
        ("fairness", f"{label}: worst session / its company's median", f"{worst:.2f}x", "<= 2x"),
        ("fairness", f"{label}: 429s (sessions)", _429s(0, done).split(" / ")[1], "0"),
    ]  # fmt: skip


async def _all_at_once(
    client: httpx.AsyncClient, pairs: list[tuple[dict[str, Any], dict[str, Any]]]
) -> list[Finished]:
    started = time.monotonic()
    ids = [await start(client, source, target, **NO_MERGE) for source, target in pairs]
    return list(await asyncio.gather(*(finish(client, i, started) for i in ids)))


def _statuses(done: list[Finished]) -> str:
    counts: dict[str, int] = {}
    for d in done:
        counts[d.session["status"]] = counts.get(d.session["status"], 0) + 1
    return ", ".join(f"{n} {s}" for s, n in counts.items())


def _spread(seconds: list[float]) -> str:
    return f"{min(seconds):.0f} / {statistics.median(seconds):.0f} / {max(seconds):.0f} s"


# --- limits lifted --------------------------------------------------------------------------


async def lifted_part(sizes: Sizes) -> list[Row]:
    async with embedded("lifted") as ferry:
        source = await sandbox(ferry.client, size=sizes.lifted)
        target = await sandbox(ferry.client, dataset="empty")
        before = await tokens_left(target)
        done = await migrate(ferry.client, source, target)
        spent = before - await tokens_left(target) - 2
        peak = memory_kb(ferry.api.proc.pid).get("VmHWM", 0)
    label = f"limits lifted, {sizes.lifted} persons, embedded"
    load_seconds = done.seconds - (done.load_started or 0)
    return [
        ("lifted", f"{label}: {done.records} records, {done.session['status']}", f"{done.seconds:.1f} s", ""),
        ("lifted", f"{label}: records/s end to end", f"{done.records / done.seconds:.0f}", "1,000+"),
        ("lifted", f"{label}: records/s while loading", f"{done.records / max(load_seconds, 1e-9):.0f}", ""),
        ("lifted", f"{label}: tokens/record (budget header)", f"{spent / max(done.records, 1):.3f}", ""),
        ("lifted", f"{label}: peak RSS of the process (sandbox included)", f"{peak / 1024:.0f} MB", ""),
    ]  # fmt: skip


# --- memory ---------------------------------------------------------------------------------


async def memory_part(sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    for records in sizes.memory:
        rows += await _memory_at(records)
    return rows


async def _memory_at(records: int) -> list[Row]:
    """A fresh distributed Ferry per size, so that each peak is that size's own; the workers'
    RSS sampled as the session goes shows whether it grows with the records done."""
    persons = persons_for(records)
    async with distributed("bench-memory", 11) as (cluster, client):
        source = await sandbox(client, size=persons)
        target = await sandbox(client, dataset="empty")
        started = time.monotonic()
        session_id = await start(client, source, target)
        samples: list[int] = []
        sampler = asyncio.create_task(_sample_rss(cluster, samples))
        try:
            done = await finish(client, session_id, started)
        finally:
            sampler.cancel()
        workers = [memory_kb(w.proc.pid).get("VmHWM", 0) for w in cluster.workers]
        api_peak = memory_kb(_api_pid(cluster)).get("VmHWM", 0)
    label = f"{done.records} records ({persons} persons), distributed"
    quarters = [samples[len(samples) * q // 4 - 1] for q in (1, 2, 3, 4)] if samples else []
    return [
        ("memory", f"{label}: {done.session['status']} in {done.seconds:.0f} s, records/s", f"{done.records / done.seconds:.0f}", ""),
        ("memory", f"{label}: peak RSS of a worker", f"{max(workers) / 1024:.0f} MB", "< 300 MB, flat"),
        ("memory", f"{label}: busiest worker's RSS at 1/4, 1/2, 3/4, end of the run", " / ".join(f"{kb / 1024:.0f}" for kb in quarters) + " MB", "flat"),
        ("memory", f"{label}: peak RSS of the API (holds the sandbox)", f"{api_peak / 1024:.0f} MB", "apart"),
    ]  # fmt: skip


async def _sample_rss(cluster: Any, samples: list[int]) -> None:
    while True:
        samples.append(max(memory_kb(w.proc.pid).get("VmRSS", 0) for w in cluster.workers))
        await asyncio.sleep(1)


def _api_pid(cluster: Any) -> int:
    return int(cluster.api_pid)


# --- extraction -----------------------------------------------------------------------------


async def extraction_part(sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    async with embedded("extraction") as ferry:
        listed = (await ferry.client.get("/v1/systems")).json()
        systems = [s["id"] for s in listed if "source" in s["roles"] and s["sandbox"]]
        for system in systems:
            rate, extracted = await _extraction(ferry.client, system, sizes.extraction)
            label = f"extraction from {system}, {extracted} records"
            rows.append(("extraction", label, f"{rate:.0f} records/s", ""))
            print(" | ".join(rows[-1]), flush=True)
    return rows


async def _extraction(client: httpx.AsyncClient, system: str, size: int) -> tuple[float, int]:
    """Records read and staged per second: from the session's start until it begins to load,
    then the session is cancelled (loading is measured elsewhere)."""
    source = await sandbox(client, system=system, size=size)
    target = await sandbox(client, dataset="empty")
    started = time.monotonic()
    session_id = await start(client, source, target)
    while True:
        session = (await client.get(f"/v1/sessions/{session_id}")).json()
        if session["phase"] not in (None, "extract") or session["status"] in {
            "failed",
            "cancelled",
        }:
            break
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - started
    extracted = sum(p["extracted"] for e, p in session["progress"].items() if e != "users")
    await client.post(f"/v1/sessions/{session_id}/cancel")
    await finish(client, session_id, started)
    return extracted / seconds, extracted


PARTS = {
    "tokens": tokens_part,
    "window": window_part,
    "company": company_part,
    "fairness": fairness_part,
    "lifted": lifted_part,
    "memory": memory_part,
    "extraction": extraction_part,
}
