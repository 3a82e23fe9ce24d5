"""The probe's driver-API paths against a stand-in libcuda.so.1 (compiled here with gcc).

No GPU is needed: the stub returns chosen versions and errors, so cuInit failures, the PTX JIT, its
fallback on error 222 and result verification run for real in the probe's own code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker import probe

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
PROBE = HERE.parents[1] / "checker" / "probe.py"


@pytest.fixture(scope="module")
def stub_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    out = tmp_path_factory.mktemp("fake-driver")
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-Werror",
            "-o",
            str(out / "libcuda.so.1"),
            str(HERE / "fake_driver" / "libcuda_stub.c"),
        ],
        check=True,
    )
    return out


def run_probe(stub_dir: Path, timeout: str = "60", **fake: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKE_CUDA_")}
    env.update(LD_LIBRARY_PATH=str(stub_dir), CHECKER_GPUS="all", CHECKER_CHECK_TIMEOUT=timeout, **fake)
    proc = subprocess.run(
        [sys.executable, str(PROBE)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("CHECKER-PROBE ")]
    assert len(lines) == 1, proc.stdout
    return {c["id"]: c for c in json.loads(lines[0][len("CHECKER-PROBE ") :])["checks"]}


def test_driver_version_and_kernel_pass(stub_dir: Path) -> None:
    checks = run_probe(stub_dir, FAKE_CUDA_DRIVER_VERSION="12040")
    driver = checks["cuda.driver"]
    assert driver["status"] == "pass", driver["message"]
    assert driver["details"]["cuDriverGetVersion"]["value"] == 12040
    assert driver["details"]["path"].startswith(str(stub_dir))
    kernel = checks["cuda.kernel"]
    assert kernel["status"] == "pass", kernel["message"]
    assert "sm_86" in kernel["message"]


def test_cuinit_failure_is_named(stub_dir: Path) -> None:
    checks = run_probe(stub_dir, FAKE_CUDA_INIT_RESULT="804")
    driver = checks["cuda.driver"]
    assert driver["status"] == "fail"
    assert "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE (804)" in driver["message"]
    assert "forward compatibility was attempted" in driver["message"]
    assert checks["cuda.kernel"]["status"] == "fail"


def test_unsupported_ptx_falls_back_to_the_kernels_lowest_isa(stub_dir: Path) -> None:
    checks = run_probe(stub_dir, FAKE_CUDA_MAX_PTX="7.1")  # sm_86 needs ISA 7.1 at least
    kernel = checks["cuda.kernel"]
    assert kernel["status"] == "fail"
    assert "cannot be JIT-compiled by this driver (222" in kernel["message"]
    assert "older PTX (ISA 7.1) can" in kernel["message"]
    assert kernel["details"]["first_attempt"]["rc"] == 222
    assert "Unsupported .version" in kernel["details"]["first_attempt"]["jit_log"]
    assert kernel["details"]["fallback_attempt"]["ok"] is True
    expected_isa = probe.ptx_isa_for(kernel["details"]["runtime"])
    assert kernel["details"]["isa"] == expected_isa


def test_ptx_too_new_even_at_the_floor_fails_with_the_jit_log(stub_dir: Path) -> None:
    kernel = run_probe(stub_dir, FAKE_CUDA_MAX_PTX="6.0")["cuda.kernel"]
    assert kernel["status"] == "fail"
    assert "kernel failed at cuModuleLoadDataEx: CUDA_ERROR_UNSUPPORTED_PTX_VERSION" in kernel["message"]


def test_wrong_results_are_caught(stub_dir: Path) -> None:
    kernel = run_probe(stub_dir, FAKE_CUDA_WRONG_RESULT="1")["cuda.kernel"]
    assert kernel["status"] == "fail"
    assert "1024 of 1024 results wrong" in kernel["message"]


def test_no_device_through_the_driver(stub_dir: Path) -> None:
    kernel = run_probe(stub_dir, FAKE_CUDA_DEVICE_COUNT="0")["cuda.kernel"]
    assert kernel["status"] == "fail"
    assert "the driver sees no device" in kernel["message"]


def test_a_hung_driver_call_still_lets_the_document_out(stub_dir: Path) -> None:
    checks = run_probe(stub_dir, timeout="2", FAKE_CUDA_HANG_INIT="1")
    driver = checks["cuda.driver"]
    assert driver["status"] == "error"
    assert "did not finish within 2s" in driver["message"]
    assert checks["opencv.import"]["status"] in ("pass", "skip")  # the checks after it still ran
    assert checks["cuda.kernel"]["message"] == "not run: cuda.driver hung, so the driver is stuck; not started"
