"""Read a catalog YAML file into a validated `Catalog`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.catalog.model import Catalog
from bot.errors import CatalogError


def load_catalog(path: str | Path) -> Catalog:
    """Load and validate the catalog at `path`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc.strerror}") from exc
    return parse_catalog(text, source=str(path))


def parse_catalog(text: str, *, source: str = "<catalog>") -> Catalog:
    """Validate catalog YAML text; errors name the workload and the field."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or "workloads" not in document:
        raise CatalogError(f"{source} must be a mapping with a 'workloads' list")
    try:
        return Catalog.model_validate(document)
    except ValidationError as exc:
        raise CatalogError(_describe(exc, document, source)) from exc


def _describe(exc: ValidationError, document: dict[str, Any], source: str) -> str:
    """Turn pydantic's error list into lines that name workload and field."""
    workloads = document.get("workloads") or []
    lines = [f"{source} has {exc.error_count()} problem(s):"]
    for error in exc.errors():
        location = list(error["loc"])
        where = "catalog"
        if len(location) >= 2 and location[0] == "workloads":
            index = location[1]
            name = None
            if isinstance(index, int) and index < len(workloads):
                entry = workloads[index]
                name = entry.get("name") if isinstance(entry, dict) else None
            where = f"workload {name!r}" if name else f"workload #{index + 1}"
            location = location[2:]
        field = ".".join(str(part) for part in location) or "(whole entry)"
        lines.append(f"  {where}, field {field}: {error['msg']}")
    return "\n".join(lines)
