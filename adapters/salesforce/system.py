"""Registers Salesforce as a source. Each org has its own My Domain host, so there is no default
base URL; the OAuth token endpoint lives on that same host."""

from __future__ import annotations

from adapters.core.registry import CredentialField, SourceSystem, register_source
from adapters.salesforce.emulator import SalesforceEmulator
from adapters.salesforce.source import SPEC, auth_from

SALESFORCE = register_source(
    SourceSystem(
        id="salesforce",
        name="Salesforce",
        spec=SPEC,
        credential_fields=(
            CredentialField("client_id", "Connected app consumer key", secret=False),
            CredentialField("client_secret", "Connected app consumer secret"),
            CredentialField("refresh_token", "OAuth refresh token"),
        ),
        auth=auth_from,
        # An org with enhanced notes: both classic Notes and ContentNotes (the long ones whole).
        emulator=SalesforceEmulator(enhanced_notes=True),
    )
)
