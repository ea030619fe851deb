"""The tag index finds every feature a kind's conditions match, on every real extract.

``facilities_from_osm`` tests only the features the index names (:mod:`shequ.geo.tag_index`);
here the result is compared with :func:`match_kind` run on every feature for every kind of the
default profile (the test of each feature one by one, as before the index), and the index's
candidates with a brute-force scan of the tags, on each shared extract.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from shequ.geo.facilities import _classify, exclusion, match_kind, matches_tags
from shequ.geo.osm_file import read_osm
from shequ.geo.tag_index import TagIndex
from shequ.profile import load_profile
from tests.conftest import OSM_EXTRACTS, shared_file


@pytest.fixture(scope="module", params=OSM_EXTRACTS, ids=lambda p: Path(p).name.split(".")[0])
def tags(request):
    frame = read_osm(shared_file(request.param)).features
    return frame["tags"].to_numpy(dtype=object)


def test_classify_equals_match_kind_on_every_feature(tags):
    index = TagIndex(tags)
    matched = 0
    for kind in load_profile().kinds.values():
        why, reasons = _classify(
            tags, kind, index, lambda i, k=kind: exclusion(tags[i], k.matching)
        )
        want = np.array([match_kind(t, kind) or "" for t in tags], dtype=object)
        assert (why == want).all(), kind.id
        for i, reason in reasons.items():
            assert want[i] == "" and reason is not None
        matched += int((want != "").sum())
    # the roads-only extracts (Shanghai, Taipei) hold named features but no facility
    assert matched > 0 or not any("building" in t for t in tags)


def test_candidates_hold_every_match(tags):
    index = TagIndex(tags)
    conditions = [kind.osm for kind in load_profile().kinds.values()]
    conditions += [({"building": "*"},), ({"amenity": ["school", "kindergarten"]},), ({},)]
    for alternatives in conditions:
        hits = {i for i, t in enumerate(tags) if matches_tags(t, alternatives)}
        assert hits <= set(index.candidates(alternatives).tolist())
        assert np.flatnonzero(index.matching(alternatives)).tolist() == sorted(hits)
    named = {
        i
        for i, t in enumerate(tags)
        if any(v and (k == "name" or k.startswith("name:")) for k, v in t.items())
    }
    assert set(index.named_matching(r"[\s\S]").tolist()) == named  # any non-empty name


def test_an_empty_condition_matches_everything_and_no_condition_nothing():
    index = TagIndex([{"a": "1"}, {}, {"b": "2"}])
    assert index.candidates([{}]).tolist() == [0, 1, 2]
    assert index.candidates([]).tolist() == []
    assert index.candidates([{"a": "*", "b": "2"}]).tolist() in ([0], [2])
    assert index.candidates([{"a": 1}]).tolist() == [0]  # compared as text


def test_named_matching_finds_every_name_the_pattern_finds(tags):
    index = TagIndex(tags)
    for kind in load_profile().kinds.values():
        if not kind.name_regex:
            continue
        want = [
            i
            for i, t in enumerate(tags)
            if any(
                re.search(kind.name_regex, v)
                for k, v in t.items()
                if v and (k == "name" or k.startswith("name:"))
            )
        ]
        assert index.named_matching(kind.name_regex).tolist() == want, kind.id
    assert index.named_matching(None).tolist() == []
