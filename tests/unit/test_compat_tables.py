"""NVIDIA's tables as data, spot-checked against the published values (../shared/reference/cuda-compat.md)."""

from __future__ import annotations

from checker.compat import tables


def row(version: tuple[int, int, int]) -> tables.Release:
    found = tables.release(version)
    assert found is not None
    return found


def test_spot_checks_against_nvidias_release_notes() -> None:
    assert (row((12, 2, 2)).linux_min, row((12, 2, 2)).windows_min) == ("535.104.05", "537.13")
    assert (row((11, 8, 0)).linux_min, row((11, 8, 0)).windows_min) == ("520.61.05", "520.06")  # Windows is lower
    assert (row((12, 4, 1)).linux_min, row((12, 4, 1)).windows_min) == ("550.54.15", "551.78")
    assert row((12, 8, 0)).linux_min == "570.26"
    assert (row((13, 0, 0)).linux_min, row((13, 0, 0)).windows_min) == ("580.65.06", None)
    assert row((11, 0, 3)).linux_min == "450.51.06"


def test_an_update_without_a_row_takes_the_newest_row_below_it() -> None:
    assert row((12, 3, 2)).version == (12, 3, 1)  # no 12.3 Update 2 row is published
    assert tables.release((12, 7, 0)) is None  # there is no CUDA 12.7 toolkit
    assert tables.release((14, 0, 0)) is None


def test_every_row_names_its_source_and_rows_are_ordered() -> None:
    versions = [r.version for r in tables.RELEASES]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert all(r.source for r in tables.RELEASES)
    assert all(f.source for f in tables.MINOR_VERSION_FLOOR.values())


def test_floors_branches_and_ptx() -> None:
    assert tables.MINOR_VERSION_FLOOR[12].linux == "525.60.13"
    assert tables.MINOR_VERSION_FLOOR[11].windows == "452.39"
    assert tables.BRANCH_OF_RELEASE[(12, 2)] == 535
    assert tables.BRANCH_OF_RELEASE[(13, 0)] == 580
    assert tables.PTX_ISA[(12, 6)] == tables.PTX_ISA[(12, 5)] == "8.5"
    assert 535 in tables.FORWARD_COMPAT_BRANCHES[(12, 4)]
    assert 570 not in tables.FORWARD_COMPAT_BRANCHES[(12, 4)]


def test_the_probe_carries_the_same_ptx_table() -> None:
    from checker import probe

    assert {k: v for k, v in tables.PTX_ISA.items() if k != (12, 7)} == probe.PTX_ISA
