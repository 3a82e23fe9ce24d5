"""The probe in images built to trip it: two OpenCV distributions, a non-headless wheel without libGL,
and the probe on bare or old interpreters."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from tests.integration.conftest import IMAGES, ROOT, run_cli, write_matrix

pytestmark = pytest.mark.integration

PROBE = ROOT / "checker" / "probe.py"

OPENCV_TRAPS = f"""\
schema_version: 1
defaults: {{gpus: none, timeout: 120s}}
axes:
  kind: [two-opencvs, no-libgl]
include:
  - {{kind: two-opencvs, dockerfile: two-opencvs, opencv: opencv-contrib-python-headless}}
  - {{kind: no-libgl, dockerfile: plain, opencv: opencv-python}}
cell:
  name: "{{kind}}"
  build:
    base: "debootstrap:bookworm"
    dockerfile: "{IMAGES}/{{dockerfile}}.Dockerfile"
  probe_layer:
    opencv: "{{opencv}}"
    opencv_version: "4.14.0.94"
"""


@pytest.fixture(scope="module")
def traps(
    tmp_path_factory: pytest.TempPathFactory, client: docker.DockerClient
) -> dict[str, dict[str, dict[str, object]]]:
    tmp = tmp_path_factory.mktemp("traps")
    run_cli("run", str(write_matrix(tmp, OPENCV_TRAPS)), "-o", str(tmp / "out"), "-j", "2", "-q")
    report = json.loads((tmp / "out" / "report.json").read_text())
    return {cell["name"]: {c["id"]: c for c in cell["checks"]} for cell in report["cells"]}


def test_two_opencv_distributions_are_a_failure(traps: dict[str, dict[str, dict[str, object]]]) -> None:
    check = traps["two-opencvs"]["opencv.import"]
    assert check["status"] == "fail"
    assert "several OpenCV distributions are installed at once" in str(check["message"])
    assert "opencv-contrib-python-headless==4.14.0.94" in str(check["message"])
    assert "opencv-python-headless==4.14.0.94" in str(check["message"])


def test_non_headless_wheel_without_libgl_is_explained(traps: dict[str, dict[str, dict[str, object]]]) -> None:
    check = traps["no-libgl"]["opencv.import"]
    assert check["status"] == "fail"
    # opencv-python 4.14 on a minimal Debian stops at libxcb.so.1 before it reaches libGL.so.1.
    assert re.search(r"lib(GL|xcb)\.so\.1: cannot open shared object file", str(check["message"]))
    assert "-headless wheel instead" in str(check["message"])
    assert traps["no-libgl"]["opencv.build"]["status"] == "skip"


def _probe_document(argv: list[str]) -> dict[str, object]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("CHECKER-PROBE "), proc.stdout
    return json.loads(lines[0][len("CHECKER-PROBE ") :])


def test_probe_on_a_bare_interpreter() -> None:
    document = _probe_document([sys.executable, "-I", "-S", str(PROBE)])
    assert {c["id"] for c in document["checks"]} >= {"cuda.runtime", "opencv.import"}
    assert all(c["status"] != "error" for c in document["checks"]), document


def test_probe_on_python_3_8() -> None:
    python38 = _python_3_8()
    if python38 is None:
        pytest.skip("no Python 3.8 interpreter on this machine")
    document = _probe_document([python38, str(PROBE)])
    assert all(c["status"] != "error" for c in document["checks"]), document


def _python_3_8() -> str | None:
    """A working Python 3.8: on PATH, or among pyenv's versions."""
    candidates = [shutil.which("python3.8")]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += sorted(str(p) for p in Path(root).glob("versions/3.8*/bin/python3.8"))
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def test_probe_layer_installs_python_where_the_image_has_none(tmp_path: Path, client: docker.DockerClient) -> None:
    matrix = write_matrix(
        tmp_path,
        f"""\
schema_version: 1
cell:
  name: no-python-at-all
  gpus: none
  build:
    base: "debootstrap:bookworm"
    dockerfile: "{IMAGES}/without-python.Dockerfile"
  probe_layer: {{opencv: opencv-contrib-python-headless, opencv_version: "4.14.0.94"}}
""",
    )
    result = run_cli("run", str(matrix), "-o", str(tmp_path / "out"), "-q")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    checks = {c["id"]: c for c in report["cells"][0]["checks"]}
    assert checks["image.available"]["status"] == "pass", checks["image.available"]["message"]
    assert checks["probe.output"]["status"] == "pass"
    assert checks["opencv.import"]["status"] == "pass", checks["opencv.import"]["message"]
    assert result.code == 1  # the image has no libcudart: cuda.runtime fails, as it should
