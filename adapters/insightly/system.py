"""Registers Insightly as a source.

No default base URL: every customer sits on a pod (`https://api.na1.insightly.com`,
`https://api.eu1.insightly.com`...) named by the "API URL" on their User Settings page, so the
user gives it. The API URL as shown there ends in `/v3.1/`; the source adds the version to its
paths itself, so a pasted API URL is cut back to the host.
"""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.insightly.emulator import InsightlyEmulator
from adapters.insightly.source import SPEC

INSIGHTLY = register_source(SPEC, InsightlyEmulator())
