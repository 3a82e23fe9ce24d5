"""What actually happened in a cell, as a verdict, and whether it agrees with the prediction.

The observed verdict is read off the checks: the toolkit refusing the start, error 804 or 35 at CUDA
initialisation, the driver library coming from the image's cuda-compat folder, PTX JIT failing with 222
while older PTX loads, or a clean run whose runtime is not newer than the driver.
"""

from __future__ import annotations

from typing import Any

from checker.compat.predict import Verdict
from checker.results import CellResult, CheckResult, Status

INSUFFICIENT_DRIVER = {35, 3}  # cudaErrorInsufficientDriver; cudaErrorInitializationError below the floor
COMPAT_NOT_SUPPORTED = 804


def observe(checks: tuple[CheckResult, ...] | list[CheckResult]) -> tuple[Verdict | None, str]:
    """The verdict the evidence shows, and the evidence in words; None when nothing was observed."""
    by_id = {c.id: c for c in checks}
    start = by_id.get("container.start")
    if start is not None and start.status == Status.FAIL:
        if start.details.get("category") == "toolkit-requirement":
            return Verdict.TOOLKIT_REFUSES, "the container toolkit refused to start the container"
        return None, f"the container did not start ({start.details.get('category', 'unknown')})"
    output = by_id.get("probe.output")
    if output is None or output.status != Status.PASS:
        return None, "the probe produced no evidence"
    driver, devices, kernel = by_id.get("cuda.driver"), by_id.get("cuda.devices"), by_id.get("cuda.kernel")
    init_rc = _get(driver, "cuInit", "rc")
    devices_rc = _get(devices, "rc")
    if COMPAT_NOT_SUPPORTED in (init_rc, devices_rc):
        return Verdict.FORWARD_COMPAT_UNSUPPORTED_HW, "CUDA initialisation failed with 804"
    if devices_rc in INSUFFICIENT_DRIVER:
        return Verdict.UNSUPPORTED, f"cudaGetDeviceCount returned {devices_rc} (driver too old for the runtime)"
    if driver is None or driver.status != Status.PASS or devices is None or devices.status != Status.PASS:
        return None, "no working CUDA driver and device were seen"
    if "cuda-compat" in str(driver.details.get("origin", "")):
        return (
            Verdict.FORWARD_COMPAT,
            f"libcuda came from the image's cuda-compat folder ({driver.details.get('path')})",
        )
    if kernel is not None and kernel.status == Status.FAIL and (kernel.details.get("fallback_attempt") or {}).get("ok"):
        return Verdict.MINOR_COMPAT, "PTX of the runtime's ISA failed with 222 while older PTX loaded"
    runtime = _get(by_id.get("cuda.runtime"), "version")
    seen_driver = _get(driver, "cuDriverGetVersion", "value")
    if isinstance(runtime, int) and isinstance(seen_driver, int) and seen_driver:
        if runtime <= seen_driver:
            return Verdict.NATIVE, f"runtime {runtime} <= driver {seen_driver}, devices usable"
        if runtime // 1000 == seen_driver // 1000:
            return Verdict.MINOR_COMPAT, f"runtime {runtime} > driver {seen_driver} (same major), devices usable"
    return None, "the runtime and driver versions could not be compared"


def agreement(cell: CellResult, prediction: dict[str, Any] | None, why_none: str = "") -> CheckResult:
    """The `compat.agreement` check: the prediction against the observation, naming both and the rule."""
    if prediction is None:
        return CheckResult(id="compat.agreement", status=Status.SKIP, message=why_none or "no prediction for this cell")
    if cell.gpus == "none":
        return CheckResult(
            id="compat.agreement",
            status=Status.SKIP,
            message=f"no GPU requested: predicted {prediction['verdict']}, nothing observed to compare",
            details={"predicted": prediction["verdict"]},
        )
    observed, evidence = observe(cell.checks)
    details = {
        "predicted": prediction["verdict"],
        "observed": observed.value if observed else None,
        "evidence": evidence,
        "rule": prediction["rule"],
    }
    if observed is None:
        return CheckResult(
            id="compat.agreement",
            status=Status.SKIP,
            message=f"predicted {prediction['verdict']}; observed nothing comparable: {evidence}",
            details=details,
        )
    if observed.value == prediction["verdict"]:
        return CheckResult(
            id="compat.agreement",
            status=Status.PASS,
            message=f"predicted and observed {observed.value} ({evidence})",
            details=details,
        )
    return CheckResult(
        id="compat.agreement",
        status=Status.FAIL,
        message=f"predicted {prediction['verdict']} by rule {prediction['rule']} ({prediction['reason']}), but "
        f"observed {observed.value}: {evidence}. Either checker's rules are wrong or this is news worth publishing.",
        details=details,
    )


def _get(check: CheckResult | None, *keys: str) -> Any:
    value: Any = check.details if check is not None else None
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
