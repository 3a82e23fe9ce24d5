"""junit.xml: one testsuite per cell, one testcase per check; failure, error and skipped kept apart.

A check whose outcome the matrix expected (e.g. `expect: {cuda.devices: fail}`) is reported as passing,
with the expectation in its output, so CI test views show what needs attention and nothing else.
"""

from __future__ import annotations

import json

from junit_xml import TestCase, TestSuite, to_xml_report_string

from checker.results import CellResult, CheckResult, Report, Status


def render(report: Report) -> str:
    suites = [_suite(cell, report) for cell in report.cells]
    return str(to_xml_report_string(suites, prettyprint=True, encoding="utf-8"))


def _suite(cell: CellResult, report: Report) -> TestSuite:
    properties = {
        "image": cell.image_ref,
        "image_id": cell.image_id or "",
        "gpus": cell.gpus,
        "host": str(report.host.get("label", "")),
        "run_id": report.run.id,
    }
    cases = [_case(cell, check) for check in cell.checks]
    return TestSuite(name=cell.name, test_cases=cases, properties=properties, package="checker")


def _case(cell: CellResult, check: CheckResult) -> TestCase:
    case = TestCase(
        name=check.id,
        classname=f"checker.{cell.name}",
        elapsed_sec=round(check.duration_s, 4),
        stdout=_output(check),
    )
    if check.expected is not None:
        if check.status == check.expected:
            return case
        case.add_failure_info(
            message=f"expected {check.expected.value}, got {check.status.value}: {check.message}",
            failure_type="unexpected",
        )
        return case
    if check.status == Status.FAIL:
        case.add_failure_info(message=check.message, failure_type="fail")
    elif check.status == Status.ERROR:
        case.add_error_info(message=check.message, error_type="error")
    elif check.status == Status.SKIP:
        case.add_skipped_info(message=check.message)
    return case


def _output(check: CheckResult) -> str:
    lines = [f"{check.status.value}: {check.message}"]
    if check.expected is not None:
        lines.append(f"expected: {check.expected.value}")
    if check.details:
        lines.append(json.dumps(check.details, sort_keys=True, indent=1, default=str))
    return "\n".join(lines)
