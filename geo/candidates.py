"""Candidate sites for new facilities, and the rules that exclude some of them.

Candidates come from three places a planner actually uses: a file of sites they know to be
available (vacant plots, ground-floor rooms, parking, with an optional ``cost`` and
``capacity``), OSM features that could host a facility (parking, vacant land, community
buildings; the profile lists the tags), and evenly spaced points along the walk network when the
question is "where, roughly?". Exclusion rules from the profile (e.g. an e-bike charging shed must
not adjoin a nursery, school, elderly-care home or hospital ward) mark a candidate as excluded
with the reason, naming the feature that excludes it; excluded candidates stay in the output.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.geo.cells import cell_text
from shequ.geo.network import WalkNetwork
from shequ.geo.osm_file import OsmData
from shequ.geo.points_file import PointLayer, no_usable_rows
from shequ.i18n import Note
from shequ.rejects import Rejects

CANDIDATE_COLUMNS = ["name", "origin", "source", "source_ref", "cost", "capacity"]


def _frame(data: dict, geometry, crs: pyproj.CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=crs)


def empty_candidates(crs: pyproj.CRS) -> gpd.GeoDataFrame:
    return _frame({c: [] for c in CANDIDATE_COLUMNS}, gpd.GeoSeries([], crs=crs), crs)


def _number_column(
    frame: pd.DataFrame,
    column: str,
    layer: PointLayer,
    rejects: Rejects,
    bad: np.ndarray,
    reasons: list[Note],
) -> np.ndarray:
    """A numeric column (NaN where blank); text, NaN, infinite and negative values reject the
    row (a cost of ``inf`` would make every budget infeasible, ``nan`` silently free); the
    reasons are added to ``rejects`` and to ``reasons``."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    text, blank = cell_text(frame[column])
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    wrong = ~blank & ~(np.isfinite(values) & (values >= 0))
    rows = frame["row"].to_numpy()
    for i in np.flatnonzero(wrong & ~bad):
        reason = Note("r.candidate_number", column=column, value=text.iat[i][:40])
        rejects.add(layer.source, "candidates", int(rows[i]), None, reason)
        reasons.append(reason)
    bad |= wrong
    return np.where(blank, np.nan, values)


def candidates_from_layer(layer: PointLayer, crs: pyproj.CRS, rejects: Rejects) -> gpd.GeoDataFrame:
    """Candidate sites from a user file; ``name``, ``cost`` (``费用``, ``造价`` …) and
    ``capacity`` (``容量``, ``床位``, ``托位`` …) columns optional.

    Parameters
    ----------
    layer : PointLayer
        The file as read by :func:`~shequ.geo.points_file.read_points_file`.
    crs : pyproj.CRS
        The run's metric CRS.
    rejects : Rejects
        Rows whose cost or capacity is not a number ≥ 0 are added here with the reason.

    Returns
    -------
    GeoDataFrame
        The usable sites (``origin`` ``file``), cost and capacity NaN where not given.

    Raises
    ------
    InputError
        When no row is usable: the user named these sites, and siting without them would
        look like a result.
    """
    frame = layer.frame
    bad = np.zeros(len(frame), dtype=bool)
    reasons: list[Note] = []
    cost = _number_column(frame, "cost", layer, rejects, bad, reasons)
    capacity = _number_column(frame, "capacity", layer, rejects, bad, reasons)
    if bad.all():
        raise no_usable_rows(layer.source, reasons, layer.columns)
    name = frame["name"] if "name" in frame.columns else pd.Series([None] * len(frame))
    keep = ~bad
    return _frame(
        {
            "name": name.to_numpy()[keep],
            "origin": "file",
            "source": layer.source,
            "source_ref": [f"row {r}" for r in frame["row"].to_numpy()[keep]],
            "cost": cost[keep],
            "capacity": capacity[keep],
        },
        frame.geometry.to_crs(crs).to_numpy()[keep],
        crs,
    )


def candidates_from_osm(
    osm: OsmData, crs: pyproj.CRS, alternatives: list[dict]
) -> gpd.GeoDataFrame:
    """OSM features matching any of the tag ``alternatives``, at their representative point."""
    feats = osm.features
    if not alternatives or feats.empty:
        return empty_candidates(crs)
    hit = osm.tag_index.matching(alternatives)
    sub = feats.loc[hit]
    return _frame(
        {
            "name": sub["name"].to_numpy(),
            "origin": "osm",
            "source": osm.source,
            "source_ref": [f"{t}/{i}" for t, i in zip(sub["osm_type"], sub["osm_id"], strict=True)],
            "cost": np.nan,
            "capacity": np.nan,
        },
        sub.geometry.to_crs(crs).representative_point().to_numpy(),
        crs,
    )


