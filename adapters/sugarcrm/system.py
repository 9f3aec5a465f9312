"""Registers SugarCRM as a source.

Every customer has their own instance (`https://acme.sugarondemand.com` or on-premise), so there
is no default base URL: the base URL is the instance root and the API lives under `/rest/v11`.
Sugar logs in with a username and password (OAuth2 password grant, client_id "sugar" unless the
admin made another OAuth key). The platform defaults to "base", the one every instance accepts;
an admin may register one for integrations (Admin > Configure API Platforms) so that the
migration's login does not end the same user's browser session.
"""

from __future__ import annotations

from adapters.core.registry import register_source
from adapters.sugarcrm.emulator import SugarEmulator
from adapters.sugarcrm.spec import SPEC

SUGARCRM = register_source(SPEC, SugarEmulator())
