"""Getting each cell's image: pull it or build it, then add the probe layer; reuse identical builds.

A build is keyed on everything that decides its result: the Dockerfile and the other files of its
context, the build arguments and the *id* of the image it builds on. An image with that key's tag is
reused on the next run; two cells that need the same build in one run share it (one lock per key).

A custom CA bundle (for hosts behind TLS-inspecting proxies) reaches builds as `checker-ca.pem` in the
build context. Our Dockerfiles use it only in a first stage that downloads packages and copy nothing
but the installed files into the final stage, so the bundle never lands in the image. It is left out
of the key: trusting another CA does not change what gets installed.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import requests

from checker.engine.baseimage import ensure_debian_base
from checker.engine.labels import LABEL_CACHE
from checker.matrix import DEBOOTSTRAP_PREFIX, BuildSpec, Cell, ProbeLayer

CA_FILE_NAME = "checker-ca.pem"
PROBE_LAYER_DOCKERFILE = "probe-layer.Dockerfile"
MAX_CONTEXT_BYTES = 64 << 20
CACHE_REPOSITORY = "checker-cache"


class ImageError(Exception):
    """The image could not be pulled or built; the message says why, `log` has the build's last lines."""

    def __init__(self, message: str, log: list[str] | None = None) -> None:
        super().__init__(message)
        self.log = log or []


@dataclass(frozen=True, kw_only=True)
class ResolvedImage:
    ref: str
    id: str
    env: dict[str, str]
    steps: tuple[str, ...] = ()
    reused: bool = True


@dataclass
class _Progress:
    steps: list[str] = field(default_factory=list)
    reused: bool = True


