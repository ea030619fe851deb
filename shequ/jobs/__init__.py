"""The four commands as jobs: ``access``, ``siting``, ``grids``, ``hotspots``.

Each job reads its inputs (``inputs``), runs the analyses and writes the outputs; jobs are the
last layer before ``shequ.cli``. Nothing in ``geo``, ``analyses`` or ``maps`` imports a job.
"""
