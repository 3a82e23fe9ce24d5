"""Will image X run on driver Y? NVIDIA's published rules applied before anything runs.

The rules, in the order they decide (cuda-compat.md §1-§4 in ../shared/reference):
1. native: the image's CUDA release is not newer than the CUDA version of the driver.
2. The toolkit activates an image's cuda-compat libraries whenever they are newer than the host driver
   (native Linux only; WSL2 has no Linux kernel driver). On a data-centre GPU with a driver branch the
   package supports this is forward compatibility; on other GPUs (GeForce, ...) CUDA init fails with 804.
   On a branch the package does not support the toolkit leaves them alone and rule 3 decides.
3. minor-compat: same CUDA major, driver at or above that major's floor; runs, but PTX of the newer toolkit
   cannot be JIT-compiled and some newer APIs fail.
4. unsupported: anything else (driver too old).
On top, `toolkit-refuses` when the image's NVIDIA_REQUIRE_CUDA is not satisfied and not disabled.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from checker.compat import tables
from checker.compat.require import evaluate, unsatisfied_message, version_key


class Verdict(str, enum.Enum):
    NATIVE = "native"
    MINOR_COMPAT = "minor-compat"
    FORWARD_COMPAT = "forward-compat"
    FORWARD_COMPAT_UNSUPPORTED_HW = "forward-compat-unsupported-hw"
    UNSUPPORTED = "unsupported"
    TOOLKIT_REFUSES = "toolkit-refuses"


@dataclass(frozen=True)
class DriverInfo:
    """The host's driver as the rules need it. On WSL2 `driver_version` is the Windows driver's."""

    platform: str
    driver_version: str
    cuda_driver_version: str | None = None
    gpu_brand: str | None = None
    compute_capability: str | None = None

    def __post_init__(self) -> None:
        if self.platform not in ("linux", "wsl2"):
            raise ValueError(f"platform must be 'linux' or 'wsl2', not {self.platform!r}")
        if not re.match(r"^\d+(\.\d+)*$", self.driver_version or ""):
            raise ValueError(f"driver_version {self.driver_version!r} is not a driver version like 535.104.05")
        if self.cuda_driver_version is None:
            derived = cuda_of_branch(self.branch)
            object.__setattr__(self, "cuda_driver_version", f"{derived[0]}.{derived[1]}" if derived else None)

    @property
    def branch(self) -> int:
        return int(self.driver_version.split(".")[0])


@dataclass(frozen=True)
class Prediction:
    verdict: Verdict
    cuda_verdict: Verdict
    reason: str
    rule: str
    image_cuda: str
    driver_cuda: str | None
    min_driver_native: str | None
    min_driver_minor_compat: str | None
    known_release: bool
    requirement: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "cuda_verdict": self.cuda_verdict.value,
            "reason": self.reason,
            "rule": self.rule,
            "image_cuda": self.image_cuda,
            "driver_cuda": self.driver_cuda,
            "min_driver_native": self.min_driver_native,
            "min_driver_minor_compat": self.min_driver_minor_compat,
            "known_release": self.known_release,
            "requirement": self.requirement,
            "sources": list(self.sources),
        }


def cuda_of_branch(branch: int) -> tuple[int, int] | None:
    """The newest CUDA release a driver branch runs natively (535 -> 12.2; 537, a Windows 535-era driver -> 12.2)."""
    candidates = [release for release, paired in tables.BRANCH_OF_RELEASE.items() if paired <= branch]
    return max(candidates) if candidates else None


def parse_cuda(text: str) -> tuple[int, int, int]:
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if not match:
        raise ValueError(f"{text!r} is not a CUDA version like 12.4 or 12.4.1")
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def predict(
    driver: DriverInfo,
    image_cuda: str,
    *,
    require: str | None = None,
    compat_libs: bool = False,
    disable_require: bool = False,
) -> Prediction:
    """The verdict of NVIDIA's rules for `image_cuda` on `driver`, with the rule, its source and the minimum drivers."""
    image = parse_cuda(image_cuda)
    row = tables.release(image)
    wsl = driver.platform == "wsl2"
    native_min = (row.windows_min if wsl else row.linux_min) if row else None
    floor = tables.MINOR_VERSION_FLOOR.get(image[0])
    # Windows drivers share the Linux branch numbers; where no Windows floor is published, the Linux one stands in.
    floor_min = ((floor.windows or floor.linux) if wsl else floor.linux) if floor else None
    driver_cuda = parse_cuda(driver.cuda_driver_version) if driver.cuda_driver_version else None
    cuda_verdict, rule, reason, sources = _cuda_rules(driver, image, driver_cuda, floor_min, compat_libs, require)
    known = row is not None
    if not known:
        version = ".".join(str(part) for part in image)
        reason += f" (CUDA {version} is not in checker's tables: predicted from the major-version rules)"
    requirement: dict[str, Any] = {}
    verdict = cuda_verdict
    if require:
        satisfied = evaluate(require, driver)
        requirement = {"expression": require, "satisfied": satisfied, "disabled": disable_require}
        if not satisfied:
            requirement["toolkit_error"] = unsatisfied_message(require)
            if not disable_require:
                verdict = Verdict.TOOLKIT_REFUSES
                reason = (
                    f"the container toolkit refuses to start it: NVIDIA_REQUIRE_CUDA is not satisfied by driver "
                    f"{driver.driver_version} (CUDA {driver.cuda_driver_version}); without that check: {reason}"
                )
                rule = "toolkit-requirement"
    return Prediction(
        verdict=verdict,
        cuda_verdict=cuda_verdict,
        reason=reason,
        rule=rule,
        image_cuda=f"{image[0]}.{image[1]}.{image[2]}",
        driver_cuda=driver.cuda_driver_version,
        min_driver_native=native_min,
        min_driver_minor_compat=floor_min,
        known_release=known,
        requirement=requirement,
        sources=sources,
    )


