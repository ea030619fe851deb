"""A profile is checked against its schema: a bad key is one line naming it, never a traceback.

Each bad profile below is a user file merged onto the default; the error must carry the user's
file, name the dotted key and say the expected form, in one line without pydantic's wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shequ.cli import main
from shequ.errors import InputError
from shequ.geo.blocks import BORDER_CLASSES
from shequ.profile import default_profile_path, load_profile
from shequ.profile_schema import BORDER_CLASSES as SCHEMA_BORDER_CLASSES
from shequ.profile_schema import validate_profile
from tests.conftest import shared_file

SECTIONS = (
    "schema_version, walking, demand, facilities, facility_matching, poi_categories, siting, "
    "grid, risk, completeness"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_profile_validates():
    raw = yaml.safe_load(default_profile_path().read_text(encoding="utf-8"))
    schema = validate_profile(raw)
    assert schema.walking.tiers_min == [5.0, 10.0, 15.0]
    assert schema.risk.permutations.value == 999
    assert schema.siting.kinds["childcare"].capacity_per_site.value is None
    profile = load_profile()
    assert profile.speeds == {"general": 1.0, "elderly": 0.83}
    assert profile.elderly_share == 0.187
    assert len(profile.kinds) == 9


def test_schema_border_classes_are_the_block_borders():
    assert SCHEMA_BORDER_CLASSES == BORDER_CLASSES


BAD = [
    pytest.param(
        "walkng:\n  speed_mps: {general: 1.0}\n",
        f"walkng: unknown key, did you mean walking? (known: {SECTIONS})",
        id="unknown-top-level-key",
    ),
    pytest.param(
        "walking:\n  speed_mps: {genral: 1.1}\n",
        "walking.speed_mps.genral: unknown key, did you mean general? (known: general, elderly)",
        id="unknown-nested-key",
    ),
    pytest.param(
        "walking:\n  tiers_min: fifteen\n",
        "walking.tiers_min: expected a list of increasing minutes > 0, e.g. [5, 10, 15], "
        "got 'fifteen'",
        id="tiers-word",
    ),
    pytest.param(
        "walking:\n  tiers_min: [15, 10]\n",
        "walking.tiers_min: expected a list of increasing minutes > 0, e.g. [5, 10, 15], "
        "got [15, 10]",
        id="tiers-decreasing",
    ),
    pytest.param(
        "walking: 3\n",
        "walking: expected a mapping with keys speed_mps, max_access_m, isochrone_buffer_m, "
        "tiers_min, got 3",
        id="scalar-section",
    ),
    pytest.param(
        "demand:\n  building_types: 5\n",
        "demand.building_types: expected a mapping with keys types, confidence, src, "
        "needs_local_confirmation, got 5",
        id="scalar-subsection",
    ),
    pytest.param(
        "demand:\n  default_levels: {by_building: {house: 2}}\n",
        "demand.default_levels: unknown key (known: persons_per_household,",
        id="old-default-levels-key",
    ),
    pytest.param(
        "demand:\n  name_rules: {rules: [{name_regex: '', type: house, buildings: ['yes']}]}\n",
        "demand.name_rules.rules[0].name_regex: expected a regular expression that does not "
        "match an empty name, got ''",
        id="empty-name-rule",
    ),
    pytest.param(
        "demand:\n  elderly_share: -0.5\n",
        "demand.elderly_share: expected a share from 0 to 1, got -0.5",
        id="negative-share",
    ),
    pytest.param(
        "demand:\n  children_share: 3\n",
        "demand.children_share: expected a share from 0 to 1, got 3",
        id="share-above-one",
    ),
    pytest.param(
        "walking:\n  speed_mps: {general: 0}\n",
        "walking.speed_mps.general: expected a number > 0, got 0",
        id="zero-speed",
    ),
    pytest.param(
        "risk:\n  permutations: lots\n",
        "risk.permutations: expected a whole number ≥ 1, got 'lots'",
        id="permutations-word",
    ),
    pytest.param(
        "risk:\n  permutations: 2.7\n",
        "risk.permutations: expected a whole number ≥ 1, got 2.7",
        id="permutations-fraction",
    ),
    pytest.param(
        "demand:\n  elderly_share: {value: 0.2, sorce: census}\n",
        "demand.elderly_share.sorce: unknown key, did you mean src? "
        "(known: value, confidence, src, needs_local_confirmation)",
        id="unknown-key-in-sourced-value",
    ),
    pytest.param(
        "facilities:\n  canteen:\n    osm: [{amenity: yes}]\n",
        'facilities.canteen.osm[0].amenity: expected a tag value: text, a list of texts or "*" '
        'for any (write "yes"/"no" in quotes), got true',
        id="unquoted-yes-tag",
    ),
    pytest.param(
        "siting:\n  kinds:\n    canten: {demand: elderly}\n",
        "siting.kinds.canten: unknown facility kind, did you mean canteen? (known: canteen,",
        id="unknown-siting-kind",
    ),
    pytest.param(
        "grid:\n  tolerance: 1\n",
        "grid.tolerance: expected a share from 0 to below 1, got 1",
        id="grid-tolerance",
    ),
    pytest.param(
        "walking:\n  speed_mps: {general: -1, elderly: slow}\n",
        "walking.speed_mps.general: expected a number > 0, got -1 (and 1 more)",
        id="two-errors",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_profile_is_one_input_error_naming_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_profile(path)
    error = info.value
    assert error.path == str(path)
    assert error.message.startswith(message)
    assert "\n" not in error.one_line()
    assert "Input should" not in error.message


def test_a_profile_that_is_not_a_mapping_is_refused(tmp_path):
    path = _write(tmp_path, "- walking\n- demand\n")
    with pytest.raises(InputError) as info:
        load_profile(path)
    assert info.value.path == str(path)
    assert info.value.message == (
        "a profile must be a YAML mapping of sections (walking, demand, facilities, "
        "facility_matching, poi_categories, siting, grid, risk, completeness), "
        "got list ['walking', 'demand']"
    )


@pytest.mark.parametrize(
    "text",
    [
        "walking:\n  speed_mps:\n    elderly: 0.8\n",
        "walking:\n  speed_mps:\n    elderly: {value: 0.8, confidence: verified-from-text, "
        "src: local rule}\n",
    ],
    ids=["bare", "with-source"],
)
def test_a_valid_override_loads_and_changes_only_its_value(tmp_path, text):
    path = _write(tmp_path, text)
    profile = load_profile(path)
    default = load_profile()
    assert profile.speeds == {"general": 1.0, "elderly": 0.8}
    assert profile.speed("canteen") == 0.8  # canteen is measured at the elderly speed
    assert profile.source == str(path)
    assert profile.tiers_min == default.tiers_min
    assert profile.kinds == default.kinds


def test_the_cli_reports_a_bad_profile_before_reading_the_osm(capsys, tmp_path, monkeypatch):
    osm = shared_file("osm/beijing_haidian_liudaokou_small.osm")
    bad = _write(tmp_path, "walking:\n  tiers_min: fifteen\n")

    def no_osm(*args, **kwargs):
        raise AssertionError("the OSM file was read before the profile was checked")

    monkeypatch.setattr("shequ.jobs.inputs.read_osm", no_osm)
    monkeypatch.setenv("SHEQU_LANG", "en")
    out = tmp_path / "out"
    args = ["access", "--osm", str(osm), "--profile", str(bad), "--out", str(out), "--quiet"]
    assert main(args) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"error: {bad}: walking.tiers_min: expected a list of increasing minutes > 0, "
        "e.g. [5, 10, 15], got 'fifteen'"
    ]
    assert not out.exists()


def test_grid_and_risk_are_typed_settings(tmp_path):
    """Jobs read ``profile.grid`` / ``profile.risk`` (bare values), never the raw YAML."""
    default = load_profile()
    assert default.grid.households_per_grid == 300.0
    assert default.grid.tolerance == 0.15
    assert default.grid.zones_crossed_by == ("medium", "major", "river", "rail")
    assert default.risk.permutations == 999
    assert default.risk.weights_distance_m is None
    assert default.risk.top_share == {"red": 0.05, "orange": 0.10, "yellow": 0.20}
    path = _write(
        tmp_path,
        "grid:\n  households_per_grid: 250\n  zones_crossed_by: {values: []}\n"
        "risk:\n  permutations: {value: 99, src: quick look}\n  weights_distance_m: 400\n",
    )
    profile = load_profile(path)
    assert profile.grid.households_per_grid == 250.0
    assert profile.grid.zones_crossed_by == ()
    assert profile.grid.tolerance == default.grid.tolerance
    assert profile.risk.permutations == 99
    assert profile.risk.weights_distance_m == 400.0
    assert profile.risk.factor_weights == default.risk.factor_weights


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("grid:\n  households_per_grd: 250\n", "grid.households_per_grd"),
        ("grid:\n  tolerance: lots\n", "grid.tolerance"),
        ("risk:\n  permutations: 9.5\n", "risk.permutations"),
        ("risk:\n  levels: {top_share: {red: 0.5, orange: 0.5, yellow: 0.5}}\n", "risk.levels"),
    ],
)
def test_a_wrong_grid_or_risk_key_is_one_line_naming_it(tmp_path, text, where):
    with pytest.raises(InputError) as info:
        load_profile(_write(tmp_path, text))
    assert info.value.message.startswith(where), info.value.message
    assert "\n" not in info.value.one_line()
