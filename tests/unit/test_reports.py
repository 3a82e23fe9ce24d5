"""Reporters against golden files, the JSON round trip, JUnit read back by a JUnit consumer."""

from __future__ import annotations

from pathlib import Path

import pytest
from junitparser import JUnitXml

from checker.report import RENDERERS
from checker.results import Report
from tests.unit.report_fixture import fixture_report

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


@pytest.mark.parametrize("fmt", ["junit", "markdown", "json"])
def test_output_matches_golden_file(fmt: str, request: pytest.FixtureRequest) -> None:
    filename, render = RENDERERS[fmt]
    text = render(fixture_report())
    golden = GOLDEN / filename
    if request.config.getoption("--update-golden"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"{filename} changed; review, then run pytest --update-golden"


def test_report_json_round_trips() -> None:
    report = fixture_report()
    again = Report.from_dict(__import__("json").loads(report.to_json()))
    assert again == report


def test_unknown_schema_version_is_refused() -> None:
    data = fixture_report().to_dict()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version 99 is not supported"):
        Report.from_dict(data)


def test_junit_counts_read_back_by_a_junit_consumer(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(RENDERERS["junit"][1](fixture_report()), encoding="utf-8")
    suites = list(JUnitXml.fromfile(str(path)))
    assert [s.name for s in suites] == [
        "cuda12.2-ubuntu22.04",
        "cuda12.4-ubuntu22.04",
        "cuda13.0-ubuntu24.04",
    ]
    counts = [(s.tests, s.failures, s.errors, s.skipped) for s in suites]
    # cell 2: expected kernel failure passes, memcpy fails, import errors; cell 3: image fails, two skips, and
    # an expected failure that passed is a failure.
    assert counts == [(9, 0, 0, 1), (8, 2, 1, 0), (4, 2, 0, 2)]


def test_markdown_escapes_table_breaking_text() -> None:
    text = RENDERERS["markdown"][1](fixture_report())
    assert "cudaMemcpy failed: 35 \\| <driver too old>" in text
    assert "**1 of 3 cells as expected**" in text
