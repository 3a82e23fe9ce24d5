"""Facts about the host: the NVIDIA driver and GPUs through NVML, WSL2, the operating system.

Every NVML call is wrapped: a host without the driver (or WSL2, which lacks many queries) yields a
HostInfo that says so with NVML's own reason, never an exception.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

from checker.compat.tables import NVML_BRANDS
from checker.diagnose import classify


def nvml_facts() -> dict[str, Any]:
    """Driver version, CUDA driver version and GPUs from NVML, or `ok: False` with NVML's reason."""
    try:
        import pynvml
    except ImportError as exc:  # pragma: no cover - a declared dependency
        return {"ok": False, "error": f"nvidia-ml-py is not installed: {exc}"}
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        diagnosis = classify(f"{exc} NVML_ERROR_{type(exc).__name__.removeprefix('NVMLError_')}")
        return {
            "ok": False,
            "error": f"nvmlInit failed: {exc}",
            "category": diagnosis.category,
            "advice": diagnosis.advice,
        }
    try:
        facts: dict[str, Any] = {"ok": True}
        facts["driver_version"] = _call(pynvml.nvmlSystemGetDriverVersion)
        cuda = _call(pynvml.nvmlSystemGetCudaDriverVersion)
        facts["cuda_driver_version"] = f"{cuda // 1000}.{(cuda % 1000) // 10}" if isinstance(cuda, int) else None
        facts["nvml_version"] = _call(pynvml.nvmlSystemGetNVMLVersion)
        count = _call(pynvml.nvmlDeviceGetCount) or 0
        facts["gpus"] = [_gpu(pynvml, i) for i in range(count)]
        return facts
    finally:
        _call(pynvml.nvmlShutdown)


def _gpu(pynvml: Any, index: int) -> dict[str, Any]:
    handle = _call(pynvml.nvmlDeviceGetHandleByIndex, index)
    if handle is None:
        return {"index": index, "error": "no handle"}
    cc = _call(pynvml.nvmlDeviceGetCudaComputeCapability, handle)
    memory = _call(pynvml.nvmlDeviceGetMemoryInfo, handle)
    brand = _call(pynvml.nvmlDeviceGetBrand, handle)
    return {
        "index": index,
        "name": _call(pynvml.nvmlDeviceGetName, handle),
        "brand": NVML_BRANDS.get(brand, f"brand {brand}") if isinstance(brand, int) else None,
        "compute_capability": f"{cc[0]}.{cc[1]}" if cc else None,
        "memory_bytes": getattr(memory, "total", None),
        "pcie": {
            "max_generation": _call(pynvml.nvmlDeviceGetMaxPcieLinkGeneration, handle),
            "gpu_max_generation": _call(pynvml.nvmlDeviceGetGpuMaxPcieLinkGeneration, handle),
            "max_width": _call(pynvml.nvmlDeviceGetMaxPcieLinkWidth, handle),
            "current_generation": _call(pynvml.nvmlDeviceGetCurrPcieLinkGeneration, handle),
            "current_width": _call(pynvml.nvmlDeviceGetCurrPcieLinkWidth, handle),
        },
        "memory_bus_width_bits": _call(pynvml.nvmlDeviceGetMemoryBusWidth, handle),
        "max_memory_clock_mhz": _call(pynvml.nvmlDeviceGetMaxClockInfo, handle, 2),  # NVML_CLOCK_MEM
    }


def _call(func: Any, *args: Any) -> Any:
    try:
        value = func(*args)
    except Exception:  # noqa: BLE001 - NVML raises a zoo of NVMLError subclasses; a missing fact is not fatal
        return None
    return value.decode() if isinstance(value, bytes) else value


def wsl_facts(root: Path = Path("/"), environ: dict[str, str] | None = None) -> dict[str, Any]:
    """WSL2 signs under `root` (a fixture root in tests): kernel release, /dev/dxg, /usr/lib/wsl/lib."""
    environ = dict(os.environ) if environ is None else environ
    try:
        release = (root / "proc/sys/kernel/osrelease").read_text(encoding="utf-8").strip()
    except OSError:
        release = platform.release()
    kernel_is_wsl = "microsoft" in release.lower() or "wsl" in release.lower()
    in_container = (root / ".dockerenv").exists()
    return {
        "kernel_release": release,
        "kernel_is_wsl2": kernel_is_wsl,
        "dev_dxg": (root / "dev/dxg").exists(),
        "usr_lib_wsl_lib": (root / "usr/lib/wsl/lib").is_dir(),
        "distro": environ.get("WSL_DISTRO_NAME"),
        "in_container": in_container,
        "is_wsl2_distro": kernel_is_wsl and bool(environ.get("WSL_DISTRO_NAME")) and not in_container,
    }


def collect(docker_facts: dict[str, Any] | None = None, label: str | None = None) -> dict[str, Any]:
    """The host section of a report."""
    wsl = wsl_facts()
    return {
        "label": label or socket.gethostname(),
        "platform": "wsl2" if wsl["kernel_is_wsl2"] else "linux",
        "os": _os_name(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "nvml": nvml_facts(),
        "wsl": wsl,
        "docker": docker_facts or {},
        "container_toolkit": toolkit_facts(),
    }


def driver_info(host: dict[str, Any]) -> Any:
    """The host's driver as checker.compat.DriverInfo (GPU 0's brand and compute capability), or None."""
    from checker.compat import DriverInfo

    nvml = host.get("nvml") or {}
    if not nvml.get("ok") or not nvml.get("driver_version"):
        return None
    gpu = (nvml.get("gpus") or [{}])[0]
    try:
        return DriverInfo(
            platform=host.get("platform", "linux"),
            driver_version=nvml["driver_version"],
            cuda_driver_version=nvml.get("cuda_driver_version"),
            gpu_brand=gpu.get("brand"),
            compute_capability=gpu.get("compute_capability"),
        )
    except ValueError:
        return None


def toolkit_facts() -> dict[str, Any]:
    """The NVIDIA Container Toolkit's version on this host, when its commands are installed."""
    facts: dict[str, Any] = {}
    for command in ("nvidia-ctk", "nvidia-container-cli"):
        path = shutil.which(command)
        if path is None:
            continue
        try:
            proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            facts[command] = {"error": str(exc)}
            continue
        match = re.search(r"version[:\s]+v?([\d.]+)", proc.stdout + proc.stderr, re.IGNORECASE)
        facts[command] = {"version": match.group(1) if match else None}
    return facts


def gpu_available(host: dict[str, Any]) -> bool:
    """Does this host have an NVIDIA GPU with a working driver (what `gpus: auto` decides on)?"""
    nvml = host.get("nvml") or {}
    return bool(nvml.get("ok") and nvml.get("gpus"))


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text(encoding="utf-8").splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()
