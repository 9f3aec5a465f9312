from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class SandboxLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    burst: int | None = Field(
        default=None,
        ge=1,
        description="Requests per rate-limit window (Pipedrive: 2 seconds; others: the vendor's window)",
    )
    daily_tokens: int | None = Field(default=None, ge=1, description="Daily token budget")
    admin: bool | None = Field(
        default=None,
        description="Pipedrive: whether the API token is an admin's (default true); a regular "
        "user's token cannot back-date records or sign notes for another user",
    )


Rate = Annotated[float, Field(ge=0.0, le=1.0)]

LATENCY_MAX_MS = 10_000
# A fixed latency in milliseconds, or a range [min, max] each request draws from.
Latency = int | tuple[int, int]
LATENCY_DESCRIPTION = (
    "Latency of every emulated API call of the account, reads and writes, in milliseconds: "
    "a number (e.g. 150) or a range [min, max] each call draws from (e.g. [100, 300]); 0 to "
    f"{LATENCY_MAX_MS:,}. A real vendor answers in 100-300 ms; the emulator otherwise at once."
)


def check_latency(value: object) -> Latency:
    """A clear 422 for what is not a number of milliseconds or a [min, max] range of them."""
    if isinstance(value, bool):
        raise ValueError("latency_ms must be a number of milliseconds or [min, max]")
    if isinstance(value, int | float):
        return _milliseconds(value, "latency_ms")
    if isinstance(value, list | tuple):
        if len(value) != 2 or any(isinstance(v, bool) for v in value):
            raise ValueError("latency_ms as a range is [min, max]: two numbers of milliseconds")
        low = _milliseconds(value[0], "latency_ms min")
        high = _milliseconds(value[1], "latency_ms max")
        if low > high:
            raise ValueError(f"latency_ms range [{low}, {high}]: min is more than max")
        return (low, high)
    raise ValueError("latency_ms must be a number of milliseconds or [min, max]")


def _milliseconds(value: object, what: str) -> int:
    if not isinstance(value, int | float) or value != value or int(value) != value:
        raise ValueError(f"{what} must be a whole number of milliseconds")
    if not 0 <= value <= LATENCY_MAX_MS:
        raise ValueError(f"{what} is {value:g}: it must be between 0 and {LATENCY_MAX_MS:,}")
    return int(value)


def latency_range(latency: Latency) -> tuple[int, int]:
    return latency if isinstance(latency, tuple) else (latency, latency)


# The faults that decide a request's outcome, in the order their shares of the requests are laid
# out: those that never reach the emulator first, then those that act and then fail.
OUTCOME_FAULTS = (
    "rate_limit",
    "drop_before",
    "server_error",
    "drop_after",
    "server_error_after",
    "truncate",
)


