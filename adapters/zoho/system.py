"""Registers Zoho CRM as a source.

Zoho runs one API host and one accounts server per data centre (zohoapis.com / accounts.zoho.com,
.eu, .in, .com.au, .jp, .ca). The base URL is the API host (the token answer's `api_domain`); the
accounts server is its own, non-secret credential field, defaulting to the US one.
"""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.zoho.emulator import ZohoEmulator
from adapters.zoho.spec import SPEC

ZOHO = register_source(SPEC, ZohoEmulator())
