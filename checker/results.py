"""The result model: what a run found, as frozen dataclasses with a versioned JSON form.

`report.json` is the single source of truth: every reporter reads a `Report` and nothing else, so any
report can be rendered again later from its JSON (`checker report report.json`).
"""

from __future__ import annotations

import enum
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class Status(str, enum.Enum):
    """Outcome of one check. `error` means the check itself broke, not that the thing checked is bad."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """One check of one cell: a JUnit test case."""

    id: str
    status: Status
    message: str = ""
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    expected: Status | None = None

    @property
    def as_expected(self) -> bool:
        """True when the outcome is acceptable: a pass/skip, or exactly what the matrix expected."""
        if self.expected is not None:
            return self.status == self.expected
        return self.status in (Status.PASS, Status.SKIP)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["expected"] = self.expected.value if self.expected else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        expected = data.get("expected")
        return cls(
            id=str(data["id"]),
            status=Status(data["status"]),
            message=str(data.get("message", "")),
            duration_s=float(data.get("duration_s", 0.0)),
            details=dict(data.get("details") or {}),
            expected=Status(expected) if expected else None,
        )


@dataclass(frozen=True, kw_only=True)
class BenchRow:
    """One benchmark measurement (filled by the benchmark phase)."""

    op: str
    median_ms: float
    p10_ms: float
    p90_ms: float
    speedup_vs_cpu: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CellResult:
    """Everything recorded for one matrix cell."""

    name: str
    coordinates: dict[str, Any]
    image_ref: str
    image_id: str | None = None
    image_env: dict[str, str] = field(default_factory=dict)
    gpus: str = "none"
    prediction: dict[str, Any] | None = None
    checks: tuple[CheckResult, ...] = ()
    bench: tuple[BenchRow, ...] = ()
    exit_code: int | None = None
    log_tail: tuple[str, ...] = ()
    duration_s: float = 0.0
    probe: dict[str, Any] | None = None

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def ok(self) -> bool:
        return all(c.as_expected for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "coordinates": self.coordinates,
            "image_ref": self.image_ref,
            "image_id": self.image_id,
            "image_env": self.image_env,
            "gpus": self.gpus,
            "prediction": self.prediction,
            "checks": [c.to_dict() for c in self.checks],
            "bench": [asdict(b) for b in self.bench],
            "exit_code": self.exit_code,
            "log_tail": list(self.log_tail),
            "duration_s": self.duration_s,
            "probe": self.probe,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellResult:
        return cls(
            name=str(data["name"]),
            coordinates=dict(data.get("coordinates") or {}),
            image_ref=str(data.get("image_ref", "")),
            image_id=data.get("image_id"),
            image_env=dict(data.get("image_env") or {}),
            gpus=str(data.get("gpus", "none")),
            prediction=data.get("prediction"),
            checks=tuple(CheckResult.from_dict(c) for c in data.get("checks", [])),
            bench=tuple(BenchRow(**b) for b in data.get("bench", [])),
            exit_code=data.get("exit_code"),
            log_tail=tuple(data.get("log_tail", [])),
            duration_s=float(data.get("duration_s", 0.0)),
            probe=data.get("probe"),
        )


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    id: str
    started: str
    finished: str
    checker_version: str
    command_line: tuple[str, ...]
    matrix_path: str | None = None
    interrupted: bool = False


@dataclass(frozen=True, kw_only=True)
class Report:
    """A whole run: the input of every reporter."""

    run: RunInfo
    host: dict[str, Any]
    cells: tuple[CellResult, ...]
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        run = asdict(self.run)
        run["command_line"] = list(self.run.command_line)
        return {
            "schema_version": self.schema_version,
            "run": run,
            "host": self.host,
            "cells": [c.to_dict() for c in self.cells],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"report schema_version {version!r} is not supported (this checker reads {SCHEMA_VERSION})"
            )
        run = dict(data["run"])
        run["command_line"] = tuple(run.get("command_line", ()))
        return cls(
            run=RunInfo(**run),
            host=dict(data.get("host") or {}),
            cells=tuple(CellResult.from_dict(c) for c in data.get("cells", [])),
        )

    @classmethod
    def load(cls, path: Path) -> Report:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
