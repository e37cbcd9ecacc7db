"""Schema catalog and validator."""

from xepcodec.validation.catalog import Catalog, SchemaEntry, default_catalog, schema_dir
from xepcodec.validation.validator import Issue, ValidationReport, validate

__all__ = [
    "Catalog",
    "Issue",
    "SchemaEntry",
    "ValidationReport",
    "default_catalog",
    "schema_dir",
    "validate",
]
