"""Maps: draw what the analyses computed, as self-contained HTML pages that work offline.

``build_access_map`` makes the living-circle audit map (homes by walk minutes, facilities,
isochrones, blind spots) and ``write_map`` writes it atomically as one HTML file with Leaflet
inlined, for intranet machines without internet access. ``build_siting_map`` makes the
facility siting map (existing and proposed sites, service areas, homes newly covered and still
unserved, the coverage curve), written the same way. ``build_grid_map`` makes the
management-grid map (grids by households against the target, labels, borders, metrics, moved
units) with the drawing tool whose exported GeoJSON ``shequ grids --edits`` applies.
``build_hotspot_map`` makes the risk-hotspot map (H3 cells by warning level, Gi* bins, kernel
density, emerging trends, the grid roll-up, each cell's factor breakdown).
"""

from shequ.maps.access_map import build_access_map, render_html, write_map
from shequ.maps.grid_map import build_grid_map
from shequ.maps.hotspot_map import build_hotspot_map
from shequ.maps.siting_map import build_siting_map

__all__ = [
    "build_access_map",
    "build_grid_map",
    "build_hotspot_map",
    "build_siting_map",
    "render_html",
    "write_map",
]
