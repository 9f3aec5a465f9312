"""Any system's CSV export as a source (uploaded files: see app/uploads)."""
