"""Coordinate-shift and street-island checks (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {}
