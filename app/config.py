"""Settings, read from FERRY_* environment variables. No configuration at all = embedded mode."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The user's data directory (XDG): one place whatever directory a command runs from."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ferry"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FERRY_", extra="ignore")

    database_url: str | None = None  # unset: SQLite file in the data directory
    redis_url: str | None = None  # unset: jobs run in-process
    # Fernet key for credentials at rest; unset: generated once into <data dir>/secret.key.
    secret_key: str | None = None
    # Where embedded mode keeps its SQLite file and generated key (FERRY_DATA_DIR).
    data_dir: Path = Field(default_factory=default_data_dir)
    # Where this service is reachable: sandbox base URLs are built from it.
    public_url: str = "http://127.0.0.1:8000"
    sandbox: bool | None = None  # unset: on in embedded mode, off otherwise
    max_records: int = 100_000
    # Files above this many bytes stay behind (each reported); a session may set its own cap.
    max_file_bytes: int = 50_000_000
    max_body_bytes: int = 1_000_000
    # Writes one session keeps in flight to the target (each still paced by the rate limiter):
    # enough to fill a burst window of 120 requests per 2 s at 250 ms a call.
    max_in_flight: int = Field(default=16, ge=1, le=64)
    # Hosts user-supplied URLs may point at even when private or loopback (comma separated).
    allowed_hosts: list[str] = Field(default_factory=list)
    # How long one job run works on a session before handing over to the queue (fairness).
    chunk_seconds: float = 60.0
    # What one POST /v1/uploads may send, and what a zip in it may unpack to.
    max_upload_bytes: int = Field(default=200_000_000, ge=1)
    # Sessions one `ferry worker` runs at once; past it, they wait in the queue's order.
    worker_max_jobs: int = Field(default=10, ge=1, le=100)
    # Days a finished session keeps its staged rows (raw source records); its progress, errors
    # and ledger links stay. 0: purged at the next hourly purge after it ends.
    retention_days: float = Field(default=30.0, ge=0)
    webhook_timeout: float = 10.0
    webhook_max_tries: int = 8
    webhook_backoff_seconds: float = 5.0  # doubles with each try
    log_level: str = "INFO"
    # Where this service's own processes reach it when FERRY_PUBLIC_URL is not reachable from
    # inside (Docker: the host's 127.0.0.1 is not the API container). Calls to the sandbox at
    # the public origin go here instead; unset: the public URL itself.
    internal_url: str | None = None
    # When set, GET /metrics asks for `Authorization: Bearer <token>`; unset: it is open.
    metrics_token: str | None = None
    # The in-process sandbox's emulator requests in the access log (off: thousands of lines).
    sandbox_access_log: bool = False

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def sandbox_enabled(self) -> bool:
        return self.embedded if self.sandbox is None else self.sandbox

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_file('ferry.db')}"

    def data_file(self, name: str) -> Path:
        """A file in the data directory, which is created on first use (private to the user)."""
        directory = self.data_dir.expanduser().resolve()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return directory / name


@lru_cache
def get_settings() -> Settings:
    return Settings()
