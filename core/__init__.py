"""shequ (社区): community-planning GIS for Chinese cities.

The package is laid out as a pipeline: ``shequ.geo`` loads and normalises data (OSM, coordinates,
the walk network, homes, facilities), ``shequ.analyses`` computes (walk access, isochrones,
audits), ``shequ.maps`` draws. ``shequ.workflow`` chains them and ``shequ.cli`` exposes them as
the ``shequ`` command.
"""

__version__ = "0.1.0"
