"""NVIDIA's compatibility tables as data. Every row names its source; prose and rules live in predict.py.

Sources (the editions gathered in ../shared/reference/cuda-compat.md):
- RN: CUDA Toolkit release notes, "CUDA Toolkit and Corresponding Driver Versions"
  https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html (13.1 edition)
- RN-3P: third-party copies of later release notes (13.1 Update 1 .. 13.3), consistent with each other
- MVC: https://docs.nvidia.com/deploy/cuda-compatibility/minor-version-compatibility.html
- FWD: https://docs.nvidia.com/deploy/cuda-compatibility/forward-compatibility.html (cuda-compat-13-4 edition)
- PTX: PTX ISA "PTX Release History" table,
  https://docs.nvidia.com/cuda/parallel-thread-execution/index.html#release-notes
"""

from __future__ import annotations

from dataclasses import dataclass

RN = "CUDA Toolkit release notes, table 'CUDA Toolkit and Corresponding Driver Versions'"
RN_3P = "later CUDA release notes as quoted by third-party copies (not checked against NVIDIA)"
MVC = "NVIDIA CUDA Compatibility guide, 'Minor Version Compatibility'"
FWD = "NVIDIA CUDA Compatibility guide, 'Forward Compatibility' support matrix"
PTX = "PTX ISA reference, 'PTX Release History'"


@dataclass(frozen=True)
class Release:
    """One CUDA toolkit release: X.Y.Z where Z is the update (0 = GA)."""

    version: tuple[int, int, int]
    linux_min: str | None
    windows_min: str | None
    source: str


# (version, Linux x86_64 minimum driver, Windows x86_64 minimum driver, source)
RELEASES: tuple[Release, ...] = tuple(
    Release(v, linux, windows, src)
    for v, linux, windows, src in (
        ((11, 0, 2), "450.51.05", "451.48", RN),
        ((11, 0, 3), "450.51.06", "451.82", RN),
        ((11, 1, 0), "455.23", "456.38", RN),
        ((11, 1, 1), "455.32", "456.81", RN),
        ((11, 2, 0), "460.27.03", "460.82", RN),
        ((11, 2, 1), "460.32.03", "461.09", RN),
        ((11, 2, 2), "460.32.03", "461.33", RN),
        ((11, 3, 0), "465.19.01", "465.89", RN),
        ((11, 3, 1), "465.19.01", "465.89", RN),
        ((11, 4, 0), "470.42.01", "471.11", RN),
        ((11, 4, 1), "470.57.02", "471.41", RN),
        ((11, 4, 2), "470.57.02", "471.41", RN),
        ((11, 4, 3), "470.82.01", "472.50", RN),
        ((11, 4, 4), "470.82.01", "472.50", RN),
        ((11, 5, 0), "495.29.05", "496.04", RN),
        ((11, 5, 1), "495.29.05", "496.13", RN),
        ((11, 5, 2), "495.29.05", "496.13", RN),
        ((11, 6, 0), "510.39.01", "511.23", RN),
        ((11, 6, 1), "510.47.03", "511.65", RN),
        ((11, 6, 2), "510.47.03", "511.65", RN),
        ((11, 7, 0), "515.43.04", "516.01", RN),
        ((11, 7, 1), "515.48.07", "516.31", RN),
        ((11, 8, 0), "520.61.05", "520.06", RN),
        ((12, 0, 0), "525.60.13", "527.41", RN),
        ((12, 0, 1), "525.85.12", "528.33", RN),
        ((12, 1, 0), "530.30.02", "531.14", RN),
        ((12, 1, 1), "530.30.02", "531.14", RN),
        ((12, 2, 0), "535.54.03", "536.25", RN),
        ((12, 2, 1), "535.86.09", "536.67", RN),
        ((12, 2, 2), "535.104.05", "537.13", RN),
        ((12, 3, 0), "545.23.06", "545.84", RN),
        ((12, 3, 1), "545.23.08", "546.12", RN),
        ((12, 4, 0), "550.54.14", "551.61", RN),
        ((12, 4, 1), "550.54.15", "551.78", RN),
        ((12, 5, 0), "555.42.02", "555.85", RN),
        ((12, 5, 1), "555.42.06", "555.85", RN),
        ((12, 6, 0), "560.28.03", "560.76", RN),
        ((12, 6, 1), "560.35.03", "560.94", RN),
        ((12, 6, 2), "560.35.03", "560.94", RN),
        ((12, 6, 3), "560.35.05", "561.17", RN),
        ((12, 8, 0), "570.26", "570.65", RN),
        ((12, 8, 1), "570.124.06", "572.61", RN),
        ((12, 9, 0), "575.51.03", "576.02", RN),
        ((12, 9, 1), "575.57.08", "576.57", RN),
        ((13, 0, 0), "580.65.06", None, RN),  # from 13.0 on the Windows driver is no longer bundled: N/A
        ((13, 0, 1), "580.82.07", None, RN),
        ((13, 0, 2), "580.95.05", None, RN),
        ((13, 1, 0), "590.44.01", None, RN),
        ((13, 1, 1), "590.48.01", None, RN_3P),
        ((13, 2, 0), "595.45.04", None, RN_3P),
        ((13, 2, 1), "595.58.03", None, RN_3P),
        ((13, 3, 0), "610.43.02", None, RN_3P),
        ((13, 3, 1), "610.43.02", None, RN_3P),
    )
)

