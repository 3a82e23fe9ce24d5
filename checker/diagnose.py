"""Known failure texts -> a category and what to do about it.

Users meet these errors as walls of Docker output; each pattern below was seen in real issue threads or
NVIDIA's documentation (see ../shared/reference/). The first matching rule wins, so the more specific
texts come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    category: str
    advice: str
    matched: str | None = None


_RULES: tuple[tuple[str, str, str], ...] = (
    (
        "docker-permission",
        r"permission denied.*docker\.sock|dial unix .*docker\.sock: connect: permission denied",
        "Your user may not use the Docker socket: add it to the `docker` group (then log in again) or run "
        "checker with sudo.",
    ),
    (
        "docker-unreachable",
        r"Cannot connect to the Docker daemon|Error while fetching server API version|"
        r"docker\.sock: connect: no such file|Connection refused|Is the docker daemon running",
        "Start Docker (`sudo systemctl start docker`, or `sudo dockerd &` where there is no systemd; on WSL2 start "
        "Docker Desktop or the engine inside the distro), or point DOCKER_HOST at a running engine.",
    ),
    (
        "toolkit-requirement",
        r"requirement error: unsatisfied condition|unsatisfied condition: (cuda|driver|brand|arch)",
        "The image's NVIDIA_REQUIRE_CUDA asks for a newer driver than this host has. Install a newer driver, "
        "pick an image with an older CUDA, or set NVIDIA_DISABLE_REQUIRE=1 (the container then starts, but CUDA "
        "only works if minor-version compatibility covers it).",
    ),
    (
        "wsl-gpu-blocked",
        r"GPU access blocked by the operating system",
        "Windows blocks GPU access for this WSL2/container: check that the GPU is in WDDM mode (not TCC, not a "
        "data-centre GPU in compute mode), update the Windows driver and `wsl --update`.",
    ),
    (
        "wsl-no-adapter",
        r"WSL environment detected but no adapters were found",
        "WSL2 sees no GPU: update the Windows NVIDIA driver, run `wsl --update`, and check that `nvidia-smi` works "
        "inside the distro.",
    ),
    (
        "toolkit-missing",
        r'could not select device driver "?"? with capabilities: \[\[gpu\]\]|nvidia-container-runtime-hook.*not found|'
        r"unknown or invalid runtime name: nvidia",
        "Docker cannot give containers a GPU: install the NVIDIA Container Toolkit, run "
        "`sudo nvidia-ctk runtime configure --runtime=docker` and restart Docker; or run the cell with `gpus: none`.",
    ),
    (
        "driver-mismatch",
        r"Driver/library version mismatch|NVML/RM version mismatch|system has unsupported display driver / cuda "
        r"driver combination|CUDA_ERROR_SYSTEM_DRIVER_MISMATCH|\b803\b.*mismatch",
        "The loaded kernel module and the user-space driver libraries differ (often after a driver upgrade): "
        "reboot, or reload the nvidia kernel modules.",
    ),
    (
        "forward-compat-unsupported",
        r"forward compatibility was attempted on non supported HW|CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE|"
        r"cudaErrorCompatNotSupportedOnDevice",
        "The image's cuda-compat libraries were activated on a GPU that forward compatibility does not support "
        "(e.g. GeForce): upgrade the host driver to at least the image's CUDA release, or use an older image.",
    ),
    (
        "driver-insufficient",
        r"CUDA driver version is insufficient for CUDA runtime version|cudaErrorInsufficientDriver",
        "The driver is older than the image's CUDA runtime (or no driver is visible): install a driver at least "
        "as new as the image's CUDA release, run the container with `--gpus all`, or use an older image.",
    ),
    (
        "system-not-initialized",
        r"system not yet initialized|CUDA_ERROR_SYSTEM_NOT_READY|cudaErrorSystemNotReady",
        "On NVSwitch systems start nvidia-fabricmanager (`sudo systemctl start nvidia-fabricmanager`).",
    ),
    (
        "no-device",
        r"no CUDA-capable device is detected|CUDA_ERROR_NO_DEVICE|cudaErrorNoDevice",
        "No GPU is visible in the container: start it with `--gpus all` and check NVIDIA_VISIBLE_DEVICES.",
    ),
    (
        "ptx-unsupported",
        r"PTX was compiled with an unsupported toolchain|CUDA_ERROR_UNSUPPORTED_PTX_VERSION|"
        r"cudaErrorUnsupportedPtxVersion",
        "The driver is older than the toolkit that produced the PTX: upgrade the driver, or ship SASS for this GPU "
        "(nvcc -arch=sm_XX / CUDA_ARCH_BIN).",
    ),
    (
        "no-kernel-image",
        r"no kernel image is available for execution on the device|CUDA_ERROR_NO_BINARY_FOR_GPU",
        "The binary has no code for this GPU's architecture: rebuild with CUDA_ARCH_BIN covering it, or include PTX.",
    ),
    (
        "driver-not-loaded",
        r"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver|Driver Not Loaded|"
        r"NVML_ERROR_DRIVER_NOT_LOADED|NVML_ERROR_DriverNotLoaded|NVML Shared Library Not Found|"
        r"NVML_ERROR_LibraryNotFound",
        "The NVIDIA kernel driver is not loaded: install the driver or load the module (`sudo modprobe nvidia`).",
    ),
    (
        "libgl-missing",
        r"lib(GL|xcb|X11|SM|ICE|Xext|Xrender|gthread-2\.0)\.so\.\d+: cannot open shared object file",
        "The non-headless OpenCV wheels need X11/OpenGL libraries (libGL, libxcb…): install "
        "opencv-(contrib-)python-headless instead, or `apt-get install libgl1 libxcb1`.",
    ),
    (
        "opencv-no-cuda",
        r"compiled without CUDA support|No CUDA support|built without CUDA",
        "This OpenCV has no CUDA module (PyPI wheels never do): build OpenCV with WITH_CUDA=ON, or use an image "
        "that ships such a build.",
    ),
    (
        "image-not-found",
        r"manifest unknown|pull access denied|repository does not exist|No such image|not found: manifest|"
        r"manifest for .* not found",
        "The image reference does not exist (or needs `docker login`): check the tag, or build it with `build:`.",
    ),
    (
        "registry-unreachable",
        r"dial tcp|no such host|i/o timeout|TLS handshake timeout|x509: certificate|net/http: request canceled",
        "The registry cannot be reached from this host: check the network/proxy (for TLS-inspecting proxies pass "
        "`--ca-bundle`), or use images built locally (examples/offline.yaml).",
    ),
    (
        "probe-crashed",
        r"exec: \"?python3?\"?: executable file not found|exec format error|killed by signal|exit code (134|139)\b",
        "The probe could not run in this image: it needs `python3` (enable `probe_layer`) and the image's "
        "architecture must match the host.",
    ),
    (
        "oom",
        r"OOMKilled|out of memory|Cannot allocate memory",
        "The container ran out of memory: raise the memory limit or use smaller inputs.",
    ),
    (
        "timeout",
        r"timed out|did not finish within|deadline exceeded",
        "The container did not finish in time: raise the cell's `timeout`, or look for a hung driver call.",
    ),
)

_COMPILED = tuple((cat, re.compile(pattern, re.IGNORECASE), advice) for cat, pattern, advice in _RULES)


def explain(text: str) -> tuple[str, dict[str, str]]:
    """A failure message with the advice appended (when a rule knows the text), and details for the report."""
    diagnosis = classify(text)
    message = text.strip()
    if diagnosis.category != "unknown":
        message = f"{message} — {diagnosis.advice}"
    return message, {"category": diagnosis.category, "advice": diagnosis.advice}


def classify(text: str) -> Diagnosis:
    """The category of a failure text and the advice for it; `unknown` when no rule knows the text."""
    for category, pattern, advice in _COMPILED:
        match = pattern.search(text or "")
        if match:
            return Diagnosis(category=category, advice=advice, matched=match.group(0))
    return Diagnosis(category="unknown", advice="See the message and the container's last log lines.")
