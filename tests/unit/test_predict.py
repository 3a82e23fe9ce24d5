"""Predictions over a grid of hosts and images, and the rules' invariants."""

from __future__ import annotations

import itertools

import pytest

from checker.compat import DriverInfo, Verdict, host_table, newest_native, predict

B1 = "cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=geforce,driver>=470,driver<471 brand=tesla,driver>=535,driver<536 brand=geforce,driver>=535,driver<536"
B2 = "cuda>=12.8 brand=unknown,driver>=535,driver<536 brand=tesla,driver>=535,driver<536 brand=tesla,driver>=550,driver<551"


@pytest.mark.parametrize(
    ("platform", "driver", "brand", "image", "require", "compat", "verdict", "cuda_verdict"),
    [
        ("linux", "535.104.05", "Tesla", "12.2.2", None, False, Verdict.NATIVE, Verdict.NATIVE),
        ("linux", "535.104.05", "Tesla", "11.8.0", None, True, Verdict.NATIVE, Verdict.NATIVE),
        ("linux", "535.104.05", "GeForce", "12.4.1", None, False, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("linux", "535.104.05", "Tesla", "12.4.1", None, True, Verdict.FORWARD_COMPAT, Verdict.FORWARD_COMPAT),
        ("linux", "535.104.05", "NVIDIA", "12.8.1", B2, True, Verdict.FORWARD_COMPAT, Verdict.FORWARD_COMPAT),
        (
            "linux",
            "535.104.05",
            "GeForce",
            "12.4.1",
            B1,
            True,
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
        ),
        (
            "linux",
            "535.104.05",
            "GeForce",
            "12.8.1",
            B2,
            True,
            Verdict.TOOLKIT_REFUSES,
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
        ),
        (
            "linux",
            "470.82.01",
            "GeForce",
            "12.4.1",
            B1,
            True,
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
            Verdict.FORWARD_COMPAT_UNSUPPORTED_HW,
        ),
        ("linux", "470.82.01", "GeForce", "12.4.1", None, False, Verdict.UNSUPPORTED, Verdict.UNSUPPORTED),
        ("linux", "520.61.05", "Tesla", "12.0.0", "cuda>=12.0", False, Verdict.TOOLKIT_REFUSES, Verdict.UNSUPPORTED),
        ("linux", "450.80.02", "Tesla", "11.8.0", None, False, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("linux", "450.51.06", "Tesla", "11.8.0", None, False, Verdict.UNSUPPORTED, Verdict.UNSUPPORTED),
        ("linux", "570.124.06", "Tesla", "13.0.0", "cuda>=13.0", True, Verdict.TOOLKIT_REFUSES, Verdict.FORWARD_COMPAT),
        ("linux", "580.65.06", "GeForce", "13.1.0", None, False, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("linux", "575.57.08", "GeForce", "13.0.0", None, False, Verdict.UNSUPPORTED, Verdict.UNSUPPORTED),
        ("linux", "570.124.06", "Tesla", "12.4.1", None, True, Verdict.NATIVE, Verdict.NATIVE),
        # on WSL2 the driver is the Windows driver and forward compatibility never applies
        ("wsl2", "555.85", "GeForce", "12.5.1", None, True, Verdict.NATIVE, Verdict.NATIVE),
        ("wsl2", "555.85", "GeForce", "12.6.3", None, True, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("wsl2", "551.78", "GeForce", "12.8.1", "cuda>=12.8", True, Verdict.TOOLKIT_REFUSES, Verdict.MINOR_COMPAT),
        ("wsl2", "551.78", "Tesla", "12.8.1", None, True, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("wsl2", "581.15", "GeForce", "13.1.0", None, True, Verdict.MINOR_COMPAT, Verdict.MINOR_COMPAT),
        ("wsl2", "511.65", "GeForce", "12.0.0", None, True, Verdict.UNSUPPORTED, Verdict.UNSUPPORTED),
    ],
)
def test_grid(
    platform: str,
    driver: str,
    brand: str,
    image: str,
    require: str | None,
    compat: bool,
    verdict: Verdict,
    cuda_verdict: Verdict,
) -> None:
    prediction = predict(DriverInfo(platform, driver, gpu_brand=brand), image, require=require, compat_libs=compat)
    assert (prediction.verdict, prediction.cuda_verdict) == (verdict, cuda_verdict), prediction.reason
    assert prediction.reason and prediction.rule and prediction.sources


def test_minimum_drivers_come_with_the_prediction() -> None:
    linux = predict(DriverInfo("linux", "535.104.05"), "12.4.1")
    assert (linux.min_driver_native, linux.min_driver_minor_compat) == ("550.54.15", "525.60.13")
    wsl = predict(DriverInfo("wsl2", "537.13"), "12.4.1")
    assert (wsl.min_driver_native, wsl.min_driver_minor_compat) == ("551.78", "527.41")


def test_disable_require_lets_the_cuda_rules_decide() -> None:
    driver = DriverInfo("linux", "535.104.05", gpu_brand="GeForce")
    refused = predict(driver, "12.4.1", require="cuda>=12.4")
    assert refused.verdict == Verdict.TOOLKIT_REFUSES
    assert "please update your driver" in refused.requirement["toolkit_error"]
    allowed = predict(driver, "12.4.1", require="cuda>=12.4", disable_require=True)
    assert allowed.verdict == Verdict.MINOR_COMPAT


def test_unknown_releases_use_the_major_rules_and_say_so() -> None:
    newer_minor = predict(DriverInfo("linux", "580.65.06"), "13.9.0")
    assert newer_minor.verdict == Verdict.MINOR_COMPAT and not newer_minor.known_release
    assert "not in checker's tables" in newer_minor.reason
    assert predict(DriverInfo("linux", "580.65.06"), "14.0").verdict == Verdict.UNSUPPORTED
    assert predict(DriverInfo("linux", "999.1", cuda_driver_version="14.1"), "14.0").verdict == Verdict.NATIVE


DRIVERS = ["450.80.02", "470.82.01", "525.60.13", "535.104.05", "550.54.15", "570.124.06", "580.65.06"]
IMAGES = ["11.8.0", "12.0.1", "12.2.2", "12.4.1", "12.6.3", "12.8.1", "12.9.1", "13.0.0", "13.1.0"]
BRANDS = [None, "GeForce", "Tesla", "NVIDIA", "Quadro"]


@pytest.mark.parametrize(("platform", "brand"), list(itertools.product(["linux", "wsl2"], BRANDS)))
def test_invariants_over_the_grid(platform: str, brand: str | None) -> None:
    for driver_version, image, compat, require in itertools.product(DRIVERS, IMAGES, [False, True], [None, "x"]):
        driver = DriverInfo(platform, driver_version, gpu_brand=brand)
        expression = f"cuda>={image[:4].rstrip('.')}" if require else None
        p = predict(driver, image, require=expression, compat_libs=compat)
        if platform == "wsl2" or not compat:
            assert p.cuda_verdict not in (Verdict.FORWARD_COMPAT, Verdict.FORWARD_COMPAT_UNSUPPORTED_HW)
        if p.cuda_verdict == Verdict.NATIVE:
            assert p.verdict == Verdict.NATIVE  # cuda>=X.Y always holds where X.Y runs natively
        if p.verdict == Verdict.TOOLKIT_REFUSES:
            assert p.requirement["satisfied"] is False
        if brand in ("GeForce", "Quadro") and p.cuda_verdict == Verdict.FORWARD_COMPAT:
            pytest.fail(f"{brand} predicted to use forward compatibility: {p.reason}")


def test_host_table_and_newest_native() -> None:
    driver = DriverInfo("linux", "535.104.05")
    rows = {row["cuda"]: row["verdict"] for row in host_table(driver)}
    assert rows["12.2"] == "native" and rows["12.4"] == "minor-compat" and rows["13.0"] == "unsupported"
    assert rows["11.0"] == "native"
    assert newest_native(driver) == "12.2"


def test_driver_info_validates_and_derives() -> None:
    assert DriverInfo("linux", "535.104.05").cuda_driver_version == "12.2"
    assert DriverInfo("wsl2", "555.85").cuda_driver_version == "12.5"
    assert DriverInfo("linux", "560.35.03", cuda_driver_version="12.6").cuda_driver_version == "12.6"
    with pytest.raises(ValueError, match="platform"):
        DriverInfo("windows", "555.85")
    with pytest.raises(ValueError, match="driver_version"):
        DriverInfo("linux", "latest")
