"""Errors and reasons of risk hotspots (``shequ hotspots``)."""

MESSAGES: dict[str, tuple[str, str]] = {}
