"""Cells built to fail, on the real engine: each failure is a clear check, the run goes on, nothing is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from checker.engine import LABEL_RUN
from checker.engine.baseimage import ensure_debian_base
from tests.integration.conftest import IMAGES, ROOT, run_cli, write_matrix

pytestmark = pytest.mark.integration

Checks = dict[str, dict[str, dict[str, object]]]

MISBEHAVING = f"""\
schema_version: 1
defaults:
  gpus: none
  probe_layer: false
axes:
  kind: [good, no-python, hangs, garbage, segfault]
include:
  - {{kind: good, dockerfile: fake-pythons, python: python3, timeout: 60s}}
  - {{kind: no-python, dockerfile: no-python, python: python3, timeout: 60s}}
  - {{kind: hangs, dockerfile: fake-pythons, python: python-hang, timeout: 4s}}
  - {{kind: garbage, dockerfile: fake-pythons, python: python-garbage, timeout: 60s}}
  - {{kind: segfault, dockerfile: fake-pythons, python: python-segv, timeout: 60s}}
cell:
  name: "{{kind}}"
  python: "{{python}}"
  timeout: "{{timeout}}"
  build:
    base: "debootstrap:bookworm"
    dockerfile: "{IMAGES}/{{dockerfile}}.Dockerfile"
"""


def checks_of(out: Path) -> Checks:
    report = json.loads((out / "report.json").read_text())
    return {cell["name"]: {c["id"]: c for c in cell["checks"]} for cell in report["cells"]}


@pytest.fixture(scope="module")
def base(client: docker.DockerClient) -> str:
    return ensure_debian_base(client, "bookworm")


@pytest.fixture(scope="module")
def misbehaving(tmp_path_factory: pytest.TempPathFactory, base: str) -> tuple[int, Checks, Path]:
    tmp = tmp_path_factory.mktemp("misbehaving")
    matrix = write_matrix(tmp, MISBEHAVING)
    result = run_cli("run", str(matrix), "-o", str(tmp / "out"), "-j", "2", "-q")
    return result.code, checks_of(tmp / "out"), matrix


def test_misbehaving_probes_become_failed_checks(misbehaving: tuple[int, Checks, Path], no_leftovers: None) -> None:
    code, cells, _ = misbehaving
    assert code == 1
    assert cells["good"]["probe.output"]["status"] == "pass"
    assert cells["good"]["cuda.runtime"]["status"] == "fail"  # the bare base has no libcudart
    assert "no libcudart in the image" in cells["good"]["cuda.runtime"]["message"]
    smi = cells["good"]["driver.nvidia_smi"]
    assert smi["status"] == "pass" and smi["message"] == "driver 555.85, CUDA 12.5"
    no_python = cells["no-python"]["container.start"]
    assert no_python["status"] == "fail"
    assert "executable file not found" in no_python["message"]
    assert no_python["details"]["category"] == "probe-crashed"
    hang = cells["hangs"]["probe.output"]
    assert hang["status"] == "fail" and "did not finish within the cell's timeout of 4s" in hang["message"]
    assert "not valid JSON" in cells["garbage"]["probe.output"]["message"]
    assert "SIGSEGV" in cells["segfault"]["probe.output"]["message"]


def test_a_missing_image_fails_its_cell_while_the_others_pass(tmp_path: Path, base: str, no_leftovers: None) -> None:
    matrix = write_matrix(
        tmp_path,
        f"""\
schema_version: 1
defaults: {{gpus: none, probe_layer: false}}
axes:
  image: ["checker-test/does-not-exist:1", "{base}"]
cell:
  name: "{{image}}"
  image: "{{image}}"
""",
    )
    result = run_cli("run", str(matrix), "-o", str(tmp_path / "out"), "-q")
    cells = checks_of(tmp_path / "out")
    missing = cells["checker-test/does-not-exist:1"]["image.available"]
    assert missing["status"] == "fail"
    assert "cannot pull checker-test/does-not-exist:1" in str(missing["message"])
    assert cells["checker-test/does-not-exist:1"]["container.start"]["status"] == "skip"
    assert cells[base]["probe.output"]["status"] == "pass"
    assert cells[base]["opencv.import"]["status"] == "skip"  # the bare base has no cv2
    assert result.code == 1


def test_failed_start_with_a_gpu_request_leaves_no_container(
    tmp_path: Path, base: str, client: docker.DockerClient, no_leftovers: None
) -> None:
    if "nvidia" in (client.info().get("Runtimes") or {}):
        pytest.skip("this host can give containers a GPU; the start would not fail")
    matrix = write_matrix(tmp_path, f"schema_version: 1\ncell:\n  image: {base}\n  gpus: all\n  probe_layer: false\n")
    result = run_cli("run", str(matrix), "-o", str(tmp_path / "out"), "-q")
    start = next(iter(checks_of(tmp_path / "out").values()))["container.start"]
    assert start["status"] == "fail"
    assert start["details"]["category"] == "toolkit-missing"
    assert "NVIDIA Container Toolkit" in str(start["message"])
    assert result.code == 1


def test_ctrl_c_removes_containers_and_still_writes_the_report(
    misbehaving: tuple[int, Checks, Path], tmp_path: Path, client: docker.DockerClient, no_leftovers: None
) -> None:
    matrix = misbehaving[2].read_text().replace("timeout: 4s", "timeout: 300s")
    path = write_matrix(tmp_path, matrix)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "checker",
            "run",
            str(path),
            "--only",
            "hangs",
            "--only",
            "good",
            "-o",
            str(out),
            "-q",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = client.containers.list(filters={"label": LABEL_RUN, "status": "running"})
        if any(c.name.endswith("-hangs") for c in running):
            break
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the hanging cell never started")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["interrupted"] is True
    statuses = {c["name"]: [k["id"] for k in c["checks"]] for c in report["cells"]}
    assert "run.interrupted" in statuses["hangs"]


def test_docker_unreachable_exits_3_with_advice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    matrix = write_matrix(tmp_path, "schema_version: 1\ncell:\n  image: x\n")
    result = run_cli("run", str(matrix), "-o", str(tmp_path / "out"))
    assert result.code == 3
    assert "no Docker Engine answered" in result.err
    assert "tip: Start Docker" in result.err
    assert "Traceback" not in result.err


def test_clean_removes_leftovers_of_crashed_runs(base: str, client: docker.DockerClient, no_leftovers: None) -> None:
    client.containers.create(base, ["true"], labels={LABEL_RUN: "crashed-run"}, name="checker-crashed-run-x")
    result = run_cli("clean", "--run", "crashed-run")
    assert result.code == 0
    assert "removed 1 container(s): checker-crashed-run-x" in result.out


def test_bad_matrix_exits_2_without_traceback(tmp_path: Path) -> None:
    matrix = write_matrix(tmp_path, "schema_version: 1\ncell:\n  imgae: x\n")
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "run", str(matrix)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{matrix}:3: unknown key 'imgae' in cell; did you mean 'image'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_host_gpu_trial_on_an_engine_without_the_toolkit(base: str, client: docker.DockerClient) -> None:
    if "nvidia" in (client.info().get("Runtimes") or {}):
        pytest.skip("this host can give containers a GPU")
    result = run_cli("host", "--json", "--gpu-trial", base)
    assert result.code == 0
    trial = json.loads(result.out)["docker"]["gpu_trial"]
    assert trial["ok"] is False and trial["category"] == "toolkit-missing"
    assert not client.containers.list(all=True, filters={"label": "io.checker.trial"})
