"""Infor CRM (Saleslogix) as a source, over SData."""
