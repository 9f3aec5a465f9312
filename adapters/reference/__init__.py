"""The reference company that seeds every vendor emulator."""

from adapters.reference.dataset import DEFAULT_SIZE, ReferenceCompany, generate

__all__ = ["DEFAULT_SIZE", "ReferenceCompany", "generate"]
