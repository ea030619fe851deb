"""Maps: draw what the analyses computed, as self-contained HTML pages that work offline.

``build_access_map`` makes the living-circle audit map (homes by walk minutes, facilities,
isochrones, blind spots) and ``write_map`` writes it atomically as one HTML file with Leaflet
inlined, for intranet machines without internet access.
"""

from shequ.maps.access_map import build_access_map, render_html, write_map

__all__ = ["build_access_map", "render_html", "write_map"]
