"""Registers Microsoft Dynamics 365 (Dataverse) as a source.

Each customer has their own org URL (https://{org}.crm.dynamics.com), so there is no default base
URL. The app signs in to Microsoft Entra ID with the client-credentials grant; the authority is its
own, non-secret credential field (default https://login.microsoftonline.com) so that the sandbox
can serve the token endpoint itself.
"""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.dynamics365.emulator import DynamicsEmulator
from adapters.dynamics365.source import SPEC

DYNAMICS = register_source(SPEC, DynamicsEmulator())
