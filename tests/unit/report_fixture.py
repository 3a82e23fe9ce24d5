"""A fixed report with passing, failing, skipped, erroring and expected-failure checks, for golden files."""

from __future__ import annotations

from checker.results import CellResult, CheckResult, Report, RunInfo, Status

HOST = {
    "label": "gpu-host-1",
    "platform": "linux",
    "nvml": {
        "ok": True,
        "driver_version": "535.104.05",
        "cuda_driver_version": "12.2",
        "gpus": [{"index": 0, "name": "NVIDIA A10", "compute_capability": "8.6"}],
    },
    "docker": {"server_version": "24.0.7"},
}


def _check(
    check_id: str, status: Status, message: str = "", expected: Status | None = None, **details: object
) -> CheckResult:
    return CheckResult(
        id=check_id, status=status, message=message, duration_s=0.25, details=dict(details), expected=expected
    )


def fixture_report() -> Report:
    good = CellResult(
        name="cuda12.2-ubuntu22.04",
        coordinates={"cuda": "12.2.2", "os": "ubuntu22.04"},
        image_ref="nvidia/cuda:12.2.2-runtime-ubuntu22.04",
        image_id="sha256:1111",
        gpus="all",
        checks=(
            _check("image.available", Status.PASS, "pulled"),
            _check("container.start", Status.PASS, "started with gpus: all"),
            _check("probe.output", Status.PASS, "one well-formed document with 3 checks"),
            _check("cuda.runtime", Status.PASS, "libcudart 12.2 (12020)", version_text="12.2"),
            _check("cuda.driver", Status.PASS, "CUDA driver 12.2", cuDriverGetVersion={"rc": 0, "value": 12020}),
            _check("cuda.devices", Status.PASS, "1 device(s)", count=1),
            _check("opencv.build", Status.PASS, "built without CUDA", cuda=False, opencv_version="4.14.0"),
            _check("opencv.cuda.devices", Status.SKIP, "cv2 built without CUDA: count = 0", count=0),
            _check(
                "compat.agreement",
                Status.PASS,
                "predicted and observed native",
                predicted="native",
                observed="native",
                rule="native",
            ),
        ),
        prediction={"verdict": "native", "cuda_verdict": "native", "rule": "native", "reason": "12.2 <= 12.2"},
        exit_code=0,
    )
    too_new = CellResult(
        name="cuda12.4-ubuntu22.04",
        coordinates={"cuda": "12.4.1", "os": "ubuntu22.04"},
        image_ref="nvidia/cuda:12.4.1-runtime-ubuntu22.04",
        image_id="sha256:2222",
        gpus="all",
        checks=(
            _check("image.available", Status.PASS, "pulled"),
            _check("container.start", Status.PASS, "started"),
            _check("probe.output", Status.PASS, "ok"),
            _check("cuda.runtime", Status.PASS, "libcudart 12.4 (12040)", version_text="12.4"),
            _check(
                "cuda.kernel",
                Status.FAIL,
                "PTX from CUDA 12.4 (ISA 8.4) cannot be JIT-compiled | newer than driver",
                expected=Status.FAIL,
            ),
            _check("cuda.memcpy", Status.FAIL, "cudaMemcpy failed: 35 | <driver too old>"),
            _check("opencv.import", Status.ERROR, "the check itself broke: KeyError: 'x'"),
            _check(
                "compat.agreement",
                Status.FAIL,
                "predicted minor-compat, observed native",
                predicted="minor-compat",
                observed="native",
                rule="minor-version-compatibility",
            ),
        ),
        exit_code=0,
        log_tail=("warning: something",),
    )
    missing = CellResult(
        name="cuda13.0-ubuntu24.04",
        coordinates={"cuda": "13.0.0", "os": "ubuntu24.04"},
        image_ref="nvidia/cuda:13.0.0-runtime-ubuntu24.04",
        gpus="all",
        checks=(
            _check(
                "image.available",
                Status.FAIL,
                "cannot pull nvidia/cuda:13.0.0-runtime-ubuntu24.04: manifest unknown",
            ),
            _check("container.start", Status.SKIP, "no image (see image.available)"),
            _check("probe.output", Status.SKIP, "no image (see image.available)"),
            _check("cuda.devices", Status.PASS, "unexpected pass", expected=Status.FAIL),
        ),
    )
    return Report(
        run=RunInfo(
            id="20260101T000000-abcdef",
            started="2026-01-01T00:00:00+00:00",
            finished="2026-01-01T00:01:00+00:00",
            checker_version="0.1.0",
            command_line=("checker", "run", "matrix.yaml"),
            matrix_path="matrix.yaml",
        ),
        host=HOST,
        cells=(good, too_new, missing),
    )
