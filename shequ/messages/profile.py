"""Errors of the profile (``--profile``), the output folder and the machine's limits."""

MESSAGES: dict[str, tuple[str, str]] = {}
