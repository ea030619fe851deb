"""Population rasters spread over homes (issue 12)."""

MESSAGES: dict[str, tuple[str, str]] = {}
