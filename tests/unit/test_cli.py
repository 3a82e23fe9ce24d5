"""The command line, called in-process: help that teaches, listings, clear errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", ["run", "host", "compat", "probe", "report", "merge", "clean"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert len(capsys.readouterr().out) > 100


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("checker 0.")


def test_run_help_teaches_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "exit codes" in out and "--list" in out and "examples/offline.yaml" in out


def test_list_prints_cells_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--list", str(ROOT / "examples/offline.yaml"), "--only", "cuda11.8*"]) == 0
    out = capsys.readouterr().out
    assert "cuda11.8-opencv5.0.0.93" in out and "2 cell(s)" in out


def test_bad_matrix_exits_2_with_file_line_and_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("schema_version: 1\naxes:\n  cuda: [1]\ncell:\n  imag: x\n")
    assert main(["run", "--list", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {path}:5: unknown key 'imag' in cell; did you mean 'image'?" in err
    assert "Traceback" not in err


def test_missing_matrix_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_commands_not_built_yet_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge"]) == 2
    assert "not built yet" in capsys.readouterr().err


def test_report_rerenders_from_json(tmp_path: Path) -> None:
    from checker.results import write_atomically
    from tests.unit.report_fixture import fixture_report

    write_atomically(tmp_path / "report.json", fixture_report().to_json())
    assert main(["report", str(tmp_path / "report.json")]) == 0
    assert (tmp_path / "junit.xml").exists() and (tmp_path / "matrix.md").exists()
    (tmp_path / "bad.json").write_text("{}")
    assert main(["report", str(tmp_path / "bad.json")]) == 2


def test_compat_explains_a_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compat", "--driver", "535.104.05", "--cuda", "12.4", "--require", "cuda>=12.4"]) == 0
    out = capsys.readouterr().out
    assert "verdict:   toolkit-refuses (CUDA alone: minor-compat)" in out
    assert "minimum:   native 550.54.14; minor-version compatibility 525.60.13" in out
    assert "unsatisfied condition: cuda>=12.4, please update your driver" in out


def test_compat_json_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert main(["compat", "--driver", "555.85", "--platform", "wsl2", "--cuda", "12.5.1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "native"
    assert main(["compat", "--driver", "new", "--cuda", "12.4"]) == 2
    assert "not a driver version" in capsys.readouterr().err
    assert main(["compat", "--driver", "535.104.05", "--cuda", "12.4", "--require", "cdua>=1"]) == 2
    assert "unknown property" in capsys.readouterr().err
