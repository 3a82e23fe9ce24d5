"""examples/offline.yaml end to end on the real engine: real CUDA runtime wheels, real OpenCV wheels."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest
from junitparser import JUnitXml

from tests.integration.conftest import ROOT, run_cli

pytestmark = pytest.mark.integration

WHEEL_RUNTIME = {"11.8": 11080, "12.4": 12040, "12.9": 12090, "13.0": 13000}


@pytest.fixture(scope="module")
def offline_report(tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient) -> tuple[int, Path]:
    out = tmp_path_factory.mktemp("offline")
    result = run_cli("run", str(ROOT / "examples/offline.yaml"), "-j", "2", "-o", str(out), "-q")
    assert (out / "report.json").exists(), result.err
    return result.code, out


def test_every_cell_reports_its_wheels_runtime_and_no_driver(offline_report: tuple[int, Path]) -> None:
    code, out = offline_report
    report = json.loads((out / "report.json").read_text())
    assert len(report["cells"]) == 8
    for cell in report["cells"]:
        checks = {c["id"]: c for c in cell["checks"]}
        runtime = checks["cuda.runtime"]
        assert runtime["status"] == "pass", runtime["message"]
        assert runtime["details"]["version"] == WHEEL_RUNTIME[cell["coordinates"]["cuda"]]
        assert checks["env.cuda_version"]["details"]["CUDA_VERSION"].startswith(cell["coordinates"]["cuda"])
        if cell["gpus"] == "none":
            assert checks["cuda.driver"]["status"] == "skip"
            assert "libcuda.so.1 is not in the container" in checks["cuda.driver"]["message"]
        assert checks["opencv.build"]["details"]["cuda"] is False
        assert checks["opencv.build"]["details"]["opencv_version"][0] == cell["coordinates"]["opencv"][0]
        assert checks["opencv.cuda.devices"]["status"] == "skip"
        assert "built without CUDA" in checks["opencv.cuda.devices"]["message"]
        agreement = checks["compat.agreement"]
        if cell["prediction"] is None:  # no NVIDIA driver on this host
            assert agreement["status"] == "skip" and "nothing to predict" in agreement["message"]
    if all(c["gpus"] == "none" for c in report["cells"]):
        assert code == 0


def test_11_8_version_comes_from_package_metadata_without_a_driver(offline_report: tuple[int, Path]) -> None:
    report = json.loads((offline_report[1] / "report.json").read_text())
    cell = next(c for c in report["cells"] if c["coordinates"]["cuda"] == "11.8")
    runtime = next(c for c in cell["checks"] if c["id"] == "cuda.runtime")
    if cell["gpus"] == "none":
        assert "nvidia-cuda-runtime-cu11==11.8.89" in runtime["details"]["source"]


def test_junit_read_back_matches_the_report(offline_report: tuple[int, Path]) -> None:
    out = offline_report[1]
    report = json.loads((out / "report.json").read_text())
    suites = list(JUnitXml.fromfile(str(out / "junit.xml")))
    assert [s.name for s in suites] == [c["name"] for c in report["cells"]]
    for suite, cell in zip(suites, report["cells"], strict=True):
        assert suite.tests == len(cell["checks"])
        assert suite.skipped == sum(1 for c in cell["checks"] if c["status"] == "skip" and not c.get("expected"))
    assert "| cuda11.8-opencv5.0.0.93 |" in (out / "matrix.md").read_text()


def test_warm_run_reuses_every_image(offline_report: tuple[int, Path], tmp_path: Path) -> None:
    result = run_cli("run", str(ROOT / "examples/offline.yaml"), "--only", "cuda12.4*", "-o", str(tmp_path))
    report = json.loads((tmp_path / "report.json").read_text())
    for cell in report["cells"]:
        image = next(c for c in cell["checks"] if c["id"] == "image.available")
        assert "reused from cache" in image["message"], result.err


def test_ca_bundle_is_not_baked_into_images(offline_report: tuple[int, Path], client: docker.DockerClient) -> None:
    report = json.loads((offline_report[1] / "report.json").read_text())
    image_id = report["cells"][0]["image_id"]
    output = client.containers.run(
        image_id,
        ["sh", "-c", "ls /tmp; test ! -e /tmp/checker-ca.pem && echo clean"],
        entrypoint=[],
        remove=True,
        network_mode="none",
    ).decode()
    assert "clean" in output
    for layer in client.api.history(image_id):
        assert "checker-ca.pem" not in (layer.get("CreatedBy") or "")