def candidates_along_streets(net: WalkNetwork, spacing_m: float) -> gpd.GeoDataFrame:
    """Points every ``spacing_m`` along each street edge (first one half a spacing in)."""
    geoms = net.edge_geoms
    lengths = shapely.length(geoms)
    counts = np.maximum(np.floor(lengths / spacing_m).astype(np.int64), 0)
    counts[(counts == 0) & (lengths >= spacing_m / 2)] = 1
    edge = np.repeat(np.arange(len(geoms)), counts)
    start = np.cumsum(counts) - counts
    k = np.arange(counts.sum()) - np.repeat(start, counts)
    spare = lengths[edge] - counts[edge] * spacing_m
    pos = np.maximum(spare, 0) / 2 + (k + 0.5) * np.minimum(spacing_m, lengths[edge])
    points = shapely.line_interpolate_point(geoms[edge], np.minimum(pos, lengths[edge]))
    return _frame(
        {
            "name": None,
            "origin": "street",
            "source": "network",
            "source_ref": [f"edge {e} at {p:.0f} m" for e, p in zip(edge, pos, strict=True)],
            "cost": np.nan,
            "capacity": np.nan,
        },
        points,
        net.crs,
    )


def combine_candidates(parts: list[gpd.GeoDataFrame], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    """All candidates with a running ``site_id`` (after existing facilities, see the workflow)."""
    parts = [p for p in parts if len(p)]
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs) if parts else None
    return out if out is not None else empty_candidates(crs)


def exclusion_features(
    osm: OsmData,
    crs: pyproj.CRS,
    alternatives: list[dict],
    extra: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Footprints (or points) a candidate must keep away from, each with a readable label."""
    feats = osm.features
    parts = []
    if alternatives and not feats.empty:
        hit = osm.tag_index.matching(alternatives)
        sub = feats.loc[hit].to_crs(crs)
        labels = [
            _label(tags, name, f"{t}/{i}")
            for tags, name, t, i in zip(
                sub["tags"], sub["name"], sub["osm_type"], sub["osm_id"], strict=True
            )
        ]
        parts.append(gpd.GeoDataFrame({"label": labels}, geometry=sub.geometry.values, crs=crs))
    if extra is not None and len(extra):
        labels = [
            f"{k} {n!r} ({ref})" if n else f"{k} ({ref})"
            for k, n, ref in zip(extra["kind"], extra["name"], extra["source_ref"], strict=True)
        ]
        parts.append(
            gpd.GeoDataFrame({"label": labels}, geometry=extra.geometry.values, crs=extra.crs)
        )
    if not parts:
        return gpd.GeoDataFrame({"label": []}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)


def _label(tags: dict, name: object, ref: str) -> str:
    what = next(
        (
            f"{k}={tags[k]}"
            for k in ("amenity", "social_facility", "healthcare", "building")
            if k in tags
        ),
        "feature",
    )
    return f"{what} {name!r} ({ref})" if name else f"{what} ({ref})"


def exclusion_reasons(
    candidates: gpd.GeoDataFrame, features: gpd.GeoDataFrame, within_m: float, rule: str
) -> np.ndarray:
    """Why each candidate is excluded by one rule, naming the feature too close to it.

    Parameters
    ----------
    candidates : GeoDataFrame
        Candidate sites (metric CRS).
    features : GeoDataFrame
        What to keep away from, with a ``label`` (see :func:`exclusion_features`).
    within_m : float
        The rule's distance.
    rule : str
        The rule's name, first in the reason.

    Returns
    -------
    ndarray of object
        Per candidate: None, or the reason as a :class:`~shequ.i18n.Note`, e.g.
        ``"<rule>: 6 m from amenity=kindergarten '…' (way/1)"``.
    """
    reasons = np.full(len(candidates), None, dtype=object)
    if len(candidates) == 0 or len(features) == 0:
        return reasons
    tree = shapely.STRtree(features.geometry.values)
    (ci, fi), dist = tree.query_nearest(
        candidates.geometry.values, max_distance=within_m, return_distance=True, all_matches=False
    )
    labels = features["label"].to_numpy()
    for c, f, d in zip(ci, fi, dist, strict=True):
        reasons[c] = Note("r.excluded_near", rule=rule, d=d, label=labels[f])
    return reasons
