"""HubSpot (CRM API v3) as a source: a declarative spec, its sandbox emulator and registration."""
