"""Output folders are whole or absent: ``--out`` holds one run's files or the previous ones.

Most tests drive :func:`shequ.geo.output_folder.output_folder` directly with small files; the
last ones run ``shequ access`` on the Beijing extract (a full disk, and a SIGTERM mid-run in a
real subprocess).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyogrio.errors import DataSourceError

from shequ.cli import main
from shequ.errors import InputError
from shequ.geo.output_folder import output_folder
from shequ.geo.outputs import OutputError, write_csv, write_gpkg, write_text
from tests.conftest import shared_file

BEIJING = "osm/beijing_haidian_liudaokou_small.osm"


def _write(out: Path, command: str, files: dict[str, str]) -> None:
    """A complete shequ output folder holding ``files`` (name → text)."""
    with output_folder(out, command) as staging:
        for name, text in files.items():
            write_text(staging / name, text)


def _open_and_close(out: Path | str) -> None:
    with output_folder(out, "access"):
        pass


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _hidden(parent: Path) -> list[str]:
    """Lock files, staging folders, folders moved aside, temporary files: none may stay."""
    return sorted(name for name in os.listdir(parent) if name.startswith("."))


def _access_args(out: Path) -> list[str]:
    osm = str(shared_file(BEIJING))
    return ["access", "--osm", osm, "--no-map", "--no-isochrones", "--quiet", "--out", str(out)]


# --- the lock ------------------------------------------------------------------------------


def test_a_second_run_on_the_same_folder_stops_at_once_naming_the_first(tmp_path):
    out = tmp_path / "out"
    with output_folder(out, "access") as staging:
        write_text(staging / "summary.csv", "a\n")
        second = output_folder(tmp_path / "." / "out", "grids")
        with pytest.raises(InputError) as caught, second:
            pytest.fail("the second run must not start writing")
    assert caught.value.one_line() == (
        f"{out}: another shequ run (pid {os.getpid()}) is writing to this folder; "
        "wait for it to end or choose another output folder"
    )
    assert sorted(os.listdir(out)) == ["run.json", "summary.csv"]  # the first run went on
    assert _hidden(tmp_path) == []  # the lock file goes with the lock
    _write(out, "grids", {"plan_summary.csv": "b\n"})  # and the folder is free again


# --- failures leave the previous outputs -----------------------------------------------------


@pytest.mark.parametrize(
    "interruption",
    [RuntimeError("a bug"), KeyboardInterrupt(), SystemExit(143)],
    ids=["exception", "ctrl-c", "sigterm"],
)
def test_an_interrupted_run_leaves_the_previous_outputs_byte_identical(tmp_path, interruption):
    out = tmp_path / "out"
    _write(out, "access", {"summary.csv": "kind,share\ncanteen,0.5\n", "map.html": "<html>"})
    before = _contents(out)
    with pytest.raises(type(interruption)), output_folder(out, "grids") as staging:
        write_csv(staging / "grid_summary.csv", pd.DataFrame({"grid": [1, 2]}))
        write_text(staging / "map.html", "<html>new")
        raise interruption
    assert _contents(out) == before
    assert _hidden(tmp_path) == []


def test_a_run_killed_outright_mid_swap_is_put_right_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    _write(out, "access", {"summary.csv": "old\n"})
    before = _contents(out)
    # SIGKILL after the old folder was moved aside, before the new one was moved in
    os.rename(out, tmp_path / ".out.shequ-old-0000")
    (tmp_path / ".out.shequ-new-1111").mkdir()
    (tmp_path / ".out.shequ-new-1111" / "summary.csv").write_text("half")
    with pytest.raises(RuntimeError), output_folder(out, "access"):
        raise RuntimeError("stop before the swap")
    assert _contents(out) == before
    assert _hidden(tmp_path) == []


# --- what a successful run replaces ----------------------------------------------------------


def test_a_run_replaces_every_file_of_the_previous_command(tmp_path):
    out = tmp_path / "out"
    _write(out, "grids", {"grid_summary.csv": "g\n", "plan_summary.csv": "p\n", "map.html": "m"})
    with output_folder(out, "access") as staging:
        write_csv(staging / "summary.csv", pd.DataFrame({"kind": ["canteen"]}))
        write_text(staging / "run.json", json.dumps({"notes": ["n"]}))
    assert sorted(os.listdir(out)) == ["run.json", "summary.csv"]  # no stale grid files
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run == {"command": "access", "notes": ["n"], "files": ["run.json", "summary.csv"]}
    assert _hidden(tmp_path) == []


def test_replaced_files_keep_their_modes(tmp_path):
    out = tmp_path / "out"
    _write(out, "access", {"map.html": "old"})
    (out / "map.html").chmod(0o600)  # e.g. narrowed, or widened for a web share, by the user
    out.chmod(0o750)
    _write(out, "access", {"map.html": "new", "summary.csv": "s"})
    assert (out / "map.html").read_text() == "new"
    assert (out / "map.html").stat().st_mode & 0o777 == 0o600
    assert out.stat().st_mode & 0o777 == 0o750
    assert (out / "summary.csv").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_empty_folder_is_accepted(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    _write(out, "hotspots", {"summary.csv": "s"})
    assert sorted(os.listdir(out)) == ["run.json", "summary.csv"]


def test_outputs_of_an_older_shequ_without_a_file_list_may_be_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"profile": "default", "notes": []}))
    (out / "summary.csv").write_text("old")
    _write(out, "access", {"compounds.csv": "c"})
    assert sorted(os.listdir(out)) == ["compounds.csv", "run.json"]


# --- folders that are not shequ's are never replaced ----------------------------------------


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"thesis.docx": "mine"}, "is not empty and holds no shequ outputs"),
        ({"run.json": '{"mine": true}', "data.csv": "x"}, "is not empty and holds no shequ"),
        (
            {
                "run.json": json.dumps({"command": "access", "files": ["run.json", "s.csv"]}),
                "s.csv": "shequ's",
                "notes.txt": "added by the user",
            },
            "holds files shequ did not write (notes.txt)",
        ),
    ],
    ids=["user-files", "user-run-json", "user-file-added-to-outputs"],
)
def test_a_folder_with_user_files_is_refused_and_left_untouched(tmp_path, files, says):
    out = tmp_path / "desktop"
    out.mkdir()
    for name, text in files.items():
        (out / name).write_text(text)
    before = _contents(out)
    refused = pytest.raises(InputError, match="choose an empty or new folder")
    with refused as caught, output_folder(out, "access") as staging:
        write_text(staging / "summary.csv", "s")
    assert says in str(caught.value) and str(caught.value).startswith(f"{out}: ")
    assert _contents(out) == before
    assert _hidden(tmp_path) == []


def test_a_file_the_current_folder_and_a_file_as_parent_are_refused(tmp_path, monkeypatch):
    a_file = tmp_path / "results.txt"
    a_file.write_text("mine")
    with pytest.raises(InputError, match=r"results\.txt: is a file, not a folder"):
        _open_and_close(a_file)
    with pytest.raises(InputError, match=r"results\.txt: is a file, not a folder"):
        _open_and_close(a_file / "out")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    with pytest.raises(InputError, match="is the current folder"):
        _open_and_close(".")
    assert a_file.read_text() == "mine" and os.listdir(here) == []


def test_a_parent_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    real_open = os.open

    def no_permission(path, *args, **kwargs):
        if str(path).endswith(".shequ.lock"):  # the first file created beside --out
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", no_permission)
    with pytest.raises(InputError) as caught:
        _open_and_close(tmp_path / "out")
    assert caught.value.one_line() == f"{tmp_path}: permission denied"


# --- write errors: one line naming the file --------------------------------------------------


def test_a_full_disk_names_the_file_and_keeps_the_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _write(out, "access", {"summary.csv": "old"})
    before = _contents(out)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as from a write(): no file

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(InputError) as caught, output_folder(out, "access") as staging:
        write_csv(staging / "summary.csv", pd.DataFrame({"a": [1]}))
    assert caught.value.one_line() == f"{out}/summary.csv: no space left on device"
    assert isinstance(caught.value, OutputError) and isinstance(caught.value, OSError)
    assert caught.value.errno == errno.ENOSPC
    assert _contents(out) == before
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize(
    ("free", "says"),
    [(0, "no space left on device"), (10**9, "could not write: Failed to commit transaction")],
    ids=["disk-full", "other"],
)
def test_a_gdal_error_names_the_geopackage(tmp_path, monkeypatch, free, says):
    layer = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs="EPSG:4326")

    def fail(self, *args, **kwargs):
        raise DataSourceError("Failed to commit transaction")  # GDAL's words on a full disk

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: SimpleNamespace(free=free))
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught, output_folder(out, "grids") as staging:
        write_gpkg(staging / "shequ.gpkg", {"grids": layer})
    assert caught.value.one_line() == f"{out}/shequ.gpkg: {says}"
    assert not out.exists() and _hidden(tmp_path) == []


def test_the_cli_reports_a_full_disk_on_one_line_with_exit_2(tmp_path, monkeypatch, capsys):
    def fail(self, *args, **kwargs):
        raise DataSourceError("sqlite3_exec(INSERT …) failed: database or disk is full")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", fail)
    out = tmp_path / "out"
    assert main(_access_args(out)) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line.lower()]
    assert errors == [
        f"error: {out}/shequ.gpkg: no space left on device "
        "(sqlite3_exec(INSERT …) failed: database or disk is full)"
    ]
    assert not out.exists() and _hidden(tmp_path) == []


# --- SIGTERM in a real run -------------------------------------------------------------------


def _whole(out: Path) -> bool:
    """``out`` holds exactly the files its run.json lists, and the GeoPackage reads."""
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    homes = gpd.read_file(out / "shequ.gpkg", layer="homes")
    return sorted(os.listdir(out)) == run["files"] and run["command"] == "access" and len(homes)


@pytest.mark.parametrize("when", ["after-1.5s", "while-writing"])
def test_sigterm_leaves_the_previous_outputs_or_the_new_ones_whole(tmp_path, capsys, when):
    out = tmp_path / "out"
    assert main(_access_args(out)) == 0
    capsys.readouterr()
    before = _contents(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shequ", *_access_args(out)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if when == "after-1.5s":
            time.sleep(1.5)
        else:  # as soon as the staging folder appears
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                if any(".shequ-new-" in name for name in os.listdir(tmp_path)):
                    break
                time.sleep(0.001)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert b"Traceback" not in err, err.decode()
    assert _hidden(tmp_path) == []
    if proc.returncode == 0:  # it finished before the signal: the new outputs, whole
        assert _whole(out)
    else:  # killed: the previous outputs, unless the signal came during the swap (held till
        # the new folder is in place)
        assert proc.returncode in (128 + signal.SIGTERM, -signal.SIGTERM)
        assert _contents(out) == before or _whole(out)


# --- the whole run --------------------------------------------------------------------------


def test_a_reserved_folder_stops_a_second_run_before_any_work(tmp_path, capsys, monkeypatch):
    """The CLI locks --out for the whole run: a second run stops before reading its inputs."""
    from shequ.geo.output_folder import reserve_output_folder

    out = tmp_path / "out"
    monkeypatch.setattr("shequ.jobs.inputs.read_osm", lambda _path: pytest.fail("work started"))
    with reserve_output_folder(out):
        code = main(_access_args(out))
    assert code == 2
    assert "another shequ run" in capsys.readouterr().err
    assert _hidden(tmp_path) == []


def test_main_restores_the_sigterm_handler(tmp_path, capsys):
    before = signal.getsignal(signal.SIGTERM)
    assert main(_access_args(tmp_path / "out")) == 0
    assert signal.getsignal(signal.SIGTERM) is before


def test_file_browser_clutter_is_replaced_but_a_sub_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    _write(out, "access", {"summary.csv": "a\n"})
    (out / ".DS_Store").write_bytes(b"\x00")
    _write(out, "grids", {"plan_summary.csv": "b\n"})
    assert sorted(os.listdir(out)) == ["plan_summary.csv", "run.json"]
    (out / "plan_summary.csv").unlink()
    (out / "plan_summary.csv").mkdir()  # a folder under a listed name: the user's, not shequ's
    with pytest.raises(InputError, match=r"plan_summary\.csv"):
        _open_and_close(out)
    assert (out / "plan_summary.csv").is_dir()
