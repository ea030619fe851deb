"""Errors and reject reasons of the readers (``geo/``): files, rows, columns, coordinates, OSM."""

MESSAGES: dict[str, tuple[str, str]] = {}
