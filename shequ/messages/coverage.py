"""What is missing where a number is shown: no facilities, no homes (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {}
