"""HostInfo against NVIDIA's real NVML library on a machine without a driver: nvmlInit fails for real.

CI fetches Debian's libnvidia-ml1 into a private folder (scripts/fetch-test-nvml) and names it in
CHECKER_TEST_NVML_DIR; nothing is installed system-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
FACTS = "import json; from checker.host import nvml_facts; print(json.dumps(nvml_facts()))"


def nvml_dir() -> str:
    folder = os.environ.get("CHECKER_TEST_NVML_DIR", "")
    if not folder or not (Path(folder) / "libnvidia-ml.so.1").exists():
        pytest.skip("no NVML library fetched (run scripts/fetch-test-nvml and set CHECKER_TEST_NVML_DIR)")
    if Path("/proc/driver/nvidia").exists():
        pytest.skip("this machine has an NVIDIA driver: nvmlInit would not fail")
    return folder


def run(code: list[str], library_path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LD_LIBRARY_PATH": library_path}
    return subprocess.run(code, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_real_nvml_without_a_driver_reports_why() -> None:
    proc = run([sys.executable, "-c", FACTS], nvml_dir())
    facts = json.loads(proc.stdout)
    assert facts["ok"] is False
    assert facts["error"] == "nvmlInit failed: Driver Not Loaded"
    assert facts["category"] == "driver-not-loaded"


def test_checker_host_runs_on_it() -> None:
    proc = run([sys.executable, "-m", "checker", "host", "--json"], nvml_dir())
    assert proc.returncode == 0, proc.stderr
    host = json.loads(proc.stdout)
    assert host["nvml"]["error"] == "nvmlInit failed: Driver Not Loaded"
    assert "cuda_releases" not in host  # no driver: nothing to tabulate


def test_no_nvml_library_at_all() -> None:
    proc = run([sys.executable, "-c", FACTS], "/nonexistent")
    facts = json.loads(proc.stdout)
    if facts["ok"] is False and "Library Not Found" not in facts["error"]:
        pytest.skip(f"an NVML library is installed system-wide here: {facts['error']}")
    assert facts["ok"] is False and "NVML Shared Library Not Found" in facts["error"]
