"""Report rendering cost per cell at 10, 100 and 1000 cells, as a ratio to the 10-cell report.

A ratio near 1.0 means rendering scales linearly with the number of cells.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from checker.report import RENDERERS
from tests.unit.report_fixture import fixture_report


def report_with(cells: int):  # type: ignore[no-untyped-def]
    base = fixture_report()
    many = [replace(base.cells[i % 3], name=f"cell-{i}") for i in range(cells)]
    return replace(base, cells=tuple(many))


def seconds_per_cell(cells: int, repeats: int = 5) -> dict[str, float]:
    report = report_with(cells)
    out = {}
    for name, (_, render) in RENDERERS.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            render(report)
            times.append(time.perf_counter() - started)
        out[name] = statistics.median(times) / cells
    return out


def main() -> None:
    baseline = seconds_per_cell(10)
    print(f"{'format':<10} {'cells':>6} {'µs/cell':>10} {'ratio to 10 cells':>18}")
    for cells in (10, 100, 1000):
        for name, value in seconds_per_cell(cells).items():
            print(f"{name:<10} {cells:>6} {value * 1e6:>10.1f} {value / baseline[name]:>18.2f}")


if __name__ == "__main__":
    main()
