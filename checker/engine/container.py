"""One probe container, from creation to removal, whatever happens in between.

The lifecycle is create -> copy the probe in through the API (works with remote engines, unlike bind
mounts) -> start with the cell's GPU request -> wait with the cell's timeout -> collect the output ->
remove. Removal runs in `__exit__` for every outcome, Ctrl-C included; the SDK's
`containers.run(remove=True)` would leave the container behind when start fails, so it is not used.
`CHECKER_KEEP_CONTAINERS=1` keeps containers for debugging.

Least privilege: all capabilities dropped, no-new-privileges, no network unless the cell asks for it,
pids and memory limits, the probe file read-only.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import docker
import docker.errors
import requests
from docker.types import DeviceRequest

from checker.engine.labels import LABEL_CELL, LABEL_RUN

PROBE_DIR = "/.checker"
PROBE_PATH = f"{PROBE_DIR}/probe.py"
LOG_TAIL_LINES = 40
MEMORY_LIMIT = "8g"
PIDS_LIMIT = 512


@dataclass(frozen=True, kw_only=True)
class ProbeExecution:
    """What came out of the container."""

    started: bool
    start_error: str | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    oom_killed: bool = False
    duration_s: float = 0.0

    def log_tail(self) -> list[str]:
        lines = (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).splitlines()
        return [line for line in lines if not line.startswith("CHECKER-PROBE ")][-LOG_TAIL_LINES:]


def device_requests(gpus: str) -> list[DeviceRequest]:
    """The `--gpus` value as the Engine API's DeviceRequests (none: no request at all)."""
    if gpus == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if gpus.startswith("device="):
        ids = gpus[len("device=") :].split(",")
        return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]
    return []


def container_name(run_id: str, cell_name: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9_.-]+", "-", cell_name).strip("-.")[:60] or "cell"
    return f"checker-{run_id}-{slug}"


class ProbeRun:
    """Context manager owning one probe container."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        image: str,
        run_id: str,
        cell_name: str,
        probe_source: bytes,
        gpus: str = "none",
        network: bool = False,
        env: dict[str, str] | None = None,
        python: str = "python3",
        timeout_s: float = 300.0,
    ) -> None:
        self.client = client
        self.image = image
        self.run_id = run_id
        self.cell_name = cell_name
        self.probe_source = probe_source
        self.gpus = gpus
        self.network = network
        self.env = env or {}
        self.python = python
        self.timeout_s = timeout_s
        self.container: Any = None

    def __enter__(self) -> ProbeRun:
        environment = {
            **self.env,
            "CHECKER_GPUS": self.gpus,
            "CHECKER_CHECK_TIMEOUT": str(max(5.0, self.timeout_s / 4)),
            "CHECKER_DEADLINE": str(max(5.0, self.timeout_s * 0.8)),
        }
        self.container = self.client.containers.create(
            self.image,
            command=[self.python, "-u", PROBE_PATH],
            entrypoint=[],
            name=container_name(self.run_id, self.cell_name),
            labels={LABEL_RUN: self.run_id, LABEL_CELL: self.cell_name},
            environment=environment,
            network_mode="bridge" if self.network else "none",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            pids_limit=PIDS_LIMIT,
            mem_limit=MEMORY_LIMIT,
            device_requests=device_requests(self.gpus),
            detach=True,
        )
        self.container.put_archive("/", _probe_archive(self.probe_source))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()

    def remove(self) -> None:
        if self.container is None or os.environ.get("CHECKER_KEEP_CONTAINERS") == "1":
            return
        try:
            self.container.remove(force=True)
        except docker.errors.NotFound:
            pass
        except (docker.errors.APIError, requests.exceptions.RequestException):
            pass  # `checker clean` finds it by its run label
        self.container = None

    def has_path(self, path: str) -> bool:
        """Does `path` exist in the (created, not yet started) container? A HEAD on the archive endpoint:
        the Engine answers with a stat header, nothing is copied."""
        api = self.client.api
        try:
            response = api.head(api._url("/containers/{0}/archive", self.container.id), params={"path": path})
        except requests.exceptions.RequestException:
            return False
        return bool(response.status_code == 200)

    def run(self) -> ProbeExecution:
        """Start the container, wait for the probe (at most the timeout), collect its output."""
        started = time.monotonic()
        try:
            self.container.start()
        except docker.errors.APIError as exc:
            return ProbeExecution(started=False, start_error=str(exc.explanation or exc))
        timed_out = False
        exit_code: int | None = None
        try:
            status = self.container.wait(timeout=self.timeout_s)
            exit_code = int(status.get("StatusCode", -1))
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            timed_out = True
            self._kill()
        except docker.errors.NotFound:
            return ProbeExecution(started=True, start_error="the container disappeared (interrupted?)")
        duration = time.monotonic() - started
        stdout, stderr = self._logs()
        return ProbeExecution(
            started=True,
            exit_code=exit_code,
            stdout=stdout,
            stderr=stderr,
            timed_out=timed_out,
            oom_killed=self._oom_killed(),
            duration_s=duration,
        )

    def _kill(self) -> None:
        try:
            self.container.kill()
        except (docker.errors.APIError, requests.exceptions.RequestException):
            pass

    def _logs(self) -> tuple[str, str]:
        try:
            out = self.container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            err = self.container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            return out, err
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return "", ""

    def _oom_killed(self) -> bool:
        try:
            self.container.reload()
            return bool(self.container.attrs.get("State", {}).get("OOMKilled"))
        except (docker.errors.APIError, requests.exceptions.RequestException):
            return False


def _probe_archive(source: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(PROBE_DIR.lstrip("/"))
        folder.type = tarfile.DIRTYPE
        folder.mode = 0o555
        tar.addfile(folder)
        info = tarfile.TarInfo(PROBE_PATH.lstrip("/"))
        info.size = len(source)
        info.mode = 0o444
        tar.addfile(info, io.BytesIO(source))
    return buffer.getvalue()


def probe_source() -> bytes:
    """The probe file as it is shipped into containers."""
    return (Path(__file__).resolve().parents[1] / "probe.py").read_bytes()


def remove_run_containers(client: docker.DockerClient, run_id: str | None = None) -> list[str]:
    """Remove containers of one run (or of every run): what Ctrl-C and `checker clean` do."""
    label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_RUN
    removed = []
    for container in client.containers.list(all=True, filters={"label": label}):
        try:
            container.remove(force=True)
            removed.append(container.name)
        except docker.errors.NotFound:
            continue
    return removed
