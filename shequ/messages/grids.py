"""Errors and reasons of management grids (``shequ grids``)."""

MESSAGES: dict[str, tuple[str, str]] = {}
