"""What the run's data probably lacks, on the map: estimated homes and a "data completeness" box.

A map reads as complete: an area with no dot looks like an area with no one. The run measures
what its data lacks (:mod:`shequ.geo.completeness`, the ``completeness`` entry of ``run.json``)
and may estimate homes over residential land with no buildings mapped
(:mod:`shequ.geo.landuse_homes`, ``estimated_from = "landuse"``); the maps draw those homes as
hollow circles and list the findings that fired in a small box, in the map's language. Nothing
is computed here: the box shows the entry's numbers as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shequ.maps.escape import as_float, esc, fmt_number
from shequ.maps.features import is_estimated
from shequ.maps.labels import label
from shequ.maps.overlays import HtmlBox


def _section(entry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = entry.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(key: str, lang: str) -> str:
    """A catalogue label, escaped (its ``{placeholders}`` survive for ``format``)."""
    return esc(label(key, lang)) or ""


def _num(value: Any, digits: int = 1) -> str:
    return fmt_number(value, digits) or "–"


def completeness_lines(
    entry: Mapping[str, Any] | None, lang: str, kind_names: Mapping[str, str] | None = None
) -> list[str]:
    """The findings of a ``completeness`` entry as lines of safe HTML text in ``lang``.

    Only the checks listed under ``findings`` are shown (and the estimated homes, when there
    are any); an entry with none gives no line. ``kind_names`` maps kind ids to their display
    names, already escaped; a kind not in it is shown by its id, escaped here.
    """
    if not isinstance(entry, Mapping):
        return []
    fired = entry.get("findings")
    findings = set(fired) if isinstance(fired, Sequence) and not isinstance(fired, str) else set()
    names = kind_names or {}
    lines: list[str] = []
    empty = _section(entry, "residential_land_without_buildings")
    if "residential_land_without_buildings" in findings:
        lines.append(
            _text("completeness_empty_land", lang).format(
                n=_num(empty.get("areas")),
                ha=_num(empty.get("ha")),
                households=_num(empty.get("households_estimate"), 0),
            )
        )
    sparse = _section(entry, "residential_land_mapped_sparsely")
    if "residential_land_mapped_sparsely" in findings:
        lines.append(
            _text("completeness_sparse_land", lang).format(
                n=_num(sparse.get("areas")),
                ha=_num(sparse.get("unbuilt_ha")),
                households=_num(sparse.get("households_estimate"), 0),
            )
        )
    estimated = _section(entry, "estimated_homes")
    points = as_float(estimated.get("points"))
    if points:
        lines.append(
            _text("completeness_estimated", lang).format(
                households=_num(estimated.get("households"), 0), points=_num(points)
            )
        )
    elif lines:
        lines.append(_text("completeness_not_estimated", lang))
    density = _section(entry, "households_per_km2_residential_land")
    if "low_household_density" in findings:
        lines.append(
            _text("completeness_density", lang).format(
                value=_num(density.get("value"), 0), low=_num(density.get("min_plausible"), 0)
            )
        )
    levels = _section(entry, "levels_tags")
    share = as_float(levels.get("share"))
    if "few_levels_tags" in findings and share is not None:
        lines.append(
            _text("completeness_levels", lang).format(
                share=_num(100.0 * share),
                tagged=_num(levels.get("tagged")),
                n=_num(levels.get("residential_buildings")),
            )
        )
    kinds = entry.get("kinds_without_facilities")
    if "kinds_without_facilities" in findings and isinstance(kinds, Sequence):
        shown = [names.get(k) or esc(k) or "" for k in kinds if not isinstance(kinds, str)]
        sep = "、" if lang == "zh" else ", "
        lines.append(_text("completeness_no_facilities", lang).format(kinds=sep.join(shown)))
    return lines


def completeness_box(
    entry: Mapping[str, Any] | None, lang: str, kind_names: Mapping[str, str] | None = None
) -> HtmlBox | None:
    """The "data completeness" box of a map, or None when the run found nothing lacking."""
    lines = completeness_lines(entry, lang, kind_names)
    if not lines:
        return None
    body = "".join(f"<div>{line}</div>" for line in lines)
    heading = _text("completeness_heading", lang)
    return HtmlBox(f"<h4>{heading}</h4>{body}", "shequ-completeness")


__all__ = ["completeness_box", "completeness_lines", "estimated_legend_line", "is_estimated"]


def estimated_legend_line(lang: str) -> str:
    """The legend line of the hollow marker (safe HTML)."""
    return f'<div><i class="hollow"></i>{esc(label("estimated_homes", lang))}</div>'
