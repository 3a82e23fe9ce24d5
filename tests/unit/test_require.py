"""NVIDIA_REQUIRE_* evaluation with libnvidia-container's semantics, case by case."""

from __future__ import annotations

import pytest

from checker.compat import DriverInfo
from checker.compat.require import (
    InvalidRequirement,
    evaluate,
    parse_bool,
    requirements,
    toolkit_brand,
    unsatisfied_message,
)

DRIVER_535 = DriverInfo("linux", "535.104.05", gpu_brand="GeForce", compute_capability="8.6")
B1_12_4 = (
    "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471 "
    "brand=geforce,driver>=535,driver<536 brand=tesla,driver>=535,driver<536"
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cuda>=12.2", True),
        ("cuda>=12.3", False),
        ("CUDA>=12.2", True),  # names are case-insensitive
        ("cuda>=12.2.0", True),  # trailing zeros do not count
        ("cuda=12.2", True),
        ("cuda!=12.2", False),
        ("cuda<12.3", True),
        ("cuda>12.2", False),
        ("driver>=535", True),  # 535.104.05 >= 535
        ("driver<536", True),
        ("driver>=535.104.06", False),
        ("driver<=535.104.05", True),
        ("arch>=8.0", True),
        ("arch>=9.0", False),
        ("brand=geforce", True),
        ("brand=GeForce", True),
        ("brand!=geforce", False),
        ("brand=tesla", False),
        ("cuda>=12.4 brand=geforce,driver>=535,driver<536", True),  # OR: the brand term saves it
        ("cuda>=12.4 brand=tesla,driver>=535,driver<536", False),
        ("cuda>=12.2,driver>=536", False),  # AND
        (B1_12_4, True),
        ("", True),
        ("  cuda>=12.2  ", True),  # extra spaces are not terms
    ],
)
def test_semantics(expression: str, expected: bool) -> None:
    assert evaluate(expression, DRIVER_535) is expected


def test_brands_map_the_way_the_toolkit_does() -> None:
    assert toolkit_brand("GeForce") == "GeForce"
    assert toolkit_brand("TITAN") == "TITAN"
    assert toolkit_brand("NVIDIA") == "Unknown"  # H100s report the NVML brand NVIDIA
    assert toolkit_brand("NVIDIA_RTX") == "Unknown"
    assert toolkit_brand(14) == "Unknown"
    assert toolkit_brand(2) == "Tesla"
    hopper = DriverInfo("linux", "470.82.01", gpu_brand="NVIDIA")
    assert evaluate("cuda>=12.0 brand=unknown,driver>=470,driver<471", hopper)


def test_facts_the_driver_does_not_report_are_true() -> None:
    bare = DriverInfo("linux", "535.104.05")
    assert evaluate("brand=tesla,arch>=9.0", bare)


@pytest.mark.parametrize(
    "expression",
    ["cdua>=12.0", "cuda", "cuda>=", "cuda>=twelve", "brand>tesla", "cuda>=12.0,", "foo=bar cuda>=1"],
)
def test_invalid_expressions_raise_value_error(expression: str) -> None:
    with pytest.raises(ValueError):  # InvalidRequirement is a ValueError
        evaluate(expression, DRIVER_535)
    with pytest.raises(InvalidRequirement):
        evaluate(expression, DRIVER_535)


def test_toolkit_error_text() -> None:
    assert unsatisfied_message("cuda>=12.5 brand=tesla,driver>=470,driver<471") == (
        "nvidia-container-cli: requirement error: unsatisfied condition: cuda>=12.5, please update your driver "
        "to a newer version, or use an earlier cuda container"
    )
    assert (
        unsatisfied_message("brand=tesla")
        == "nvidia-container-cli: requirement error: unsatisfied condition: brand=tesla"
    )


def test_parse_bool_like_go() -> None:
    for text in ("1", "t", "T", "TRUE", "true", "True"):
        assert parse_bool(text) is True
    for text in ("0", "f", "F", "FALSE", "false", "False"):
        assert parse_bool(text) is False
    for text in ("yes", "on", "", "tRUE", None):
        assert parse_bool(text) is None


def test_requirements_of_an_image() -> None:
    assert requirements({"CUDA_VERSION": "11.0.3"}) == ["cuda>=11.0"]  # legacy image
    assert requirements({"CUDA_VERSION": "12.4.1", "NVIDIA_REQUIRE_CUDA": "cuda>=12.4"}) == ["cuda>=12.4"]
    assert requirements({"NVIDIA_REQUIRE_CUDA": "cuda>=12.4", "NVIDIA_REQUIRE_JETPACK": "jetpack>=5"}) == ["cuda>=12.4"]
    assert requirements({"NVIDIA_REQUIRE_CUDA": "cuda>=12.4", "NVIDIA_REQUIRE_ARCH": "arch>=8.0"}) == [
        "arch>=8.0",
        "cuda>=12.4",
    ]
    assert requirements({}) == []
