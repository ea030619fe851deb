"""Errors, unserved reasons and solver words of facility siting (``shequ site``)."""

MESSAGES: dict[str, tuple[str, str]] = {}