# Driver branch paired with each CUDA release (PTX table's "CUDA release" column); turns a driver version
# into the newest CUDA it runs natively, and back.
BRANCH_OF_RELEASE: dict[tuple[int, int], int] = {
    (11, 0): 445, (11, 1): 455, (11, 2): 460, (11, 3): 465, (11, 4): 470, (11, 5): 495, (11, 6): 510,
    (11, 7): 515, (11, 8): 520, (12, 0): 525, (12, 1): 530, (12, 2): 535, (12, 3): 545, (12, 4): 550,
    (12, 5): 555, (12, 6): 560, (12, 7): 565, (12, 8): 570, (12, 9): 575, (13, 0): 580, (13, 1): 590,
    (13, 2): 595, (13, 3): 610, (13, 4): 615,
}  # fmt: skip
BRANCH_SOURCE = PTX

# PTX ISA version of each CUDA release (the probe carries its own copy: it may import nothing).
PTX_ISA: dict[tuple[int, int], str] = {
    (11, 0): "7.0", (11, 1): "7.1", (11, 2): "7.2", (11, 3): "7.3", (11, 4): "7.4", (11, 5): "7.5",
    (11, 6): "7.6", (11, 7): "7.7", (11, 8): "7.8", (12, 0): "8.0", (12, 1): "8.1", (12, 2): "8.2",
    (12, 3): "8.3", (12, 4): "8.4", (12, 5): "8.5", (12, 6): "8.5", (12, 7): "8.6", (12, 8): "8.7",
    (12, 9): "8.8", (13, 0): "9.0", (13, 1): "9.1", (13, 2): "9.2", (13, 3): "9.3", (13, 4): "9.4",
}  # fmt: skip


@dataclass(frozen=True)
class MinorFloor:
    """The oldest driver with which a CUDA major's runtimes run under minor-version compatibility."""

    linux: str
    windows: str | None
    source: str


MINOR_VERSION_FLOOR: dict[int, MinorFloor] = {
    11: MinorFloor("450.80.02", "452.39", MVC),
    12: MinorFloor("525.60.13", "527.41", MVC),
    13: MinorFloor("580", None, MVC + " (13.x: driver >= 580; no separate Windows value published)"),
}

# Forward compatibility: which installed driver branches each cuda-compat package supports (FWD, 'C').
# Branches not listed are end of life or new-feature branches, which are not supported targets.
FORWARD_COMPAT_BRANCHES: dict[tuple[int, int], frozenset[int]] = {
    (13, 4): frozenset({535, 570, 580, 590, 595, 610}),
    (13, 3): frozenset({535, 570, 580, 590, 595}),
    (13, 2): frozenset({535, 570, 580, 590}),
    (13, 1): frozenset({535, 570, 580}),
    (13, 0): frozenset({535, 570}),
    (12, 9): frozenset({535, 570}),
    (12, 8): frozenset({535}),
    (12, 6): frozenset({535}),
    (12, 5): frozenset({535}),
    (12, 4): frozenset({535}),
    (12, 3): frozenset({535}),
}
FORWARD_COMPAT_SOURCE = FWD

# NVML brands of GPUs that forward compatibility supports (FWD: "NVIDIA Data Center GPUs"; select NGC-ready
# RTX SKUs cannot be told apart by brand and are left out). GeForce, TITAN, Quadro and the RTX brands get 804.
FORWARD_COMPAT_BRANDS = frozenset({"tesla", "nvidia", "grid", "nvidia_vapps", "nvidia_vpc", "nvidia_vcs", "nvidia_vws"})

# nvmlBrandType_t values (nvml.h / pynvml) and the names libnvidia-container maps them to: only the first
# six brands have names there; every other brand compares as "Unknown" in NVIDIA_REQUIRE_* expressions.
NVML_BRANDS: dict[int, str] = {
    0: "Unknown", 1: "Quadro", 2: "Tesla", 3: "NVS", 4: "GRID", 5: "GeForce", 6: "TITAN", 7: "NVIDIA_VAPPS",
    8: "NVIDIA_VPC", 9: "NVIDIA_VCS", 10: "NVIDIA_VWS", 11: "NVIDIA_CLOUD_GAMING", 12: "Quadro_RTX",
    13: "NVIDIA_RTX", 14: "NVIDIA", 15: "GeForce_RTX", 16: "TITAN_RTX",
}  # fmt: skip
TOOLKIT_BRANDS = ("Quadro", "Tesla", "NVS", "GRID", "GeForce", "TITAN")


def release(version: tuple[int, int, int]) -> Release | None:
    """The table row of X.Y.Z, or of the newest known update of X.Y below it (12.3.2 -> 12.3 Update 1)."""
    rows = [r for r in RELEASES if r.version[:2] == version[:2] and r.version <= version]
    return rows[-1] if rows else None


def known_minors() -> list[tuple[int, int]]:
    return sorted({r.version[:2] for r in RELEASES})
