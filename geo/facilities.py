"""Facilities of each kind, from OSM tags (profile filters) and from user files.

Tags decide a kind. A profile kind also has a name pattern (many Chinese facilities are mapped
only by name: 社区食堂, 托育中心), but a name only adds a feature whose primary tags do not
contradict the kind: ``amenity=parking`` named 原幼儿园停车场 is a car park, not a kindergarten.
Nothing tagged or named as a car park, a building site, a planned, former or closed place is a
facility (the profile's ``facility_matching`` rules). The same place mapped twice (a node inside
the area, or one name twice within ``merge_within_m``) counts once, and the kept facility says
what it absorbed. A feature matching several kinds counts for each, as one building often
houses a service station and a day-care centre.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from shequ.errors import InputError
from shequ.geo.cells import cell_text
from shequ.geo.column_names import accepted
from shequ.geo.osm_file import OsmData
from shequ.geo.points_file import EXPORT_NAMES, PointLayer, describe_columns, no_usable_rows
from shequ.geo.tag_index import TagIndex, matches_tags
from shequ.i18n import Bilingual, Note
from shequ.profile import FacilityKind, FacilityMatching, Profile
from shequ.rejects import Rejects

#: ``input_row`` is the 1-based data row of a facility read from a user file (missing for OSM);
#: ``matched_by`` says why a feature is of its kind (``tag``, ``name``; ``file`` for user rows);
#: ``duplicates`` counts the features merged into it and ``merged_refs`` lists their OSM refs
FACILITY_COLUMNS = [
    "facility_id",
    "kind",
    "name",
    "source",
    "source_ref",
    "input_row",
    "matched_by",
    "duplicates",
    "merged_refs",
]
#: How many merged or refused features a note names as examples
EXAMPLES = 3


_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")


def _names(tags: dict[str, str]) -> list[str]:
    """The feature's names as mapped (``name`` and ``name:*``; not ``old_name``)."""
    return [v for k, v in tags.items() if (k == "name" or k.startswith("name:")) and v]


def _name_hit(tags: dict[str, str], regex: str | None) -> bool:
    return bool(regex) and any(re.search(regex, name) for name in _names(tags))


def exclusion(tags: dict[str, str], rules: FacilityMatching | None) -> Note | None:
    """Why a feature is never a facility (parking, construction, planned, former, closed), or
    None. Checked whether the tags or the name matched a kind."""
    if rules is None:
        return None
    for alternative in rules.exclude_tags:
        if matches_tags(tags, [alternative]):
            tag = ", ".join(f"{k}={tags[k]}" for k in alternative)
            return Note("kinds.why_excluded_tag", tag=tag)
    for key, value in tags.items():
        if key.startswith(rules.exclude_tag_prefixes):
            return Note("kinds.why_excluded_tag", tag=f"{key}={value}")
    return _name_excluded(tags, rules.exclude_name_regex)


def _name_excluded(tags: dict[str, str], regex: str | None) -> Note | None:
    """The word of ``regex`` found in a name, parenthesised parts left out: 幼儿园(原…小学)
    names the site it replaced, not this one."""
    if not regex:
        return None
    for name in _names(tags):
        found = re.search(regex, _PARENTHESISED.sub("", name))
        if found:
            return Note("kinds.why_excluded_name", word=found.group(0))
    return None


def _allowed(values: Any) -> set[str] | None:
    """Tag values as a set of text; None stands for any value (``"*"``)."""
    items = values if isinstance(values, list | tuple) else [values]
    return None if "*" in items else {str(v) for v in items}


def contradiction(tags: dict[str, str], kind: FacilityKind) -> Note | None:
    """The primary tag that says a name-matched feature is something else, or None.

    Each primary key (``facility_matching.primary_keys``) the feature has must hold a value of
    the kind's own ``osm`` conditions, of its ``name_allows``, or of the neutral tags:
    ``amenity=school`` named 小学 is a primary school; ``office=yes`` named 五老村小学旧教学楼
    is not.
    """
    rules = kind.matching
    if rules is None:
        return None
    named_otherwise = _name_excluded(tags, rules.exclude_name_only_regex)
    if named_otherwise is not None:
        return named_otherwise
    for key in rules.primary_keys:
        value = tags.get(key)
        if value is None:
            continue
        sources = [alt[key] for alt in kind.osm if key in alt]
        sources += [d[key] for d in (kind.name_allows, rules.neutral_tags) if key in d]
        allowed = [_allowed(v) for v in sources]
        if not any(a is None or value in a for a in allowed):
            return Note("kinds.why_contradicts", tag=f"{key}={value}", kind=kind_name(kind))
    return None


