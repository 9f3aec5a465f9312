"""Microsoft Dynamics 365 (Dataverse Web API) as a source."""
