"""Unit tests are pure: any attempt to start a process or open a Docker client fails the test."""

from __future__ import annotations

import subprocess
from typing import Any

import docker
import pytest


def _forbidden(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("unit tests must not start processes or talk to Docker; use tests/integration")


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", _forbidden)
    monkeypatch.setattr(docker, "from_env", _forbidden)
    monkeypatch.setattr(docker, "DockerClient", _forbidden)
