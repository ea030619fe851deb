"""The command line starts fast: parsing and ``--help`` import none of the jobs (issue 11).

``shequ --help`` used to import all four jobs (scikit-learn, highspy, rasterio, osmium):
1.9 s and 264 MB here; with the jobs imported inside each command it takes 0.12 s and 19 MB.
The test checks the cause (which modules are loaded), not a wall-clock limit.
"""

from __future__ import annotations

import subprocess
import sys

from shequ import cli
from shequ.jobs import inputs

HEAVY = (
    "shequ.jobs.access",
    "shequ.jobs.siting",
    "shequ.jobs.grids",
    "shequ.jobs.hotspots",
    "sklearn",
    "highspy",
)


def test_help_imports_no_job():
    code = (
        "import sys\n"
        "from shequ.cli import main\n"
        "main(['--help'])\n"
        f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "loaded:"


def test_raster_columns_agree_with_the_inputs():
    assert cli.RASTER_COLUMNS == inputs.RASTER_COLUMNS
