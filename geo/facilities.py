"""Facilities of each kind, from OSM tags (profile filters) and from user files.

A profile kind lists OSM tag alternatives and a name pattern (many Chinese facilities are mapped
only by name: 社区食堂, 托育中心). A feature matching several kinds counts for each of them, as
one building often houses a service station and a day-care centre.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from shequ.errors import InputError
from shequ.geo.cells import cell_text
from shequ.geo.column_names import accepted
from shequ.geo.osm_file import OsmData
from shequ.geo.points_file import PointLayer, describe_columns, no_usable_rows
from shequ.i18n import Note
from shequ.profile import FacilityKind, Profile
from shequ.rejects import Rejects

#: ``input_row`` is the 1-based data row of a facility read from a user file (missing for OSM)
FACILITY_COLUMNS = ["facility_id", "kind", "name", "source", "source_ref", "input_row"]


def matches_tags(tags: dict[str, str], alternatives: list[dict] | tuple[dict, ...]) -> bool:
    """True when the tags satisfy every condition of at least one alternative."""
    return any(
        all(_tag_ok(tags.get(key), want) for key, want in alternative.items())
        for alternative in alternatives
    )


def matches_kind(tags: dict[str, str], kind: FacilityKind) -> bool:
    """True when the tags satisfy one of the kind's OSM alternatives or its name pattern."""
    if matches_tags(tags, kind.osm):
        return True
    if kind.name_regex:
        name = " ".join(v for k, v in tags.items() if k == "name" or k.startswith("name:"))
        if name and re.search(kind.name_regex, name):
            return True
    return False


def _tag_ok(value: str | None, want: object) -> bool:
    if value is None:
        return False
    if want == "*":
        return True
    if isinstance(want, list):
        return value in [str(w) for w in want]
    return value == str(want)


def facilities_from_osm(
    osm: OsmData, crs: pyproj.CRS, kinds: list[FacilityKind]
) -> gpd.GeoDataFrame:
    """One row per (feature, kind) match, located at the feature's representative point."""
    feats = osm.features
    rows = []
    for kind in kinds:
        hit = feats["tags"].map(lambda t, k=kind: matches_kind(t, k)).to_numpy(dtype=bool)
        if hit.any():
            sub = feats.loc[hit]
            rows.append(
                gpd.GeoDataFrame(
                    {
                        "kind": kind.id,
                        "name": sub["name"].to_numpy(),
                        "source": "osm",
                        "source_ref": [
                            f"{t}/{i}" for t, i in zip(sub["osm_type"], sub["osm_id"], strict=True)
                        ],
                        "input_row": pd.array([pd.NA] * len(sub), dtype="Int64"),
                    },
                    geometry=sub.geometry.to_crs(crs).representative_point().to_numpy(),
                    crs=crs,
                )
            )
    return _concat(rows, crs)


def facilities_from_layer(
    layer: PointLayer,
    crs: pyproj.CRS,
    profile: Profile,
    rejects: Rejects,
    *,
    kind: str | None,
) -> gpd.GeoDataFrame:
    """Facilities from a user file: ``--kind`` for the whole file, else a ``kind`` column
    (``类型``, ``类别`` … see :mod:`shequ.geo.column_names`).

    A row of an unknown kind, or with no kind (an empty or NULL cell), is rejected with the
    reason and the facility's name; a file with no kind column and no ``--kind``, or none of
    whose rows has a known kind, is an :class:`InputError`: the user asked for these
    facilities, and an audit without them would look like a finding. Each facility keeps its
    data row in ``input_row``.

    Parameters
    ----------
    layer : PointLayer
        The file as read by :func:`~shequ.geo.points_file.read_points_file`.
    crs : pyproj.CRS
        The run's metric CRS.
    profile : Profile
        Its kinds are the ones accepted.
    rejects : Rejects
        Rows of an unknown or empty kind are added here with the reason.
    kind : str or None
        ``--kind``: the kind of every row (None: read the file's kind column).

    Returns
    -------
    GeoDataFrame
        ``kind``, ``name``, ``source``, ``source_ref``, ``input_row`` and the point in ``crs``.

    Raises
    ------
    InputError
        When ``kind`` is unknown, the file has no kind column and no ``kind`` is given, or no
        row has a known kind (the message lists the kinds known).
    """
    frame = layer.frame
    blank = np.zeros(len(frame), dtype=bool)
    if kind is not None:
        profile.kind(kind)  # raises for an unknown kind
        kinds = pd.Series([kind] * len(frame))
    elif "kind" in frame.columns:
        kinds, blank = cell_text(frame["kind"])
    else:
        message = Note(
            "e.facilities_no_kind",
            accepted=accepted("kind"),
            kinds=", ".join(profile.kinds),
            columns=describe_columns(layer.columns),
        )
        raise InputError(message, path=layer.source)
    known = kinds.isin(list(profile.kinds)).to_numpy()
    reasons = [
        Note("r.kind_empty") if blank[i] else Note("r.kind_unknown", kind=kinds.iloc[i][:40])
        for i in np.flatnonzero(~known)
    ]
    rows = frame["row"].to_numpy()
    name = frame["name"] if "name" in frame.columns else pd.Series([None] * len(frame))
    names = name.to_numpy()
    for i, reason in zip(np.flatnonzero(~known), reasons, strict=True):
        rejects.add(layer.source, "facilities", int(rows[i]), names[i], reason)
    if not known.any():
        hint = Note("in.known_kinds", kinds=", ".join(profile.kinds))
        raise no_usable_rows(layer.source, reasons, layer.columns, hint)
    out = gpd.GeoDataFrame(
        {
            "kind": kinds.to_numpy()[known],
            "name": names[known],
            "source": layer.source,
            "source_ref": [f"row {r}" for r in rows[known]],
            "input_row": pd.array(rows[known], dtype="Int64"),
        },
        geometry=frame.geometry.to_crs(crs).to_numpy()[known],
        crs=crs,
    )
    return out


def _concat(parts: list[gpd.GeoDataFrame], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    if not parts:
        return gpd.GeoDataFrame(
            {c: [] for c in FACILITY_COLUMNS[1:]}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)


def combine_facilities(parts: list[gpd.GeoDataFrame], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """All facilities in one frame with a running ``facility_id``."""
    out = _concat([p for p in parts if len(p)], crs)
    out.insert(0, "facility_id", np.arange(len(out), dtype=np.int64))
    return out
