"""Known failure texts (seen in real issue threads and NVIDIA docs; see ../shared/reference) -> category."""

from __future__ import annotations

import pytest

from checker.diagnose import classify

# Sources: the issue threads and documents listed in ../shared/reference/anchors.md ("USER PAINS") and
# cuda-compat.md §6; e.g. NVIDIA/nvidia-docker#1352 (no device driver), NVIDIA/nvidia-container-toolkit#152
# (requirement error), NVIDIA/nvidia-docker#1692 (WSL no adapters), NVIDIA/nvidia-docker#1256 (803),
# DeepVAC/TorchPod#43 (804), NVIDIA/nvidia-docker#700 (35), opencv/opencv-python#398 (no CUDA support).
CORPUS = [
    # Docker with no NVIDIA device driver registered (moby daemon/errors.go).
    (
        'Error response from daemon: could not select device driver "" with capabilities: [[gpu]]',
        "toolkit-missing",
    ),
    # libnvidia-container's requirement check, as users see it.
    (
        "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.5, please update your driver to a "
        "newer version, or use an earlier cuda container: unknown.",
        "toolkit-requirement",
    ),
    (
        "nvidia-container-cli: initialization error: WSL environment detected but no adapters were found: unknown",
        "wsl-no-adapter",
    ),
    ("Failed to initialize NVML: Driver/library version mismatch", "driver-mismatch"),
    ("CUDA driver version is insufficient for CUDA runtime version", "driver-insufficient"),
    ("forward compatibility was attempted on non supported HW", "forward-compat-unsupported"),
    ("the provided PTX was compiled with an unsupported toolchain.", "ptx-unsupported"),
    ("no kernel image is available for execution on the device", "no-kernel-image"),
    ("no CUDA-capable device is detected", "no-device"),
    (
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
        "docker-unreachable",
    ),
    (
        "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: "
        "dial unix /var/run/docker.sock: connect: permission denied",
        "docker-permission",
    ),
    ("ImportError: libGL.so.1: cannot open shared object file: No such file or directory", "libgl-missing"),
    ("ImportError: libxcb.so.1: cannot open shared object file: No such file or directory", "libgl-missing"),
    (
        "OpenCV(5.0.0) /io/opencv/modules/core/include/opencv2/core/private/cuda_stubs.hpp:16: error: (-216:No CUDA "
        "support) The library is compiled without CUDA support in function 'throw_no_cuda'",
        "opencv-no-cuda",
    ),
    (
        "pull access denied for nvidia/cuda-nope, repository does not exist or may require 'docker login'",
        "image-not-found",
    ),
    (
        "manifest for nvidia/cuda:99.0-runtime not found: manifest unknown: manifest unknown",
        "image-not-found",
    ),
    (
        'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
        "registry-unreachable",
    ),
    (
        'OCI runtime create failed: exec: "python3": executable file not found in $PATH: unknown',
        "probe-crashed",
    ),
    # microsoft/WSL#9962, #9166: GPU use from a container on WSL2 blocked by Windows.
    ("Failed to initialize NVML: GPU access blocked by the operating system", "wsl-gpu-blocked"),
    # What NVML says without a driver (real libnvidia-ml from Debian, no kernel module).
    ("nvmlInit failed: Driver Not Loaded NVML_ERROR_DriverNotLoaded", "driver-not-loaded"),
    # gpustack/gpustack#1254: NVSwitch host without fabric manager.
    ("Failed to allocate device vector A (error code system not yet initialized)!", "system-not-initialized"),
    ("OOMKilled: true", "oom"),
    ("the probe did not finish within the cell's timeout of 4s", "timeout"),
    ("something nobody has seen", "unknown"),
]


@pytest.mark.parametrize(("text", "category"), CORPUS)
def test_corpus(text: str, category: str) -> None:
    diagnosis = classify(text)
    assert diagnosis.category == category
    assert diagnosis.advice


def test_explain_appends_advice_only_for_known_texts() -> None:
    from checker.diagnose import explain

    message, details = explain('could not select device driver "" with capabilities: [[gpu]]\n')
    assert message.startswith('could not select device driver "" with capabilities: [[gpu]] — Docker cannot')
    assert details["category"] == "toolkit-missing"
    assert explain("something nobody has seen") == (
        "something nobody has seen",
        {"category": "unknown", "advice": "See the message and the container's last log lines."},
    )