def match_kind(tags: dict[str, str], kind: FacilityKind) -> str | None:
    """Why the tags make a feature of ``kind``: ``"tag"``, ``"name"``, or None.

    A feature the profile excludes (see :func:`exclusion`) is none; the tags decide; the name
    pattern adds a feature only when no primary tag contradicts the kind.
    """
    if exclusion(tags, kind.matching) is not None:
        return None
    if matches_tags(tags, kind.osm):
        return "tag"
    if _name_hit(tags, kind.name_regex) and contradiction(tags, kind) is None:
        return "name"
    return None


def matches_kind(tags: dict[str, str], kind: FacilityKind) -> bool:
    """True when the tags make a feature of ``kind`` (see :func:`match_kind`)."""
    return match_kind(tags, kind) is not None


def facilities_from_osm(
    osm: OsmData,
    crs: pyproj.CRS,
    kinds: list[FacilityKind],
    notes: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """One row per (place, kind) match, located at the feature's representative point.

    Parameters
    ----------
    osm : OsmData
        The extract's tagged nodes and areas.
    crs : pyproj.CRS
        The run's metric CRS.
    kinds : list of FacilityKind
        The kinds looked for; their ``matching`` rules (the profile's) exclude and merge.
    notes : list, optional
        Receives a note on the features merged as one place and one on the features whose
        tags or name match a kind but that are refused, each with examples (none when
        nothing was).

    Returns
    -------
    GeoDataFrame
        ``kind``, ``name``, ``source`` (``osm``), ``source_ref`` (``way/123``), ``input_row``
        (missing), ``matched_by`` (``tag``/``name``), ``duplicates`` and ``merged_refs`` (the
        features merged into the row), and the point in ``crs``.
    """
    feats = osm.features
    geoms = feats.geometry.to_crs(crs).to_numpy() if len(feats) else np.array([], dtype=object)
    refs = np.array([f"{t}/{i}" for t, i in zip(feats["osm_type"], feats["osm_id"], strict=True)])
    index = osm.tag_index
    tags = index.tags
    excluded_by: dict[int, dict[int, Note | None]] = {}  # each rule set's exclusions, as found
    rows, merged, refused, counted = [], [], {}, set()
    for kind in kinds:
        rules = kind.matching
        found = excluded_by.setdefault(id(rules), {})

        def excluded(i: int, rules=rules, found=found) -> Note | None:
            if i not in found:
                found[i] = exclusion(tags[i], rules)
            return found[i]

        why, reasons = _classify(tags, kind, index, excluded)
        for i, reason in reasons.items():
            refused.setdefault(refs[i], (feats["name"].iat[i], reason))
        hit = np.flatnonzero(why != "")
        counted.update(refs[hit])
        if not len(hit):
            continue
        keep, absorbed = merge_same_place(
            geoms[hit],
            feats["name"].to_numpy(dtype=object)[hit],
            why[hit] == "tag",
            kind.matching.merge_within_m if kind.matching is not None else None,
        )
        idx = hit[keep]
        merged_refs = ["; ".join(refs[hit[j]] for j in group) for group in absorbed]
        merged += [
            (refs[i], feats["name"].iat[i], kind.id, text, len(group))
            for i, text, group in zip(idx, merged_refs, absorbed, strict=True)
            if group
        ]
        rows.append(
            gpd.GeoDataFrame(
                {
                    "kind": kind.id,
                    "name": feats["name"].to_numpy()[idx],
                    "source": "osm",
                    "source_ref": refs[idx],
                    "input_row": pd.array([pd.NA] * len(idx), dtype="Int64"),
                    "matched_by": why[idx].astype(str),
                    "duplicates": np.array([len(g) for g in absorbed], dtype=np.int64),
                    "merged_refs": merged_refs,
                },
                geometry=shapely.point_on_surface(geoms[idx]),
                crs=crs,
            )
        )
    if notes is not None:  # a feature refused as one kind but counted as another is counted
        refused = {ref: why for ref, why in refused.items() if ref not in counted}
        notes += _report(merged, refused, kinds)
    return _concat(rows, crs)


def _classify(
    tags: np.ndarray, kind: FacilityKind, index: TagIndex, excluded: Callable[[int], Note | None]
) -> tuple[np.ndarray, dict[int, Note]]:
    """:func:`match_kind` for every feature: ``"tag"``, ``"name"`` or ``""`` per feature, and
    why each feature whose tags or name match ``kind`` is not one.

    Only the features the index says may match (:class:`~shequ.geo.tag_index.TagIndex`: those
    holding a condition's tag, or a name the kind's pattern finds) are tested; the
    exclusions (the same for every kind of a profile) come from ``excluded``, found once.
    """
    why = np.full(len(tags), "", dtype=object)
    reasons: dict[int, Note] = {}
    maybe = np.union1d(index.candidates(kind.osm), index.named_matching(kind.name_regex))
    for i in maybe.tolist():
        t = tags[i]
        tag_hit = matches_tags(t, kind.osm)
        if not tag_hit and not _name_hit(t, kind.name_regex):
            continue
        reason = excluded(i)
        if reason is None and not tag_hit:
            reason = contradiction(t, kind)
        if reason is None:
            why[i] = "tag" if tag_hit else "name"
        else:
            reasons[i] = reason
    return why, reasons


#: name endings that make a name another site of the same institution: 蓬莱路幼儿园分园 is not
#: 蓬莱路幼儿园, 复旦中学（南校区）not 复旦中学, so a name contained in another with one of
#: these in the rest is not the same place
_OTHER_SITE = re.compile(
    r"分园|分部|分校|校区|院区|分院|园区|新园|[东南西北]园|[一二三四五六七八九十\d]部"
)


def name_key(name: object) -> str | None:
    """A name as compared across sources: NFKC (full-width brackets and letters folded),
    parenthesised parts and spaces dropped; None when nothing is left.

    Amap and Baidu add the branch or street in brackets (``思南路幼儿园(皋兰路)``), OSM mappers
    rarely do; the words outside the brackets name the place.
    """
    if not isinstance(name, str):
        return None
    text = _PARENTHESISED.sub("", unicodedata.normalize("NFKC", name))
    text = re.sub(r"\s+", "", text)
    return text or None


def similar_names(a: str | None, b: str | None) -> bool:
    """True when two :func:`name_key` keys name one place: equal, or one holds the other and
    the rest does not name another site (:data:`_OTHER_SITE`: 分园, 校区 …). ``黄浦区威海路
    幼儿园`` and ``威海路幼儿园`` are one place; ``蓬莱路幼儿园分园`` and ``蓬莱路幼儿园`` two."""
    if a is None or b is None:
        return False
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) < 2 or short not in long_:
        return False
    return _OTHER_SITE.search(long_.replace(short, "", 1)) is None


