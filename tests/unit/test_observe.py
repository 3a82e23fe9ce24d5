"""Observed verdicts read off the checks, and compat.agreement against the prediction."""

from __future__ import annotations

from typing import Any

from checker.compat import DriverInfo, predict
from checker.compat.observe import agreement, observe
from checker.results import CellResult, CheckResult, Status

OK_START = CheckResult(id="container.start", status=Status.PASS)
OK_OUTPUT = CheckResult(id="probe.output", status=Status.PASS)


def check(check_id: str, status: Status, **details: Any) -> CheckResult:
    return CheckResult(id=check_id, status=status, details=details)


def running(runtime: int, driver: int, **extra: CheckResult) -> list[CheckResult]:
    checks = {
        "container.start": OK_START,
        "probe.output": OK_OUTPUT,
        "cuda.runtime": check("cuda.runtime", Status.PASS, version=runtime),
        "cuda.driver": check(
            "cuda.driver", Status.PASS, origin="host driver", cuDriverGetVersion={"value": driver}, cuInit={"rc": 0}
        ),
        "cuda.devices": check("cuda.devices", Status.PASS, rc=0, count=1),
        "cuda.kernel": check("cuda.kernel", Status.PASS),
    }
    checks.update(extra)
    return list(checks.values())


def test_observations() -> None:
    assert observe(running(12020, 12020))[0].value == "native"
    assert observe(running(12040, 12020))[0].value == "minor-compat"
    kernel_222 = check("cuda.kernel", Status.FAIL, first_attempt={"rc": 222}, fallback_attempt={"ok": True})
    assert observe(running(12040, 12020, **{"cuda.kernel": kernel_222}))[0].value == "minor-compat"
    compat = check(
        "cuda.driver",
        Status.PASS,
        origin="cuda-compat (forward compatibility libraries of the image)",
        cuDriverGetVersion={"value": 12040},
        path="/usr/local/cuda-12.4/compat/libcuda.so.1",
    )
    assert observe(running(12040, 12040, **{"cuda.driver": compat}))[0].value == "forward-compat"
    init_804 = check("cuda.driver", Status.FAIL, cuInit={"rc": 804})
    assert observe(running(12040, 12020, **{"cuda.driver": init_804}))[0].value == "forward-compat-unsupported-hw"
    too_old = check("cuda.devices", Status.FAIL, rc=35)
    assert observe(running(12040, 11040, **{"cuda.devices": too_old}))[0].value == "unsupported"
    refused = check("container.start", Status.FAIL, category="toolkit-requirement")
    assert observe([refused])[0].value == "toolkit-refuses"
    other = check("container.start", Status.FAIL, category="toolkit-missing")
    assert observe([other]) == (None, "the container did not start (toolkit-missing)")
    assert observe([OK_START, check("probe.output", Status.FAIL)])[0] is None


def cell(checks: list[CheckResult], gpus: str = "all") -> CellResult:
    return CellResult(name="c", coordinates={}, image_ref="i", gpus=gpus, checks=tuple(checks))


def test_agreement_passes_fails_and_skips() -> None:
    prediction = predict(DriverInfo("linux", "535.104.05", gpu_brand="Tesla"), "12.4.1").to_dict()
    assert prediction["verdict"] == "minor-compat"
    assert agreement(cell(running(12040, 12020)), prediction).status == Status.PASS
    disagreement = agreement(cell(running(12020, 12020)), prediction)
    assert disagreement.status == Status.FAIL
    assert "predicted minor-compat by rule minor-version-compatibility" in disagreement.message
    assert "observed native" in disagreement.message
    assert agreement(cell(running(12040, 12020), gpus="none"), prediction).status == Status.SKIP
    none = agreement(cell([]), None, "no NVIDIA driver on this host (NVML): nothing to predict")
    assert none.status == Status.SKIP and "no NVIDIA driver" in none.message
