"""SugarCRM (REST API v11) as a source: declarative spec, sandbox emulator."""
