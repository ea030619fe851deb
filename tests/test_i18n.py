"""Every message exists in both languages with the same fields, and notes print in the user's."""

from __future__ import annotations

import json
import string

import pytest

from shequ.cli import main
from shequ.i18n import MESSAGES, Note, render_note
from tests.conftest import shared_file


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_take_the_same_fields(key):
    en, zh = MESSAGES[key]
    assert en and zh
    assert _fields(en) == _fields(zh)


def test_a_note_is_its_english_text_and_renders_in_chinese():
    note = Note("n.edits_applied", n=2, total=3, atoms=5, households=140.0)
    assert note == "2 of 3 edits applied: 5 atoms, 140 households moved"
    assert json.loads(json.dumps([note])) == [str(note)]
    assert render_note(note, "zh") == "已应用 2 处修改（共 3 处）：5 个单元，调整 140 户"
    assert render_note("solver said so", "zh") == "solver said so"


def test_grid_notes_print_in_chinese(capsys, tmp_path):
    osm = shared_file("osm/nanjing_xinjiekou_small.osm")
    args = ["grids", "--quiet", "--no-map", "--lang", "zh", "--osm", str(osm)]
    assert main([*args, "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "提示：" in err and "视为居住片区" in err and "整栋楼" in err
    assert "treated as residential zones" not in err
    run = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert any("treated as residential zones" in n for n in run["notes"])  # run.json: English
    assert "n.residential_zones" in run["note_keys"]  # and the catalogue key beside it
    assert len(run["note_keys"]) == len(run["notes"])


def test_every_section_key_is_unique_and_in_the_catalogue():
    from shequ.messages import SECTIONS

    keys = [key for section in SECTIONS.values() for key in section]
    assert len(keys) == len(set(keys)) == len(MESSAGES)


def test_an_input_error_prints_in_the_users_language():
    from shequ.errors import InputError

    error = InputError(Note("e.bands_positive", text="'-5'"), path="x.csv", row=3)
    assert error.one_line() == "x.csv, row 3: --bands must be positive minutes, got '-5'"
    assert error.one_line("zh") == "x.csv, 第 3 行: --bands 必须是正的分钟数，实际为 '-5'"


NANJING = "osm/nanjing_xinjiekou_small.osm"
COMMANDS = {
    "access": ["access", "--osm", NANJING],
    "site": ["site", "--osm", NANJING, "--kind", "canteen", "--p", "2", "--curve", "3"],
    "grids": ["grids", "--osm", "osm/beijing_haidian_liudaokou_small.osm"],
    "hotspots": ["hotspots", "--incidents", "incidents/sacramento_crime_jan2006.csv"],
    "missing-file": ["access", "--osm", "no_such_extract.osm"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_chinese_run_prints_no_english_sentence(name, tmp_path, capsys):
    from tests.helpers import english_sentences

    args = [str(shared_file(a)) if "/" in a else a for a in COMMANDS[name]]
    if name == "missing-file":
        args[2] = str(tmp_path / args[2])
    code = main([*args, "--lang", "zh", "--no-map", "--out", str(tmp_path / "out")])
    printed = capsys.readouterr()
    assert code == (2 if name == "missing-file" else 0), printed.err
    assert english_sentences(printed.out + printed.err) == [], printed.out + printed.err


@pytest.mark.parametrize("command", ["", "demo", "access", "site", "grids", "hotspots"])
def test_help_is_in_the_users_language(command, capsys):
    from tests.helpers import english_sentences

    args = [command] if command else []
    assert main([*args, "--help", "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("用法：") and english_sentences(printed) == [], printed
    assert main([*args, "--help", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("usage: ")


def test_a_note_copies_and_pickles_as_key_and_values():
    import copy
    import pickle

    note = Note("n.edits_applied", n=2, total=3, atoms=5, households=140.0)
    for twin in (copy.copy(note), copy.deepcopy(note), pickle.loads(pickle.dumps(note))):
        assert twin == note and twin.key == note.key and twin.params == note.params
        assert twin.render("zh") == note.render("zh")
