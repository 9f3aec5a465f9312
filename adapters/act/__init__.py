"""Act! (the Act! Web API) as a source."""
