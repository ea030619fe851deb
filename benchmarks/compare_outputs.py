"""Run the four commands on the shared extracts and compare two such runs output by output.

A refactoring must not change a result. This script is how that is checked: run it on the old
commit, run it on the new one, compare.

    python benchmarks/compare_outputs.py run /tmp/before      # on the old commit
    python benchmarks/compare_outputs.py run /tmp/after       # on the new commit
    python benchmarks/compare_outputs.py compare /tmp/before /tmp/after

What is compared, for every case folder:

- every layer of ``shequ.gpkg``: the same columns in the same order, the same rows, every value
  equal (NaN equal to NaN) and every geometry equal vertex for vertex (WKB). Isochrone unions
  are not bit-stable from run to run even on one commit (the ring may start at another vertex,
  areas differ by ~1e-8 m²), so a geometry that differs is compared again after
  ``shapely.normalize`` within 1 µm and reported as "same shape";
- every ``.csv``: every cell equal, the wall-clock columns (``seconds``, ``*_s``) left out, and
  a column of :data:`ADDED_COLUMNS` left out when only one run has it;
- ``run.json``: every key except the run's timings and the solver's wall-clock seconds, and a
  key of :data:`ADDED_KEYS` when only one run has it;
- ``map.html``: text equal once folium's random element ids and the coordinate arrays are
  blanked (the coordinates are those of the ``shequ.gpkg`` layers, compared above).

Grids run with a fixed ``--seed``; their search stops on an effort budget, so they repeat. A case
that failed in both runs with the same exit status counts as equal.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from common import shared_dir

OSM = "data/osm/"
AMAP = "data/poi/shanghai_amap/"
SACRAMENTO = "data/incidents/sacramento_crime_jan2006.csv"

CASES: dict[str, list[str]] = {
    "access_nanjing": ["access", "--osm", OSM + "nanjing_xinjiekou_small.osm"],
    "access_beijing": ["access", "--osm", OSM + "beijing_haidian_liudaokou_small.osm"],
    "access_taichung": ["access", "--osm", OSM + "taichung_tunghai_small.osm.gz"],
    "access_shanghai_amap": [
        "access",
        "--osm",
        OSM + "shanghai_center_roads_large.osm",
        "--facilities",
        AMAP + "kindergarten.csv",
        "--kind",
        "kindergarten",
        "--crs",
        "gcj02",
    ],
    "site_mclp_nanjing": [
        "site",
        "--osm",
        OSM + "nanjing_xinjiekou_small.osm",
        "--kind",
        "canteen",
        "--p",
        "3",
        "--curve",
        "5",
    ],
    "site_lscp_beijing": [
        "site",
        "--osm",
        OSM + "beijing_haidian_liudaokou_small.osm",
        "--kind",
        "kindergarten",
        "--cover-all",
        "--street-candidates",
        "--spacing",
        "150",
    ],
    "site_pmedian_capacitated_nanjing": [
        "site",
        "--osm",
        OSM + "nanjing_xinjiekou_small.osm",
        "--kind",
        "childcare",
        "--p",
        "2",
        "--model",
        "pmedian",
        "--capacitated",
    ],
    "grids_beijing": [
        "grids",
        "--osm",
        OSM + "beijing_haidian_liudaokou_small.osm",
        "--seed",
        "1",
    ],
    "grids_nanjing": [
        "grids",
        "--osm",
        OSM + "nanjing_xinjiekou_small.osm",
        "--seed",
        "1",
    ],
    "hotspots_sacramento": ["hotspots", "--incidents", SACRAMENTO, "--seed", "1"],
    "bad_input_missing_osm": ["access", "--osm", OSM + "no_such_file.osm"],
}

#: Columns a change may add on purpose (issue 11: rejects.csv keeps the reason's catalogue key);
#: compared when both runs have them, left out when only one has.
ADDED_COLUMNS = ("reason_key",)
#: run.json keys a change may add on purpose (issue 11: the notes' catalogue keys).
ADDED_KEYS = ("note_keys",)

#: run.json keys that hold wall-clock measurements, not results.
VOLATILE_KEYS = {
    "timings",
    "seconds",
    "elapsed_s",
    "runtime_s",
    "solve_seconds",
    "started",
    "finished",
    "time_s",
    "wall_s",
    "duration_s",
}


def _resolve(args: list[str]) -> list[str]:
    root = shared_dir()
    return [str(root / a) if a.startswith("data/") else a for a in args]


def run_all(dest: Path) -> None:
    """Run every case into ``dest/<case>`` and record exit statuses in ``dest/status.json``."""
    dest.mkdir(parents=True, exist_ok=True)
    status: dict[str, int] = {}
    for name, args in CASES.items():
        out = dest / name
        cmd = [sys.executable, "-m", "shequ", *_resolve(args), "--quiet", "--out", str(out)]
        print(name, flush=True)
        status[name] = subprocess.run(cmd, capture_output=True, text=True).returncode
    (dest / "status.json").write_text(json.dumps(status, indent=1))


def _strip(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _gpkg_differences(a: Path, b: Path, notes: list[str]) -> list[str]:
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    layers_a = [name for name, _ in pyogrio.list_layers(a)]
    layers_b = [name for name, _ in pyogrio.list_layers(b)]
    if layers_a != layers_b:
        return [f"layers {layers_a} != {layers_b}"]
    found = []
    for layer in layers_a:
        fa = gpd.read_file(a, layer=layer)
        fb = gpd.read_file(b, layer=layer)
        if list(fa.columns) != list(fb.columns) or len(fa) != len(fb):
            found.append(
                f"{layer}: columns/rows {list(fa.columns)}x{len(fa)} "
                f"!= {list(fb.columns)}x{len(fb)}"
            )
            continue
        plain = [c for c in fa.columns if c != "geometry"]
        try:
            pd.testing.assert_frame_equal(
                pd.DataFrame(fa[plain]), pd.DataFrame(fb[plain]), check_exact=True
            )
        except AssertionError as exc:
            found.append(f"{layer}: {str(exc).splitlines()[0]}")
        if "geometry" in fa.columns and list(fa.geometry.to_wkb()) != list(fb.geometry.to_wkb()):
            ga = shapely.normalize(fa.geometry.to_numpy())
            gb = shapely.normalize(fb.geometry.to_numpy())
            if fa.crs == fb.crs and bool(shapely.equals_exact(ga, gb, tolerance=1e-6).all()):
                notes.append(f"{layer}: same shape")
            else:
                found.append(f"{layer}: geometries differ")
    return found


def _html(text: str) -> str:
    text = re.sub(r"[0-9a-f]{32}", "ID", text)
    return re.sub(r"\[[-0-9.,\[\]\s]*\]", "[]", text)


def _csv_differences(a: Path, b: Path) -> list[str]:
    import pandas as pd

    fa, fb = pd.read_csv(a), pd.read_csv(b)
    clocks = [c for c in fa.columns if c == "seconds" or c.endswith("_s")]
    added = [c for c in ADDED_COLUMNS if (c in fa.columns) != (c in fb.columns)]
    fa, fb = fa.drop(columns=added, errors="ignore"), fb.drop(columns=added, errors="ignore")
    try:
        pd.testing.assert_frame_equal(
            fa.drop(columns=clocks), fb.drop(columns=clocks, errors="ignore"), check_exact=True
        )
    except AssertionError as exc:
        return [f"{a.name}: {str(exc).splitlines()[0]}"]
    return []


def compare(first: Path, second: Path) -> int:
    """Print one line per case (same / what differs); return the number of differing cases."""
    status_a = json.loads((first / "status.json").read_text())
    status_b = json.loads((second / "status.json").read_text())
    differing = 0
    for name in CASES:
        diffs: list[str] = []
        notes: list[str] = []
        if status_a.get(name) != status_b.get(name):
            diffs.append(f"exit {status_a.get(name)} != {status_b.get(name)}")
        a, b = first / name, second / name
        files_a = sorted(p.name for p in a.glob("*")) if a.exists() else []
        files_b = sorted(p.name for p in b.glob("*")) if b.exists() else []
        if files_a != files_b:
            diffs.append(f"files {files_a} != {files_b}")
        for fname in sorted(set(files_a) & set(files_b)):
            pa, pb = a / fname, b / fname
            if fname.endswith(".gpkg"):
                diffs += _gpkg_differences(pa, pb, notes)
            elif fname.endswith(".csv"):
                diffs += _csv_differences(pa, pb)
            elif fname == "run.json":
                ja = _strip(json.loads(pa.read_text()))
                jb = _strip(json.loads(pb.read_text()))
                for key in ADDED_KEYS:
                    if (key in ja) != (key in jb):
                        ja.pop(key, None), jb.pop(key, None)
                if ja != jb:
                    keys = sorted(k for k in set(ja) | set(jb) if ja.get(k) != jb.get(k))
                    diffs.append(f"run.json differs in {keys}")
            elif fname.endswith(".html") and _html(pa.read_text()) != _html(pb.read_text()):
                diffs.append(f"{fname} differs")
        verdict = "; ".join(diffs) if diffs else "same"
        print(f"{name}: {verdict}" + (f" ({', '.join(notes)})" if notes else ""))
        differing += bool(diffs)
    return differing


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "run":
        run_all(Path(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return min(compare(Path(argv[1]), Path(argv[2])), 1)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
