"""Jobs never change the options they are given (issue 11: ``dataclasses.replace``, not writes).

A caller may run several jobs from one options object (a notebook, a batch); a job that set
``opts.kinds`` or ``opts.osm_facilities`` changed what the next job did.
"""

from __future__ import annotations

import copy
from dataclasses import asdict

from shequ.jobs.grids import GridOptions, compute_grids
from shequ.jobs.siting import SiteOptions, compute_siting
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def test_siting_leaves_its_options_as_given():
    opts = SiteOptions(osm=shared_file(BEIJING), kind="canteen", p=1, curve_max=0)
    before = copy.deepcopy(asdict(opts))
    compute_siting(opts)
    assert asdict(opts) == before  # kinds stays None, not ["canteen"]


def test_grids_leave_their_options_as_given():
    opts = GridOptions(osm=shared_file(BEIJING), time_limit_s=5.0)
    before = copy.deepcopy(asdict(opts))
    compute_grids(opts)
    assert asdict(opts) == before  # osm_facilities stays True


def test_every_jobs_options_are_frozen():
    """The four commands' options cannot be written to at all, not only by the jobs."""
    import dataclasses

    import pytest

    from shequ.jobs.access import AccessOptions
    from shequ.jobs.hotspots import HotspotOptions

    for opts in (
        AccessOptions(osm=shared_file(BEIJING)),
        SiteOptions(osm=shared_file(BEIJING), kind="canteen", p=1),
        GridOptions(osm=shared_file(BEIJING)),
        HotspotOptions(incidents=shared_file("incidents/sacramento_crime_jan2006.csv")),
    ):
        field = dataclasses.fields(opts)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(opts, field, None)