def _cuda_rules(
    driver: DriverInfo,
    image: tuple[int, int, int],
    driver_cuda: tuple[int, int, int] | None,
    floor_min: str | None,
    compat_libs: bool,
    require: str | None = None,
) -> tuple[Verdict, str, str, tuple[str, ...]]:
    name = f"CUDA {image[0]}.{image[1]}"
    have = f"driver {driver.driver_version} (CUDA {driver.cuda_driver_version or '?'})"
    if driver_cuda is not None and image[:2] <= driver_cuda[:2]:
        return (
            Verdict.NATIVE,
            "native",
            f"{name} is not newer than what {have} supports: runs natively",
            (tables.RN, tables.BRANCH_SOURCE),
        )
    if compat_libs and driver.platform == "linux":
        forward = _forward_compat(driver, image, name, have, require)
        if forward is not None:
            return forward
    same_major = driver_cuda is not None and image[0] == driver_cuda[0]
    if floor_min is not None and same_major and version_key(driver.driver_version) >= version_key(floor_min):
        return (
            Verdict.MINOR_COMPAT,
            "minor-version-compatibility",
            f"{name} is newer than {have}, same major, driver at or above the {image[0]}.x floor {floor_min}: "
            f"runs under minor-version compatibility, but PTX from {name} cannot be JIT-compiled and newer APIs "
            f"may return cudaErrorCallRequiresNewerDriver",
            (tables.MVC,),
        )
    floor_text = (
        f"the {image[0]}.x minor-version floor is {floor_min}" if floor_min else f"no {image[0]}.x floor is known"
    )
    return (
        Verdict.UNSUPPORTED,
        "driver-too-old",
        f"{name} needs a newer driver than {have} ({floor_text}): expect error 35 "
        f"'CUDA driver version is insufficient for CUDA runtime version'",
        (tables.RN, tables.MVC),
    )


def compat_branches(image: tuple[int, int, int], require: str | None) -> frozenset[int] | None:
    """Driver branches whose hosts get an image's compat libraries: the FWD table's, and the branches the
    image's own NVIDIA_REQUIRE_CUDA names in `driver>=N,driver<M` terms (official images list exactly the
    branches their cuda-compat package supports). None: nothing known, the toolkit's fallback applies."""
    named = {int(n) for n in re.findall(r"driver>=(\d+)(?:\.\d+)*,driver<", require or "")}
    table = tables.FORWARD_COMPAT_BRANCHES.get(image[:2])
    if table is None and not named:
        return None
    return frozenset(named | set(table or ()))


def _forward_compat(
    driver: DriverInfo, image: tuple[int, int, int], name: str, have: str, require: str | None
) -> tuple[Verdict, str, str, tuple[str, ...]] | None:
    """Rule 2; None when the toolkit would not activate the image's compat libraries."""
    branches = compat_branches(image, require)
    if branches is not None and driver.branch not in branches:
        return None  # the package's ELF note does not list this branch: the toolkit leaves the libraries alone
    brand = (driver.gpu_brand or "").lower()
    if driver.gpu_brand is not None and brand not in tables.FORWARD_COMPAT_BRANDS:
        return (
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
            "forward-compat-unsupported-hw",
            f"the container toolkit activates the image's cuda-compat libraries (newer than {have}), but forward "
            f"compatibility supports only data-centre GPUs, not {driver.gpu_brand}: expect error 804 "
            f"'forward compatibility was attempted on non supported HW'",
            (tables.FORWARD_COMPAT_SOURCE,),
        )
    assumed = "" if driver.gpu_brand else " (GPU brand unknown: assumed a data-centre GPU)"
    return (
        Verdict.FORWARD_COMPAT,
        "forward-compatibility",
        f"{name} is newer than {have}; the image's cuda-compat libraries take over on branch {driver.branch}, "
        f"which cuda-compat-{image[0]}-{image[1]} supports{assumed}",
        (tables.FORWARD_COMPAT_SOURCE,),
    )


def host_table(driver: DriverInfo) -> list[dict[str, Any]]:
    """For each known CUDA release: what this driver does with it (no requirement, no compat libraries)."""
    rows = []
    for major, minor in tables.known_minors():
        prediction = predict(driver, f"{major}.{minor}")
        rows.append(
            {
                "cuda": f"{major}.{minor}",
                "verdict": prediction.cuda_verdict.value,
                "min_driver_native": prediction.min_driver_native,
            }
        )
    return rows


def newest_native(driver: DriverInfo) -> str | None:
    natives = [row["cuda"] for row in host_table(driver) if row["verdict"] == Verdict.NATIVE.value]
    return natives[-1] if natives else None


def predict_for_image(
    driver: DriverInfo | None, image_env: dict[str, str], run_env: dict[str, str], compat_libs: bool
) -> tuple[dict[str, Any] | None, str]:
    """A cell's prediction from the host's driver and the image's metadata, or None and why not."""
    from checker.compat.require import disabled, requirements

    if driver is None:
        return None, "no NVIDIA driver on this host (NVML): nothing to predict"
    cuda = image_env.get("CUDA_VERSION")
    if not cuda:
        return None, "the image declares no CUDA_VERSION: nothing to predict"
    expressions = requirements(image_env)
    try:
        prediction = predict(
            driver,
            cuda,
            require=expressions[0] if expressions else None,
            compat_libs=compat_libs,
            disable_require=disabled({**image_env, **run_env}),
        )
    except ValueError as exc:
        return None, f"cannot predict: {exc}"
    return {**prediction.to_dict(), "compat_libs": compat_libs, "other_requirements": expressions[1:]}, ""
