"""Connecting to the Docker Engine, with an error that says what to do when none answers."""

from __future__ import annotations

import docker
import docker.errors
import requests

from checker.diagnose import classify, explain
from checker.errors import DockerUnavailableError


def connect(timeout: float = 120.0) -> docker.DockerClient:
    """A client for the engine named by DOCKER_HOST (or the local socket), checked with a ping."""
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        text = str(exc)
        diagnosis = classify(text)
        if diagnosis.category not in ("docker-permission", "docker-unreachable"):
            diagnosis = classify("Cannot connect to the Docker daemon")
        raise DockerUnavailableError(f"no Docker Engine answered: {text}", tip=diagnosis.advice) from None
    return client


def server_facts(client: docker.DockerClient) -> dict[str, object]:
    """What the report records about the engine (no secrets: no registry auth, no host paths)."""
    try:
        info = client.info()
        version = client.version()
    except docker.errors.DockerException as exc:  # pragma: no cover - the engine answered a ping
        return {"error": str(exc)}
    runtimes = sorted((info.get("Runtimes") or {}).keys())
    return {
        "server_version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "os": info.get("OperatingSystem"),
        "kernel": info.get("KernelVersion"),
        "runtimes": runtimes,
        "default_runtime": info.get("DefaultRuntime"),
        "nvidia_runtime": "nvidia" in runtimes,
        "cdi_spec_dirs": info.get("CDISpecDirs") or [],
    }


def gpu_trial(client: docker.DockerClient, image: str) -> dict[str, object]:
    """A tiny real `--gpus all` container: does this Engine give containers a GPU? Removed whatever happens."""
    from checker.engine.container import device_requests

    container = None
    try:
        container = client.containers.create(
            image,
            ["true"],
            entrypoint=[],
            network_mode="none",
            cap_drop=["ALL"],
            device_requests=device_requests("all"),
            labels={"io.checker.trial": "1"},
        )
        container.start()
        status = container.wait(timeout=60)
        return {"ok": status.get("StatusCode") == 0, "image": image}
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        text = str(getattr(exc, "explanation", None) or exc)
        return {"ok": False, "image": image, "error": text, **explain(text)[1]}
    finally:
        if container is not None:
            try:
                container.remove(force=True)
            except docker.errors.DockerException:
                pass
