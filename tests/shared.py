"""Where the shared research and official specs are: `../shared` beside the project root."""

from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SPECS = SHARED / "specs"