class RequestFaults(BaseModel):
    """How one kind of request (reads or writes) of a sandbox account misbehaves. Rates are
    shares of the requests: at most one outcome fault hits a request, so those add up to at
    most 1; `slow` and `latency_ms` come on top of any outcome."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"server_error": 0.05, "drop_after": 0.01, "rate_limit": 0.02, "latency_ms": 40}
            ]
        },
    )

    server_error: Rate = Field(
        default=0.0,
        description="Answer 500, 502 or 503 without calling the emulator (nothing happens)",
        examples=[0.05],
    )
    server_error_after: Rate = Field(
        default=0.0,
        description="Call the emulator (a write takes effect), throw its answer away, answer 500",
        examples=[0.02],
    )
    drop_before: Rate = Field(
        default=0.0,
        description="Drop the connection without calling the emulator (nothing happens)",
        examples=[0.01],
    )
    drop_after: Rate = Field(
        default=0.0,
        description="Call the emulator (a write takes effect), then drop the connection",
        examples=[0.01],
    )
    rate_limit: Rate = Field(
        default=0.0,
        description=(
            "Start a 429 storm: this request and every request of the account (reads and "
            "writes) for `rate_limit_seconds` answer 429 with `Retry-After`, without acting"
        ),
        examples=[0.02],
    )
    rate_limit_seconds: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="How long a 429 storm lasts; `Retry-After` says it in whole seconds",
        examples=[2.0],
    )
    truncate: Rate = Field(
        default=0.0,
        description=(
            "Call the emulator, then answer its status and headers with only the first half "
            "of its body (a complete HTTP response whose JSON is cut short)"
        ),
        examples=[0.01],
    )
    slow: Rate = Field(
        default=0.0,
        description="Share of the requests answered `slow_ms` later than otherwise",
        examples=[0.1],
    )
    slow_ms: int = Field(
        default=300,
        ge=0,
        le=120_000,
        description="Extra latency of a slow request, in milliseconds",
        examples=[1500],
    )
    latency_ms: int = Field(
        default=0,
        ge=0,
        le=120_000,
        description="Fixed latency added to every request, in milliseconds",
        examples=[40],
    )

    @model_validator(mode="after")
    def _outcomes_fit(self) -> RequestFaults:
        total = sum(getattr(self, name) for name in OUTCOME_FAULTS)
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"the outcome rates ({', '.join(OUTCOME_FAULTS)}) are shares of the "
                f"requests and add up to {total:g}, more than 1"
            )
        return self

    def is_quiet(self) -> bool:
        return (
            all(getattr(self, name) == 0 for name in OUTCOME_FAULTS)
            and (self.slow == 0 or self.slow_ms == 0)
            and self.latency_ms == 0
        )


class SandboxFaults(BaseModel):
    """How a sandbox account misbehaves, like real vendor APIs do. Faults apply only to the
    emulated vendor API under the account's `base_url`, never to Ferry's own routes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"latency_ms": [100, 300]},
                {
                    "reads": {"server_error": 0.05, "truncate": 0.01, "latency_ms": 40},
                    "writes": {"server_error_after": 0.02, "drop_after": 0.01, "rate_limit": 0.02},
                    "seed": 7,
                },
                {"reads": {}, "writes": {}, "seed": None},
            ]
        },
    )

    latency_ms: Latency = Field(
        default=0,
        description=LATENCY_DESCRIPTION + " Each side's own `latency_ms` and `slow` come on top.",
        examples=[150, [100, 300]],
    )
    reads: RequestFaults = Field(
        default_factory=RequestFaults, description="Faults of GET and HEAD requests"
    )
    writes: RequestFaults = Field(
        default_factory=RequestFaults, description="Faults of every other method"
    )
    seed: int | None = Field(
        default=None,
        description=(
            "Seeds the account's fault decisions so that a run can be reproduced (the same "
            "requests in the same order meet the same faults); unset: fresh randomness"
        ),
        examples=[7],
    )

    @field_validator("latency_ms", mode="before")
    @classmethod
    def _latency(cls, value: object) -> Latency:
        return check_latency(value)

    def is_quiet(self) -> bool:
        return (
            self.reads.is_quiet()
            and self.writes.is_quiet()
            and latency_range(self.latency_ms)[1] == 0
        )


class SandboxAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(examples=["pipedrive"])
    dataset: Literal["reference", "empty"] = "reference"
    size: int = Field(default=300, ge=1, le=100_000, description="Persons in the reference company")
    limits: SandboxLimits = Field(default_factory=SandboxLimits)
    faults: SandboxFaults = Field(
        default_factory=SandboxFaults,
        description="How the account misbehaves (none by default); change it later with PUT .../faults",
    )
    latency_ms: Latency | None = Field(
        default=None,
        description=LATENCY_DESCRIPTION + " The same as `faults.latency_ms` (give one of the two); "
        "change it later with PUT .../faults.",
        examples=[150, [100, 300]],
    )

    @field_validator("latency_ms", mode="before")
    @classmethod
    def _latency(cls, value: object) -> Latency | None:
        return None if value is None else check_latency(value)

    @model_validator(mode="after")
    def _latency_once(self) -> SandboxAccountCreate:
        if self.latency_ms is None:
            return self
        if latency_range(self.faults.latency_ms)[1] != 0:
            raise ValueError("give latency_ms once: at the top level or in faults, not both")
        self.faults = self.faults.model_copy(update={"latency_ms": self.latency_ms})
        return self


class SandboxAccountOut(BaseModel):
    id: str
    system: str
    dataset: str
    size: int
    base_url: str
    credentials: dict[str, str] | None = Field(
        default=None, description="Shown once, when the sandbox account is created"
    )
    faults: SandboxFaults = Field(
        default_factory=SandboxFaults, description="How the account misbehaves"
    )
    created_at: datetime
