"""HostInfo from fixture roots (a WSL2 distro, a Docker Desktop container, native Linux) and dicts."""

from __future__ import annotations

from pathlib import Path

from checker.host import driver_info, gpu_available, wsl_facts


def make_root(
    tmp_path: Path, release: str, *, dxg: bool = False, wsl_lib: bool = False, dockerenv: bool = False
) -> Path:
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/osrelease").write_text(release + "\n")
    if dxg:
        (tmp_path / "dev").mkdir()
        (tmp_path / "dev/dxg").write_text("")
    if wsl_lib:
        (tmp_path / "usr/lib/wsl/lib").mkdir(parents=True)
    if dockerenv:
        (tmp_path / ".dockerenv").write_text("")
    return tmp_path


def test_a_wsl2_distro(tmp_path: Path) -> None:
    root = make_root(tmp_path, "5.15.167.4-microsoft-standard-WSL2", dxg=True, wsl_lib=True)
    facts = wsl_facts(root, {"WSL_DISTRO_NAME": "Ubuntu-22.04", "WSL_INTEROP": "/run/WSL/1_interop"})
    assert facts["kernel_is_wsl2"] and facts["is_wsl2_distro"] and facts["distro"] == "Ubuntu-22.04"


def test_a_docker_desktop_container_on_the_wsl2_kernel(tmp_path: Path) -> None:
    root = make_root(tmp_path, "6.6.87.2-microsoft-standard-WSL2", dxg=True, wsl_lib=True, dockerenv=True)
    facts = wsl_facts(root, {})
    assert facts["kernel_is_wsl2"] and facts["in_container"]
    assert not facts["is_wsl2_distro"]


def test_native_linux(tmp_path: Path) -> None:
    facts = wsl_facts(make_root(tmp_path, "6.1.0-28-amd64"), {})
    assert not facts["kernel_is_wsl2"] and not facts["dev_dxg"] and not facts["is_wsl2_distro"]


def test_driver_info_from_host_facts() -> None:
    host = {
        "platform": "wsl2",
        "nvml": {
            "ok": True,
            "driver_version": "555.85",
            "cuda_driver_version": "12.5",
            "gpus": [{"brand": "GeForce", "compute_capability": "8.9"}],
        },
    }
    driver = driver_info(host)
    assert driver is not None
    assert (driver.platform, driver.driver_version, driver.gpu_brand, driver.compute_capability) == (
        "wsl2",
        "555.85",
        "GeForce",
        "8.9",
    )
    assert gpu_available(host)
    assert driver_info({"nvml": {"ok": False, "error": "nvmlInit failed: Driver Not Loaded"}}) is None
    assert not gpu_available({"nvml": {"ok": False}})