def merge_same_place(
    geoms: np.ndarray,
    names: np.ndarray,
    by_tag: np.ndarray,
    within_m: float | None,
    *,
    sources: np.ndarray | None = None,
    similar: bool = False,
) -> tuple[np.ndarray, list[list[int]]]:
    """Features of one kind that are one place: which to keep and what each kept one absorbs.

    Two features are one place when one's representative point lies inside the other's area
    (a school node inside the school grounds, or its building inside them), or when they have
    the same name (spaces ignored) and lie within ``within_m`` of each other. A place keeps a
    feature matched by tag over one matched by name, then the largest area, then the first
    mapped, and absorbs only the features that are one place with that kept feature itself: a
    row of same-named points 80 m apart (垃圾分类投放点 along a street) is not chained into one.

    Parameters
    ----------
    geoms : array of shapely geometries
        The features in a metric CRS (points, lines or areas).
    names : array
        Their names (None when unnamed: an unnamed feature merges only by containment).
    by_tag : array of bool
        True where the tags (not the name) made the feature of the kind.
    within_m : float or None
        Same-name distance (m); None: nothing is merged.
    sources : array, optional
        Where each feature comes from: features of the same source are never merged with
        each other (each source was de-duplicated on its own, or is the user's to keep).
        None: one source.
    similar : bool
        Compare names with :func:`similar_names` over :func:`name_key` (across sources,
        whose naming habits differ) instead of equal names, spaces ignored.

    Returns
    -------
    keep : array of int
        Positions of the kept features, in input order.
    absorbed : list of list of int
        For each kept feature, the positions of the features merged into it.
    """
    n = len(geoms)
    if within_m is None or n < 2:
        return np.arange(n), [[] for _ in range(n)]
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if similar:
        key = [name_key(v) for v in names]
        same = similar_names
    else:
        key = [re.sub(r"\s+", "", v) if isinstance(v, str) and v.strip() else None for v in names]

        def same(a: str | None, b: str | None) -> bool:
            return a is not None and a == b

    def apart(a: int, b: int) -> bool:
        return sources is not None and sources[a] == sources[b]

    points = shapely.point_on_surface(geoms)
    areas = shapely.area(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=within_m)
    for a, b in zip(left, right, strict=True):
        if a >= b or apart(a, b):
            continue
        same_name = same(key[a], key[b])
        inside = (areas[b] > 0 and shapely.covers(geoms[b], points[a])) or (
            areas[a] > 0 and shapely.covers(geoms[a], points[b])
        )
        if same_name or inside:
            parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)

    def one_place(a: int, b: int) -> bool:
        if apart(a, b):
            return False
        near = shapely.distance(geoms[a], geoms[b]) <= within_m
        inside = (areas[b] > 0 and shapely.covers(geoms[b], points[a])) or (
            areas[a] > 0 and shapely.covers(geoms[a], points[b])
        )
        return inside or (near and same(key[a], key[b]))

    keep, absorbed = [], []
    for members in groups.values():
        # each feature merges only into a kept one it is one place with itself: a chain of
        # same-named points 80 m apart (垃圾分类投放点 along a street) stays many facilities
        pending = list(members)
        while pending:
            best = min(pending, key=lambda i: (not by_tag[i], -areas[i], i))
            mine = [i for i in pending if i != best and one_place(i, best)]
            keep.append(best)
            absorbed.append(mine)
            pending = [i for i in pending if i != best and i not in mine]
    order = np.argsort(keep)
    return np.asarray(keep, dtype=np.int64)[order], [absorbed[i] for i in order]


