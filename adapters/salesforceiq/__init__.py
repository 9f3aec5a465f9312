"""SalesforceIQ (RelateIQ) as a source."""
