"""Pure parts of a run: GPU request resolution, expectations, exit codes, CA bundle choice, names."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from checker.cli import choose_ca_bundle, exit_code_for
from checker.engine.baseimage import host_debian_mirror
from checker.engine.container import container_name, device_requests
from checker.engine.images import _cache_key, _split_ref
from checker.errors import UsageError
from checker.host import wsl_facts
from checker.matrix import loads
from checker.results import CheckResult, Status
from checker.runner import apply_expectations, resolve_gpus
from tests.unit.report_fixture import fixture_report


def test_auto_gpus_follow_the_host() -> None:
    assert resolve_gpus("auto", True)[0] == "all"
    assert resolve_gpus("auto", False)[0] == "none"
    assert resolve_gpus("device=0", False) == ("device=0", None)


def test_device_requests() -> None:
    assert device_requests("none") == []
    assert device_requests("all")[0]["Count"] == -1
    assert device_requests("device=0,GPU-1")[0]["DeviceIDs"] == ["0", "GPU-1"]


def test_expectations_mark_checks_and_flag_missing_ones() -> None:
    cell = loads("schema_version: 1\ncell:\n  image: i\n  expect: {a: fail, missing: pass}\n").cells()[0]
    checks = apply_expectations([CheckResult(id="a", status=Status.FAIL)], cell)
    assert checks[0].as_expected
    assert checks[1].id == "missing" and checks[1].status == Status.ERROR and not checks[1].as_expected


def test_exit_codes() -> None:
    report = fixture_report()
    assert exit_code_for(report, "any") == 1
    assert exit_code_for(report, "error") == 1  # opencv.import errored
    assert exit_code_for(report, "never") == 0
    good = replace(report, cells=report.cells[:1])
    assert exit_code_for(good, "any") == 0
    interrupted = replace(good, run=replace(good.run, interrupted=True))
    assert exit_code_for(interrupted, "any") == 130
    nothing_ran = replace(report, cells=report.cells[2:])
    assert exit_code_for(nothing_ran, "error") == 1


def test_ca_bundle_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHECKER_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    assert choose_ca_bundle(None, None) == (None, "none")
    monkeypatch.setenv("PIP_CERT", str(bundle))
    assert choose_ca_bundle(None, None) == (bundle, "$PIP_CERT")
    assert choose_ca_bundle("none", None) == (None, "disabled by --ca-bundle none")
    assert choose_ca_bundle(None, bundle)[1] == "settings.ca_bundle"
    with pytest.raises(UsageError, match="does not exist"):
        choose_ca_bundle(str(tmp_path / "absent.pem"), None)


def test_names_and_refs() -> None:
    assert container_name("r1", "cuda 12/4") == "checker-r1-cuda-12-4"
    assert _split_ref("nvidia/cuda:12.4.1-runtime-ubuntu22.04") == (
        "nvidia/cuda",
        "12.4.1-runtime-ubuntu22.04",
    )
    assert _split_ref("localhost:5000/img") == ("localhost:5000/img", "latest")
    assert _split_ref("img@sha256:abc") == ("img@sha256:abc", None)


def test_cache_key_depends_on_content_and_args_only() -> None:
    key = _cache_key("D", {"D": b"FROM x"}, {"A": "1"})
    assert key == _cache_key("D", {"D": b"FROM x"}, {"A": "1"})
    assert key != _cache_key("D", {"D": b"FROM y"}, {"A": "1"})
    assert key != _cache_key("D", {"D": b"FROM x"}, {"A": "2"})


def test_debian_mirror_comes_from_the_hosts_apt_sources(tmp_path: Path) -> None:
    (tmp_path / "etc/apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "etc/os-release").write_text("ID=debian\n")
    (tmp_path / "etc/apt/sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\n"
    )
    assert host_debian_mirror(tmp_path) == "http://mirror.example/debian"
    (tmp_path / "etc/os-release").write_text("ID=ubuntu\n")
    assert host_debian_mirror(tmp_path) is None


def test_wsl_facts_from_fixture_roots(tmp_path: Path) -> None:
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/osrelease").write_text("5.15.153.1-microsoft-standard-WSL2\n")
    (tmp_path / "usr/lib/wsl/lib").mkdir(parents=True)
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev/dxg").write_text("")
    facts = wsl_facts(tmp_path, {"WSL_DISTRO_NAME": "Ubuntu"})
    assert facts["is_wsl2_distro"] and facts["dev_dxg"] and facts["usr_lib_wsl_lib"]
    (tmp_path / ".dockerenv").write_text("")
    facts = wsl_facts(tmp_path, {})
    assert facts["kernel_is_wsl2"] and facts["in_container"] and not facts["is_wsl2_distro"]


def test_explore_require_reruns_only_refused_cells() -> None:
    from checker.cli import explore_cell, refused
    from checker.results import CellResult

    refusal = CheckResult(id="container.start", status=Status.FAIL, details={"category": "toolkit-requirement"})
    other = CheckResult(id="container.start", status=Status.FAIL, details={"category": "toolkit-missing"})
    assert refused(CellResult(name="a", coordinates={}, image_ref="i", checks=(refusal,)))
    assert not refused(CellResult(name="b", coordinates={}, image_ref="i", checks=(other,)))
    cell = loads("schema_version: 1\ncell:\n  image: i\n  env: {A: b}\n  expect: {x: fail}\n").cells()[0]
    again = explore_cell(cell)
    assert again.name == "i+disable-require"
    assert again.env == {"A": "b", "NVIDIA_DISABLE_REQUIRE": "1"}
    assert again.expect == {}
