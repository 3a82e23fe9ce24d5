"""Host side of the probe: turn what a container printed into checks, garbage included.

The probe promises exactly one `CHECKER-PROBE <json>` line. Anything else (no line, several, a
truncated or malformed document, a crash by signal) becomes a failed `probe.output` check that names
the container's exit code and its last log lines, instead of an exception.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from checker.diagnose import classify
from checker.results import CheckResult, Status

PREFIX = "CHECKER-PROBE "
SIGNALS = {134: "SIGABRT", 137: "SIGKILL", 139: "SIGSEGV", 136: "SIGFPE", 135: "SIGBUS"}


@dataclass(frozen=True)
class ParsedProbe:
    output_check: CheckResult
    checks: tuple[CheckResult, ...]
    document: dict[str, Any] | None


def parse_probe_output(stdout: str, exit_code: int | None, log_tail: list[str]) -> ParsedProbe:
    """Validate the probe's stdout; the checks it carries, or a failed `probe.output` saying why."""
    lines = [line for line in stdout.splitlines() if line.startswith(PREFIX)]
    context = {"exit_code": exit_code, "log_tail": log_tail[-10:]}
    if exit_code in SIGNALS:
        return _failed(
            f"the probe crashed: exit code {exit_code} ({SIGNALS[exit_code]}); last lines: {_last(log_tail)}",
            {**context, "category": "probe-crashed"},
        )
    if not lines:
        diagnosis = classify("\n".join(log_tail))
        reason = f"the probe printed no {PREFIX.strip()} line (exit code {exit_code}); last lines: {_last(log_tail)}"
        return _failed(reason, {**context, "category": diagnosis.category, "advice": diagnosis.advice})
    if len(lines) > 1:
        return _failed(f"the probe printed {len(lines)} documents instead of one", context)
    try:
        document = json.loads(lines[0][len(PREFIX) :])
    except ValueError as exc:
        return _failed(f"the probe's document is not valid JSON ({exc}); truncated?", context)
    problem = _shape_problem(document)
    if problem:
        return _failed(f"the probe's document is malformed: {problem}", context)
    checks = tuple(_check_from(item) for item in document["checks"])
    if document.get("fatal"):
        return _failed(f"the probe stopped early: {document['fatal']}", context, document, checks)
    ok = CheckResult(
        id="probe.output",
        status=Status.PASS,
        message=f"one well-formed document with {len(checks)} checks",
        details={"exit_code": exit_code, "probe_version": document.get("probe_version")},
    )
    return ParsedProbe(ok, checks, document)


def _failed(
    message: str,
    details: dict[str, Any],
    document: dict[str, Any] | None = None,
    checks: tuple[CheckResult, ...] = (),
) -> ParsedProbe:
    return ParsedProbe(
        CheckResult(id="probe.output", status=Status.FAIL, message=message, details=details), checks, document
    )


def _shape_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "not a JSON object"
    checks = document.get("checks")
    if not isinstance(checks, list):
        return "no `checks` list"
    statuses = {s.value for s in Status}
    for i, item in enumerate(checks):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return f"check #{i} has no id"
        if item.get("status") not in statuses:
            return f"check {item['id']!r} has status {item.get('status')!r}"
    return None


def _check_from(item: dict[str, Any]) -> CheckResult:
    """One probe check; a failure gets the diagnosis of its message (category and what to do)."""
    details = dict(item["details"]) if isinstance(item.get("details"), dict) else {}
    status = Status(item["status"])
    message = str(item.get("message", ""))
    if status in (Status.FAIL, Status.ERROR) and "category" not in details:
        diagnosis = classify(message)
        if diagnosis.category != "unknown":
            details.update(category=diagnosis.category, advice=diagnosis.advice)
    return CheckResult(
        id=item["id"],
        status=status,
        message=message,
        duration_s=float(item.get("duration_s") or 0.0),
        details=details,
    )


def _last(lines: list[str], count: int = 3) -> str:
    tail = [line.strip() for line in lines if line.strip()][-count:]
    return " | ".join(tail) if tail else "(no output)"
