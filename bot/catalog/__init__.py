"""The workload catalog: owners, approvers, identities and secrets, kept in git."""

from __future__ import annotations

from bot.catalog.load import load_catalog, parse_catalog
from bot.catalog.model import Catalog, Identity, IdentityKind, Secret, Workload

__all__ = [
    "Catalog",
    "Identity",
    "IdentityKind",
    "Secret",
    "Workload",
    "load_catalog",
    "parse_catalog",
]
