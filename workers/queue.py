"""Where jobs go: arq on Redis, or (embedded mode) an in-process runner calling the same jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from arq import Retry, create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus

log = logging.getLogger("ferry.queue")

Job = Callable[..., Awaitable[Any]]


class JobQueue(Protocol):
    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> None: ...

    async def is_waiting(self, job_id: str) -> bool:
        """Whether a job of that id is queued or deferred (in-process: also running)."""
        ...

    async def ping(self) -> None:
        """Raises when the queue cannot take jobs (readiness)."""
        ...

    async def depth(self) -> int:
        """Jobs waiting or deferred (in-process: also running)."""
        ...

    async def close(self) -> None: ...


class ArqQueue:
    def __init__(self, pool: ArqRedis, *, owns_pool: bool = False) -> None:
        self.pool = pool
        self._owns_pool = owns_pool

    @classmethod
    async def connect(cls, redis_url: str) -> ArqQueue:
        return cls(await create_pool(RedisSettings.from_dsn(redis_url)), owns_pool=True)

    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> None:
        # arq drops a job whose id is queued, running or kept as a result: that is the dedupe.
        await self.pool.enqueue_job(name, *args, _job_id=job_id, _defer_by=defer or None)

    async def is_waiting(self, job_id: str) -> bool:
        # A running job is not "waiting": whether it is alive is told by the session's lease.
        status = await ArqJob(job_id, self.pool).status()
        return status in (JobStatus.queued, JobStatus.deferred)

    async def ping(self) -> None:
        await self.pool.ping()

    async def depth(self) -> int:
        return int(await self.pool.zcard(self.pool.default_queue_name))

    async def close(self) -> None:
        if self._owns_pool:
            await self.pool.aclose()


class InProcessQueue:
    """Runs jobs as asyncio tasks in this process, with arq's semantics where they matter:
    one job per id at a time, `Retry(defer=...)` re-runs, `job_try` counts the tries."""

    def __init__(self, jobs: dict[str, Job], *, max_tries: int = 10) -> None:
        self._jobs = jobs
        self._max_tries = max_tries
        self._active: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    async def enqueue(
        self, name: str, *args: Any, job_id: str | None = None, defer: float = 0.0
    ) -> None:
        if job_id is not None:
            if job_id in self._active:
                return
            self._active.add(job_id)
        task = asyncio.create_task(self._run(name, args, job_id, defer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self, name: str, args: tuple[Any, ...], job_id: str | None, defer: float
    ) -> None:
        try:
            for job_try in range(1, self._max_tries + 1):
                if defer > 0:
                    await asyncio.sleep(defer)
                try:
                    await self._jobs[name]({"job_try": job_try, "queue": self}, *args)
                    return
                except Retry as retry:
                    defer = (retry.defer_score or 0) / 1000
                except Exception:
                    log.exception("job %s failed", name)
                    return
            log.warning("job %s gave up after %s tries", name, self._max_tries)
        finally:
            if job_id is not None:
                self._active.discard(job_id)

    async def is_waiting(self, job_id: str) -> bool:
        return job_id in self._active

    async def ping(self) -> None:
        if self._closed:
            raise RuntimeError("the in-process queue is shut down")

    async def depth(self) -> int:
        return len(self._tasks)

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Tests and shutdown: wait for running jobs to end."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
