"""`NVIDIA_REQUIRE_*` expressions with libnvidia-container's semantics.

What the container toolkit does before a `docker run --gpus` container starts (libnvidia-container
`src/cli/dsl.c`, `configure.c`; the toolkit's `internal/config/image/cuda_image.go`):
- space-separated terms are OR-ed, comma-separated factors AND-ed; several NVIDIA_REQUIRE_* variables AND-ed;
- a factor is `<name><op><value>`, op one of `= != < <= > >=`, name one of cuda, driver, arch, brand
  (case-insensitive); any other name makes the expression invalid;
- versions compare numerically component by component, trailing zeros ignored (535.104.05 >= 535);
- brands compare case-insensitively, `=`/`!=` only, after the NVML brand is mapped the toolkit's way;
- a fact the driver does not report (no GPU: arch, brand) makes its factor true;
- NVIDIA_DISABLE_REQUIRE is parsed like Go's strconv.ParseBool; an image with CUDA_VERSION but no
  NVIDIA_REQUIRE_CUDA is "legacy" and gets `cuda>=<major>.<minor>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from checker.compat.tables import NVML_BRANDS, TOOLKIT_BRANDS

NAMES = ("cuda", "driver", "arch", "brand")
_FACTOR = re.compile(r"^([A-Za-z_]+)(>=|<=|!=|=|<|>)(.+)$")
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class InvalidRequirement(ValueError):
    """The expression cannot be evaluated (the toolkit says `invalid expression`)."""


class DriverFacts(Protocol):
    """What an expression is evaluated against (checker.compat.DriverInfo has these)."""

    @property
    def driver_version(self) -> str | None: ...

    @property
    def cuda_driver_version(self) -> str | None: ...

    @property
    def compute_capability(self) -> str | None: ...

    @property
    def gpu_brand(self) -> str | None: ...


def toolkit_brand(nvml_brand: str | int | None) -> str | None:
    """An NVML brand (name or number) as libnvidia-container names it; brands it does not know are Unknown."""
    if nvml_brand is None:
        return None
    name = NVML_BRANDS.get(nvml_brand, "Unknown") if isinstance(nvml_brand, int) else str(nvml_brand)
    for known in TOOLKIT_BRANDS:
        if name.lower() == known.lower():
            return known
    return "Unknown"


def version_key(text: str) -> tuple[int, ...]:
    """'535.104.05' -> (535, 104, 5); '12.0' -> (12,): trailing zeros do not count."""
    try:
        parts = [int(p) for p in text.strip().split(".")]
    except ValueError:
        raise InvalidRequirement(f"invalid expression: {text!r} is not a version") from None
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def evaluate(expression: str, driver: DriverFacts) -> bool:
    """Is `expression` satisfied by `driver`? Raises InvalidRequirement (a ValueError) when malformed."""
    terms = [t for t in expression.split(" ") if t]
    if not terms:
        return True
    results = [all(_factor(f, driver) for f in _factors(term)) for term in terms]
    return any(results)


def _factors(term: str) -> list[str]:
    factors = term.split(",")
    if any(not f for f in factors):
        raise InvalidRequirement(f"invalid expression: empty condition in {term!r}")
    return factors


def _factor(factor: str, driver: DriverFacts) -> bool:
    match = _FACTOR.match(factor)
    if not match:
        raise InvalidRequirement(f"invalid expression: {factor!r}")
    name, op, value = match.group(1).lower(), match.group(2), match.group(3)
    if name not in NAMES:
        raise InvalidRequirement(f"invalid expression: unknown property {match.group(1)!r} in {factor!r}")
    if name == "brand":
        if op not in ("=", "!="):
            raise InvalidRequirement(f"invalid expression: brand supports only = and != ({factor!r})")
        actual = toolkit_brand(driver.gpu_brand)
        if actual is None:
            return True
        return (actual.lower() == value.lower()) == (op == "=")
    actual_version = {
        "cuda": driver.cuda_driver_version,
        "driver": driver.driver_version,
        "arch": driver.compute_capability,
    }[name]
    wanted = version_key(value)
    if actual_version is None:
        return True
    return _compare(version_key(actual_version), op, wanted)


def _compare(a: tuple[int, ...], op: str, b: tuple[int, ...]) -> bool:
    return {
        "=": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def unsatisfied_message(expression: str) -> str:
    """The toolkit's own words for an unsatisfied requirement (it names only the first OR-term)."""
    first = next((t for t in expression.split(" ") if t), "")
    text = f"unsatisfied condition: {first}"
    if first.startswith("cuda>="):
        text += ", please update your driver to a newer version, or use an earlier cuda container"
    return f"nvidia-container-cli: requirement error: {text}"


def parse_bool(text: str | None) -> bool | None:
    """Go's strconv.ParseBool: True, False, or None for anything else."""
    if text is None:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def requirements(env: Mapping[str, str]) -> list[str]:
    """The requirement expressions an image's environment imposes (legacy images get cuda>=X.Y)."""
    found = [
        value
        for key, value in sorted(env.items())
        if key.startswith("NVIDIA_REQUIRE_") and not key.startswith("NVIDIA_REQUIRE_JETPACK") and value.strip()
    ]
    if not found and env.get("CUDA_VERSION") and "NVIDIA_REQUIRE_CUDA" not in env:
        match = re.match(r"^(\d+)\.(\d+)", env["CUDA_VERSION"])
        if match:
            found.append(f"cuda>={match.group(1)}.{match.group(2)}")
    return found


def disabled(env: Mapping[str, str]) -> bool:
    return parse_bool(env.get("NVIDIA_DISABLE_REQUIRE")) is True
