"""shequ (社区): community-planning GIS for Chinese cities.

The package is laid out in layers, each importing only from itself or an earlier one (checked
by ``tests/test_layers.py``): the base modules here (errors, messages, profile, rejects) import
nothing from shequ; ``shequ.geo`` loads and normalises data (OSM, coordinates, the walk network,
homes, facilities); ``shequ.analyses`` computes (walk access, isochrones, siting models, grids,
hotspot statistics); ``shequ.maps`` draws; ``shequ.jobs`` holds one module per command
(``access``, ``siting``, ``grids``, ``hotspots``); ``shequ.cli`` is the ``shequ`` command.
"""

__version__ = "0.1.0"
