"""Integration tests: a real Docker Engine, real images built locally, the real CLI."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from checker.cli import main
from checker.engine import LABEL_RUN

ROOT = Path(__file__).resolve().parents[2]
IMAGES = Path(__file__).resolve().parent / "images"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def client() -> Iterator[docker.DockerClient]:
    try:
        engine = docker.from_env()
        engine.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: no engine here
        if os.environ.get("CHECKER_REQUIRE_DOCKER") == "1":
            pytest.fail(f"CHECKER_REQUIRE_DOCKER=1 but no Docker Engine answers: {exc}")
        pytest.skip(f"no Docker Engine: {exc}")
    yield engine


@pytest.fixture
def no_leftovers(client: docker.DockerClient) -> Iterator[None]:
    """Fails the test if any container labelled by a checker run is left after it."""
    yield
    left = client.containers.list(all=True, filters={"label": LABEL_RUN})
    assert not left, f"containers left behind: {[c.name for c in left]}"


def write_matrix(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "matrix.yaml"
    path.write_text(text, encoding="utf-8")
    return path
