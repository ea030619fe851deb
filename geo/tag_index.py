"""Tag conditions on OSM features, and an index of who can match them without testing each.

A district's extract holds a quarter of a million tagged features, nearly all of them plain
buildings. Testing every feature against every facility kind's conditions (and the profile's
exclusions) in Python took 43 of the 166 s of ``shequ access`` on the 337k-node mosaic (a
synthetic arrangement of real extracts). Every condition of an alternative is necessary, so
the features holding its most selective (key, value) pair are a superset of its matches: the
exact test then runs on those few. Hand-written because the tags are Python dicts of
arbitrary keys (no columnar library indexes them); one pass builds the index.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def matches_tags(tags: dict[str, str], alternatives: list[dict] | tuple[dict, ...]) -> bool:
    """True when the tags satisfy every condition of at least one alternative."""
    return any(
        all(_tag_ok(tags.get(key), want) for key, want in alternative.items())
        for alternative in alternatives
    )


def _tag_ok(value: str | None, want: object) -> bool:
    if value is None:
        return False
    if want == "*":
        return True
    if isinstance(want, list):
        return value in [str(w) for w in want]
    return value == str(want)


class TagIndex:
    """Positions of the features holding each key and each (key, value) pair.

    Parameters
    ----------
    tags : sequence of dict
        Each feature's tags, in order (kept for the exact test of :meth:`matching`).
    """

    def __init__(self, tags: Sequence[Mapping[str, str]]) -> None:
        self.tags = tags
        by_key: dict[str, list[int]] = defaultdict(list)
        by_pair: dict[tuple[str, str], list[int]] = defaultdict(list)
        name_of: list[int] = []
        names: list[str] = []
        for i, feature in enumerate(tags):
            for key, value in feature.items():
                by_key[key].append(i)
                by_pair[(key, value)].append(i)
                if value and (key == "name" or key.startswith("name:")):
                    name_of.append(i)
                    names.append(value)
        self.n = len(tags)
        self._by_key = {k: np.asarray(v, dtype=np.int64) for k, v in by_key.items()}
        self._by_pair = {k: np.asarray(v, dtype=np.int64) for k, v in by_pair.items()}
        # each distinct name once (a district repeats 1号楼, 幼儿园 …), and who carries it
        self._names, self._name_inverse = (
            np.unique(np.asarray(names, dtype=object), return_inverse=True)
            if names
            else (np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
        )
        self._name_of = np.asarray(name_of, dtype=np.int64)

    def named_matching(self, regex: str | None) -> np.ndarray:
        """Sorted positions of the features with a name (``name``, ``name:*``) in which
        ``regex`` is found (``re.search``); none for no pattern. Each distinct name is searched
        once."""
        if not regex or not len(self._names):
            return np.empty(0, dtype=np.int64)
        pattern = re.compile(regex)
        found = np.fromiter(
            (pattern.search(name) is not None for name in self._names),
            dtype=bool,
            count=len(self._names),
        )
        return np.unique(self._name_of[found[self._name_inverse]])

    def _holding(self, key: str, want: Any) -> np.ndarray:
        """Features whose ``key`` can satisfy ``want`` (``"*"``, a value or a list of values,
        compared as text, as :func:`matches_tags` does)."""
        empty = np.empty(0, dtype=np.int64)
        if want == "*":
            return self._by_key.get(key, empty)
        values = want if isinstance(want, list) else [want]
        found = [self._by_pair.get((key, str(v)), empty) for v in values]
        return np.unique(np.concatenate(found)) if found else empty

    def candidates(self, alternatives: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Sorted positions of the features that may satisfy one of ``alternatives`` (every
        one that does, and a few that fail a second condition)."""
        parts = []
        for alternative in alternatives:
            if not alternative:  # no condition: every feature
                return np.arange(self.n, dtype=np.int64)
            parts.append(min((self._holding(k, w) for k, w in alternative.items()), key=len))
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def matching(self, alternatives: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Boolean mask of the features that satisfy one of ``alternatives``: the exact test
        run on the candidates only."""
        alternatives = list(alternatives)
        mask = np.zeros(self.n, dtype=bool)
        for i in self.candidates(alternatives).tolist():
            mask[i] = matches_tags(self.tags[i], alternatives)
        return mask
