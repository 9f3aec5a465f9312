"""An in-memory Pipedrive (API v2 and the v1 parts Ferry uses) for the sandbox and tests."""

from adapters.pipedrive.emulator.app import PipedriveEmulator
from adapters.pipedrive.emulator.ratelimit import Limits

__all__ = ["Limits", "PipedriveEmulator"]
