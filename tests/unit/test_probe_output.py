"""Host-side validation of what the probe printed: garbage becomes a failed probe.output check."""

from __future__ import annotations

import json

from checker.probe_output import parse_probe_output
from checker.results import Status

GOOD = "CHECKER-PROBE " + json.dumps(
    {
        "probe_version": 1,
        "checks": [{"id": "cuda.runtime", "status": "pass", "message": "12.4", "details": {"version": 12040}}],
    }
)


def test_one_good_document_passes_and_carries_its_checks() -> None:
    parsed = parse_probe_output("banner line\n" + GOOD + "\n", 0, [])
    assert parsed.output_check.status == Status.PASS
    assert [c.id for c in parsed.checks] == ["cuda.runtime"]
    assert parsed.checks[0].details == {"version": 12040}


def test_no_output_names_exit_code_and_last_lines() -> None:
    parsed = parse_probe_output("", 127, ['exec: "python3": executable file not found in $PATH'])
    check = parsed.output_check
    assert check.status == Status.FAIL
    assert "exit code 127" in check.message
    assert "executable file not found" in check.message
    assert check.details["category"] == "probe-crashed"


def test_garbage_truncated_and_duplicate_documents_fail() -> None:
    assert "not valid JSON" in parse_probe_output('CHECKER-PROBE {"checks": [', 0, []).output_check.message
    assert "2 documents" in parse_probe_output(GOOD + "\n" + GOOD, 0, []).output_check.message
    assert "no `checks` list" in parse_probe_output("CHECKER-PROBE {}", 0, []).output_check.message
    assert "not a JSON object" in parse_probe_output("CHECKER-PROBE [1]", 0, []).output_check.message
    bad_status = "CHECKER-PROBE " + json.dumps({"checks": [{"id": "x", "status": "great"}]})
    assert "status 'great'" in parse_probe_output(bad_status, 0, []).output_check.message


def test_crash_by_signal_is_named() -> None:
    parsed = parse_probe_output("", 134, ["terminate called after throwing an instance of 'cv::Exception'"])
    assert parsed.output_check.status == Status.FAIL
    assert "SIGABRT" in parsed.output_check.message
    assert parsed.output_check.details["category"] == "probe-crashed"


def test_fatal_document_keeps_its_checks_but_fails_output() -> None:
    text = "CHECKER-PROBE " + json.dumps({"checks": [{"id": "a", "status": "pass"}], "fatal": "boom"})
    parsed = parse_probe_output(text, 0, [])
    assert parsed.output_check.status == Status.FAIL
    assert len(parsed.checks) == 1


def test_failed_probe_checks_are_diagnosed() -> None:
    item = {
        "id": "cuda.devices",
        "status": "fail",
        "message": "cudaGetDeviceCount returned 35 (CUDA driver version is insufficient for CUDA runtime version)",
    }
    parsed = parse_probe_output("CHECKER-PROBE " + json.dumps({"checks": [item]}), 0, [])
    assert parsed.checks[0].details["category"] == "driver-insufficient"
    assert "install a driver" in parsed.checks[0].details["advice"]