def containers_dir() -> Path:
    """Where checker's own Dockerfiles live: `containers/` of the checkout (CHECKER_CONTAINERS_DIR overrides)."""
    override = os.environ.get("CHECKER_CONTAINERS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "containers"


class ImageProvider:
    """Resolves a cell to a local image id, building or pulling what is missing."""

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        ca_bundle: Path | None = None,
        debian_mirror: str | None = None,
        on_step: Callable[[str, str], None] | None = None,
    ) -> None:
        self.client = client
        self.ca_pem = ca_bundle.read_bytes() if ca_bundle else b""
        self.debian_mirror = debian_mirror
        self.on_step = on_step or (lambda cell, step: None)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def resolve(self, cell: Cell) -> ResolvedImage:
        progress = _Progress()
        if cell.build is not None:
            base_ref = self._base(cell, cell.build, progress)
            ref = self._build(cell, cell.build.dockerfile, {**cell.build.args}, base_ref, progress)
        else:
            assert cell.image is not None
            ref = self._present(cell, cell.image, progress)
        if cell.probe_layer.enabled:
            ref = self._probe_layer(cell, cell.probe_layer, ref, progress)
        image = self.client.images.get(ref)
        env = dict(item.split("=", 1) for item in (image.attrs.get("Config", {}).get("Env") or []) if "=" in item)
        return ResolvedImage(ref=ref, id=image.id, env=env, steps=tuple(progress.steps), reused=progress.reused)

    # -- sources ---------------------------------------------------------------------------------

    def _base(self, cell: Cell, build: BuildSpec, progress: _Progress) -> str | None:
        if build.base is None:
            return None
        if build.base.startswith(DEBOOTSTRAP_PREFIX):
            suite = build.base[len(DEBOOTSTRAP_PREFIX) :]

            def announce() -> None:
                self.on_step(cell.name, f"making the Debian {suite} base image with debootstrap")
                progress.reused = False

            ref = ensure_debian_base(self.client, suite, mirror=self.debian_mirror, on_make=announce)
            progress.steps.append(f"base {ref}")
            return ref
        return self._present(cell, build.base, progress)

    def _present(self, cell: Cell, ref: str, progress: _Progress) -> str:
        """`ref` as a local image, pulled when it is not here yet."""
        try:
            self.client.images.get(ref)
            progress.steps.append(f"found {ref}")
            return ref
        except docker.errors.ImageNotFound:
            pass
        except docker.errors.APIError as exc:
            raise ImageError(f"cannot inspect {ref}: {exc.explanation or exc}") from None
        self.on_step(cell.name, f"pulling {ref}")
        progress.reused = False
        repository, tag = _split_ref(ref)
        try:
            self.client.images.pull(repository, tag=tag)
        except (docker.errors.APIError, docker.errors.ImageNotFound) as exc:
            raise ImageError(f"cannot pull {ref}: {getattr(exc, 'explanation', None) or exc}") from None
        except requests.exceptions.RequestException as exc:
            raise ImageError(f"cannot pull {ref}: {exc}") from None
        progress.steps.append(f"pulled {ref}")
        return ref

    # -- builds ----------------------------------------------------------------------------------

    def _probe_layer(self, cell: Cell, layer: ProbeLayer, base_ref: str, progress: _Progress) -> str:
        args = {"OPENCV": layer.opencv, "OPENCV_VERSION": layer.opencv_version}
        return self._build(cell, containers_dir() / PROBE_LAYER_DOCKERFILE, args, base_ref, progress)

    def _build(
        self, cell: Cell, dockerfile: Path, args: dict[str, str], base_ref: str | None, progress: _Progress
    ) -> str:
        if not dockerfile.is_file():
            raise ImageError(f"Dockerfile {dockerfile} does not exist")
        if base_ref is not None:
            args = {**args, "BASE": self.client.images.get(base_ref).id}
        files = _context_files(dockerfile)
        key = _cache_key(dockerfile.name, files, args)
        tag = f"{CACHE_REPOSITORY}/{_slug(dockerfile.name)}:{key[:20]}"
        with self._lock_for(key):
            if _exists(self.client, tag):
                progress.steps.append(f"reused {tag}")
                return tag
            self.on_step(cell.name, f"building {dockerfile.name}")
            progress.reused = False
            started = time.monotonic()
            context = _context_tar(files, self.ca_pem)
            self._run_build(context, dockerfile.name, args, tag, key)
            progress.steps.append(f"built {tag} in {time.monotonic() - started:.1f}s")
            return tag

    def _run_build(self, context: bytes, dockerfile: str, args: dict[str, str], tag: str, key: str) -> None:
        log: list[str] = []
        try:
            stream = self.client.api.build(
                fileobj=io.BytesIO(context),
                custom_context=True,
                dockerfile=dockerfile,
                tag=tag,
                buildargs=args,
                labels={LABEL_CACHE: key},
                rm=True,
                forcerm=True,
                pull=False,
                decode=True,
            )
            for chunk in stream:
                if "stream" in chunk:
                    log.extend(line for line in chunk["stream"].splitlines() if line.strip())
                    del log[:-200]
                if "error" in chunk:
                    raise ImageError(f"build of {dockerfile} failed: {chunk['error'].strip()}", log[-30:])
        except docker.errors.APIError as exc:
            raise ImageError(f"build of {dockerfile} failed: {exc.explanation or exc}", log[-30:]) from None
        except requests.exceptions.RequestException as exc:
            raise ImageError(f"build of {dockerfile} failed: {exc}", log[-30:]) from None

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def _exists(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def _context_files(dockerfile: Path) -> dict[str, bytes]:
    """The build context: the Dockerfile's folder (small by design: checker's containers/)."""
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(dockerfile.parent.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(dockerfile.parent).parts):
            data = path.read_bytes()
            total += len(data)
            if total > MAX_CONTEXT_BYTES:
                raise ImageError(f"the build context {dockerfile.parent} is larger than {MAX_CONTEXT_BYTES >> 20} MiB")
            files[path.relative_to(dockerfile.parent).as_posix()] = data
    return files


def _cache_key(dockerfile: str, files: dict[str, bytes], args: dict[str, str]) -> str:
    digest = hashlib.sha256()
    digest.update(f"dockerfile={dockerfile}\n".encode())
    for name in sorted(files):
        digest.update(f"file={name}:{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    for name in sorted(args):
        digest.update(f"arg={name}={args[name]}\n".encode())
    return digest.hexdigest()


def _context_tar(files: dict[str, bytes], ca_pem: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in {**files, CA_FILE_NAME: ca_pem}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _split_ref(ref: str) -> tuple[str, str | None]:
    """'nvidia/cuda:12.4.1-runtime-ubuntu22.04' -> ('nvidia/cuda', '12.4.1-…'); digests stay whole."""
    if "@" in ref:
        return ref, None
    name, _, tag = ref.rpartition(":")
    if name and "/" not in tag:
        return name, tag
    return ref, "latest"


def _slug(name: str) -> str:
    stem = name.removesuffix(".Dockerfile").removesuffix("Dockerfile").strip(".-_") or "image"
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in stem.lower())
