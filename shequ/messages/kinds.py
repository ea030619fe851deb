"""Facility kinds from tags and names, duplicates merged, POI categories (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {}