def _text(name: object) -> str:
    """A name cell as text: missing names (None, NaN under pandas' string dtype) are ""."""
    return name if isinstance(name, str) else ""


def kind_name(kind: FacilityKind) -> Bilingual:
    """The kind as a note parameter: its id in English files, its Chinese name under zh."""
    return Bilingual(kind.id, kind.zh)


def _join(items: Iterable[str]) -> str:
    """Notes joined so that each renders in the user's language (``;`` or ``；``)."""
    items = list(items)
    out = items[-1]
    for item in reversed(items[:-1]):
        out = Note("kinds.and", a=item, b=out)
    return out


def _report(
    merged: list[tuple[str, str | None, str, str, int]],
    refused: dict[str, tuple[str | None, Note]],
    kinds: list[FacilityKind],
) -> list[str]:
    """The notes on merged and refused features, with a few examples each."""
    out: list[str] = []
    if merged:
        within = max((k.matching.merge_within_m for k in kinds if k.matching), default=0.0)
        names = {k.id: kind_name(k) for k in kinds}
        n = sum(count for *_, count in merged)
        examples = [
            Note(
                "kinds.merged_example",
                kept=f"{_text(name)} {ref}".strip(),
                kind=names[kind],
                refs=text,
            )
            for ref, name, kind, text, _ in merged[:EXAMPLES]
        ]
        out.append(Note("n.facilities_merged", n=n, metres=within, examples=_join(examples)))
    if refused:
        examples = [
            Note("kinds.refused_example", name=_text(name), ref=ref, why=why)
            for ref, (name, why) in list(refused.items())[:EXAMPLES]
        ]
        out.append(Note("n.facilities_refused", n=len(refused), examples=_join(examples)))
    return out


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
        ``kind``, ``name``, ``source``, ``source_ref``, ``input_row``, ``matched_by``
        (``file``), ``duplicates`` (0), ``merged_refs`` (empty) and the point in ``crs``.

    Raises
    ------
    InputError
        When ``kind`` is unknown, the file has no kind column and no ``kind`` is given (for an
        Amap/Baidu export: no category column, ``type``/``tag``), or no row has a known kind
        (the message lists the kinds known).
    """
    frame = layer.frame
    blank = np.zeros(len(frame), dtype=bool)
    why: list[Note | None] = [None] * len(frame)  # a category's reason, where it decided
    matched_by = "file"
    if kind is not None:
        profile.kind(kind)  # raises for an unknown kind
        kinds = pd.Series([kind] * len(frame))
    elif "kind" in frame.columns:
        kinds, blank = cell_text(frame["kind"])
    elif "category" in frame.columns:  # an Amap / Baidu export: its category path decides
        kinds, why = _kinds_from_categories(frame["category"], profile)
        matched_by = "category"
    elif layer.poi_source is not None:  # an export whose category column was left out
        message = Note(
            "e.export_no_category",
            source=EXPORT_NAMES[layer.poi_source],
            accepted=accepted("category"),
            kinds=", ".join(profile.kinds),
            columns=describe_columns(layer.columns),
        )
        raise InputError(message, path=layer.source)
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
        why[i]
        if why[i] is not None
        else Note("r.kind_empty")
        if blank[i]
        else Note("r.kind_unknown", kind=kinds.iloc[i][:40])
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
            "matched_by": matched_by,
            "duplicates": np.zeros(int(known.sum()), dtype=np.int64),
            "merged_refs": "",
        },
        geometry=frame.geometry.to_crs(crs).to_numpy()[known],
        crs=crs,
    )
    return out


def _kinds_from_categories(
    column: pd.Series, profile: Profile
) -> tuple[pd.Series, list[Note | None]]:
    """Kinds of an Amap/Baidu export from its category column (the profile's
    ``poi_categories``), and for each row that has none, why (excluded or unmapped category)."""
    texts, blank = cell_text(column)
    table = profile.poi_categories
    decided = {text: table.classify(text) for text in set(texts[~blank])}  # few distinct paths
    kinds: list[str] = []
    why: list[Note | None] = []
    for text, empty in zip(texts, blank, strict=True):
        found, excluded = (None, None) if empty else decided[text]
        kinds.append(found or "")
        if found:
            why.append(None)
        elif empty:
            why.append(Note("r.category_empty"))
        elif excluded:
            why.append(Note("r.category_excluded", category=excluded, path=text[:60]))
        else:
            why.append(Note("r.category_unmapped", path=text[:60]))
    return pd.Series(kinds, dtype=object), why


def _concat(parts: list[gpd.GeoDataFrame], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    if not parts:
        return gpd.GeoDataFrame(
            {c: [] for c in FACILITY_COLUMNS[1:]}, geometry=gpd.GeoSeries([], crs=crs), crs=crs
        )
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)


def combine_facilities(
    parts: list[gpd.GeoDataFrame],
    crs: pyproj.CRS,
    kinds: list[FacilityKind] | None = None,
    notes: list[str] | None = None,
) -> gpd.GeoDataFrame:
    """All facilities in one frame with a running ``facility_id``; with ``kinds``, a file's
    point and an OSM feature that are one place count once (:func:`merge_file_and_osm`).

    Parameters
    ----------
    parts : list of GeoDataFrame
        Facilities from OSM (:func:`facilities_from_osm`) and from files
        (:func:`facilities_from_layer`), in ``crs``.
    crs : pyproj.CRS
        The run's metric CRS.
    kinds : list of FacilityKind, optional
        The kinds whose ``facility_matching.merge_within_m`` decides the merge; None: nothing
        is merged across sources (kinds not listed are not merged either).
    notes : list, optional
        Receives the note on the features merged, with their number per kind.

    Returns
    -------
    GeoDataFrame
        :data:`FACILITY_COLUMNS`.
    """
    out = _concat([p for p in parts if len(p)], crs)
    if kinds is not None and len(out):
        out = merge_file_and_osm(out, kinds, notes)
    out.insert(0, "facility_id", np.arange(len(out), dtype=np.int64))
    return out


def merge_file_and_osm(
    facilities: gpd.GeoDataFrame, kinds: list[FacilityKind], notes: list[str] | None = None
) -> gpd.GeoDataFrame:
    """A file's point and an OSM feature of one kind that are one place count once.

    An Amap export and OSM both hold most kindergartens of a district; without this, each
    would count twice and every home near one would seem served by two. Two facilities are
    one place when they are of the same kind, lie within the kind's
    ``facility_matching.merge_within_m`` (100 m in the default profile) and have similar
    names (:func:`similar_names`: brackets and spaces ignored, one name holding the other
    unless the rest names another site, 分园 or 校区). The pairing is
    :func:`merge_same_place`'s, with features of the same source kept apart: each source was
    de-duplicated on its own (OSM by :func:`facilities_from_osm`), and two rows of a user's
    file are the user's to keep.

    The file's row is kept and the OSM feature's ref is added to its ``merged_refs`` (and
    counted in ``duplicates``): the file is the data the user chose to bring, usually more
    recent and checked locally (a register of licensed kindergartens, the district's own
    list), and its ``input_row`` lets the user find the row again; OSM is the fallback.

    Parameters
    ----------
    facilities : GeoDataFrame
        :data:`FACILITY_COLUMNS` but ``facility_id``, in a metric CRS.
    kinds : list of FacilityKind
        The kinds merged, with their ``matching`` rules.
    notes : list, optional
        Receives ``n.facilities_merged_sources`` with the count per kind and examples (none
        when nothing was merged).

    Returns
    -------
    GeoDataFrame
        The facilities without the absorbed OSM features, in the same order.
    """
    source = facilities["source"].to_numpy(dtype=object)
    from_file = source != "osm"
    kind_of = facilities["kind"].to_numpy(dtype=object)
    drop = np.zeros(len(facilities), dtype=bool)
    merged_refs = facilities["merged_refs"].to_numpy(dtype=object).copy()
    duplicates = facilities["duplicates"].to_numpy(dtype=np.int64).copy()
    counts: dict[str, int] = {}
    examples = []
    geoms = facilities.geometry.to_numpy()
    names = facilities["name"].to_numpy(dtype=object)
    refs = facilities["source_ref"].to_numpy(dtype=object)
    for kind in kinds:
        rules = kind.matching
        mine = np.flatnonzero(kind_of == kind.id)
        if rules is None or not from_file[mine].any() or from_file[mine].all():
            continue
        keep, absorbed = merge_same_place(
            geoms[mine],
            names[mine],
            from_file[mine],
            rules.merge_within_m,
            sources=np.where(from_file[mine], "file", "osm"),
            similar=True,
        )
        for k, group in zip(keep, absorbed, strict=True):
            if not group:
                continue
            i, gone = mine[k], mine[group]
            drop[gone] = True
            # the OSM feature's ref, and those it had absorbed itself
            text = "; ".join(
                f"{refs[j]}; {merged_refs[j]}" if merged_refs[j] else str(refs[j]) for j in gone
            )
            merged_refs[i] = f"{merged_refs[i]}; {text}" if merged_refs[i] else text
            duplicates[i] += len(gone) + int(duplicates[gone].sum())
            counts[kind.id] = counts.get(kind.id, 0) + len(gone)
            if len(examples) < EXAMPLES:
                kept = f"{_text(names[i])} ({Path(str(source[i])).name} {refs[i]})"
                examples.append(
                    Note("kinds.merged_example", kept=kept, kind=kind_name(kind), refs=text)
                )
    if not drop.any():
        return facilities
    out = facilities.copy()
    out["merged_refs"] = merged_refs
    out["duplicates"] = duplicates
    out = out.loc[~drop].reset_index(drop=True)
    if notes is not None:
        by_id = {k.id: kind_name(k) for k in kinds}
        per_kind = [Note("kinds.count", n=n, kind=by_id[k]) for k, n in counts.items()]
        within = max(k.matching.merge_within_m for k in kinds if k.id in counts and k.matching)
        notes.append(
            Note(
                "n.facilities_merged_sources",
                n=sum(counts.values()),
                metres=within,
                kinds=_join(per_kind),
                examples=_join(examples),
            )
        )
    return out
