"""Matrix loading, validation messages and GitHub-Actions-style expansion, from YAML strings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from checker.errors import MatrixError
from checker.matrix import load, loads
from checker.results import Status


def expand(text: str) -> list[dict[str, object]]:
    return [c.coordinates for c in loads(textwrap.dedent(text), path="m.yaml").cells()]


def error_of(text: str) -> MatrixError:
    with pytest.raises(MatrixError) as info:
        loads(textwrap.dedent(text), path="m.yaml")
    return info.value


BASE = """\
schema_version: 1
cell:
  image: "img:{a}"
"""


def test_axes_make_the_cartesian_product_in_order() -> None:
    cells = expand(BASE + "axes:\n  a: [1, 2]\n  b: [x, y]\n")
    assert cells == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_exclude_removes_every_matching_combination() -> None:
    cells = expand(BASE + "axes:\n  a: [1, 2]\n  b: [x, y]\nexclude:\n  - {a: 1}\n  - {a: 2, b: y}\n")
    assert cells == [{"a": 2, "b": "x"}]


def test_include_extends_matching_combinations_without_overwriting_axes() -> None:
    cells = expand(BASE + "axes:\n  a: [1, 2]\n  b: [x, y]\ninclude:\n  - {a: 1, extra: e1}\n  - {extra2: all}\n")
    assert cells[0] == {"a": 1, "b": "x", "extra": "e1", "extra2": "all"}
    assert cells[2] == {"a": 2, "b": "x", "extra2": "all"}
    assert len(cells) == 4


def test_include_that_matches_nothing_adds_a_new_cell() -> None:
    cells = expand(BASE + "axes:\n  a: [1, 2]\ninclude:\n  - {a: 3, b: z}\n")
    assert cells == [{"a": 1}, {"a": 2}, {"a": 3, "b": "z"}]


def test_include_may_overwrite_values_added_by_an_earlier_include() -> None:
    cells = expand(BASE + "axes:\n  a: [1]\ninclude:\n  - {k: first}\n  - {a: 1, k: second}\n")
    assert cells == [{"a": 1, "k": "second"}]


def test_include_without_axes_makes_one_cell_each() -> None:
    cells = expand(BASE + "include:\n  - {a: 1}\n  - {a: 2}\n")
    assert cells == [{"a": 1}, {"a": 2}]


def test_templates_fill_every_string_and_defaults_merge_under_cell() -> None:
    matrix = loads(
        textwrap.dedent(
            """\
            schema_version: 1
            defaults:
              gpus: none
              timeout: 90s
              env: {A: "1"}
              build: {dockerfile: d.Dockerfile, args: {X: "x"}}
            axes:
              cuda: ["12.10", "11.8"]
            cell:
              name: "c{cuda}"
              env: {B: "{cuda}"}
              build: {base: "base:{cuda}", args: {Y: "{cuda}-{{literal}}"}}
            """
        ),
        path="dir/m.yaml",
    )
    first = matrix.cells()[0]
    assert first.name == "c12.10"  # floats keep their text
    assert first.gpus == "none"
    assert first.timeout_s == 90
    assert first.env == {"A": "1", "B": "12.10"}
    assert first.build is not None
    assert first.build.base == "base:12.10"
    assert first.build.args == {"X": "x", "Y": "12.10-{literal}"}
    assert first.build.dockerfile == Path("dir/d.Dockerfile")


def test_cell_fields_are_normalised() -> None:
    matrix = loads(
        "schema_version: 1\ncell:\n  image: i\n  gpus: [0, 1]\n  timeout: 2m\n  expect: {cuda.devices: fail}\n"
        "  probe_layer: false\n"
    )
    cell = matrix.cells()[0]
    assert cell.gpus == "device=0,1"
    assert cell.timeout_s == 120
    assert cell.expect == {"cuda.devices": Status.FAIL}
    assert cell.probe_layer.enabled is False
    assert cell.name == "i"


def test_only_selects_by_glob_or_substring() -> None:
    matrix = loads("schema_version: 1\naxes:\n  a: [one, two, three]\ncell:\n  name: 'n-{a}'\n  image: i\n")
    assert [c.name for c in matrix.select(["*-t*"])] == ["n-two", "n-three"]
    assert [c.name for c in matrix.select(["one"])] == ["n-one"]
    with pytest.raises(MatrixError, match="matches no cell; the cells are: n-one, n-two, n-three"):
        matrix.select(["zzz"])


# -- every validation error names the file, the line and the key --------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        (
            "schema_version: 1\ncel:\n  image: i\n",
            2,
            "cel",
            "unknown key 'cel' in top level; did you mean 'cell'?",
        ),
        (
            "schema_version: 1\ncell:\n  imgae: i\n",
            3,
            "imgae",
            "unknown key 'imgae' in cell; did you mean 'image'?",
        ),
        (
            "schema_version: 1\ncell:\n  image: i\n  probe_layer:\n    opencv_verison: 1\n",
            5,
            "opencv_verison",
            "did you mean 'opencv_version'?",
        ),
        (
            "schema_version: 1\ncell:\n  build:\n    dockerfil: x\n",
            4,
            "dockerfil",
            "did you mean 'dockerfile'?",
        ),
        ("schema_version: 2\ncell:\n  image: i\n", 1, "schema_version", "schema_version 2 is not supported"),
        ("cell:\n  image: i\n", 1, "schema_version", "missing `schema_version`"),
        ("schema_version: 1\ncell:\n  image: i\n  gpus: some\n", 4, "gpus", "`gpus` must be all, none, auto"),
        (
            "schema_version: 1\ncell:\n  image: i\n  timeout: soon\n",
            4,
            "timeout",
            "`timeout` must be seconds",
        ),
        (
            "schema_version: 1\ncell:\n  image: i\n  expect: {cuda.devices: maybe}\n",
            4,
            "cuda.devices",
            "must be one of",
        ),
        (
            "schema_version: 1\ncell:\n  image: 'x:{cdua}'\naxes:\n  cuda: [1]\n",
            3,
            "image",
            "did you mean {cuda}?",
        ),
        ("schema_version: 1\ncell:\n  image: 'x:{'\n", 3, "image", "unbalanced brace"),
        ("schema_version: 1\naxes:\n  a: []\ncell:\n  image: i\n", 3, "a", "must be a non-empty list"),
        (
            "schema_version: 1\naxes:\n  a: [1]\nexclude:\n  - {b: 1}\ncell:\n  image: i\n",
            5,
            "b",
            "not an axis",
        ),
        ("schema_version: 1\ncell:\n  gpus: all\n", 2, "image", "needs an `image` to pull or a `build`"),
        ("schema_version: 1\ncell:\n  image: i\n  build: {dockerfile: d}\n", 4, "build", "not both"),
        (
            "schema_version: 1\naxes:\n  a: [1, 2]\ncell:\n  name: same\n  image: i\n",
            5,
            "name",
            "two cells are both named 'same'",
        ),
        (
            "schema_version: 1\ncell:\n  image: i\n  network: yes please\n",
            4,
            "network",
            "must be true or false",
        ),
        (
            "schema_version: 1\nsettings:\n  ca_bundel: x\ncell:\n  image: i\n",
            3,
            "ca_bundel",
            "did you mean 'ca_bundle'?",
        ),
        ("schema_version: 1\ncell:\n  image: i\n  image: j\n", 4, "image", "appears twice"),
        (
            "schema_version: 1\naxes:\n  a: [1]\nexclude:\n  - {a: 1}\ncell:\n  image: i\n",
            1,
            None,
            "expands to no cell",
        ),
    ],
)
def test_validation_errors_name_file_line_and_key(text: str, line: int | None, key: str | None, fragment: str) -> None:
    err = error_of(text)
    assert fragment in str(err)
    assert str(err).startswith("m.yaml")
    assert err.line == line
    assert err.key == key
    assert err.exit_code == 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "must be a mapping of keys, not a list"),
        ("just text", "must be a mapping of keys, not a string"),
        ("a: [1, 2\n", "not valid YAML"),
        ("schema_version: 1\ncell: !!python/object/apply:os.system ['true']\n", "YAML tag"),
        ("schema_version: 1\ncell:\n  image: !!binary aGk=\n", "YAML tag"),
        ("schema_version: 1\nx: &a [1]\n<<: {y: 1}\n", "merge keys"),
    ],
)
def test_non_matrix_files_are_clear_errors(text: str, fragment: str) -> None:
    assert fragment in str(error_of(text))


def test_yaml_bomb_is_refused_quickly() -> None:
    lines = ["schema_version: 1", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    err = error_of("\n".join(lines) + "\n")
    assert "expands to more than" in str(err)


def test_recursive_alias_is_refused() -> None:
    assert "nesting deeper" in str(error_of("schema_version: 1\na: &x [*x]\n")) or "expands" in str(
        error_of("schema_version: 1\na: &x [*x]\n")
    )


def test_load_reports_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match="no such file"):
        load(tmp_path / "absent.yaml")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(MatrixError, match="not a text file"):
        load(binary)


def test_shipped_matrices_are_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    assert len(load(root / "matrix.yaml").cells()) >= 8
    offline = load(root / "examples/offline.yaml").cells()
    assert {c.coordinates["cuda"] for c in offline} >= {"11.8", "12.4", "12.9", "13.0"}
    assert {c.probe_layer.opencv_version[0] for c in offline} == {"4", "5"}
