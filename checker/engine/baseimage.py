"""A Debian base image that checker makes itself, for hosts that reach no container registry.

`build.base: debootstrap:<suite>` in a matrix asks for it: debootstrap (minbase, with python3, pip and
CA certificates) into a temporary folder, `docker import` of that folder, cached under a local tag, so
later runs reuse it. Needs root and the `debootstrap` command; both are checked first with a message
that says what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from checker.engine.labels import LABEL_CACHE
from checker.errors import BaseImageError

BASE_REPOSITORY = "checker-base/debian"
PACKAGES = ("python3", "python3-pip", "ca-certificates")
ENV_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def base_tag(suite: str) -> str:
    return f"{BASE_REPOSITORY}:{suite}"


def ensure_debian_base(
    client: docker.DockerClient,
    suite: str,
    *,
    mirror: str | None = None,
    log: list[str] | None = None,
    on_make: Callable[[], None] | None = None,
) -> str:
    """The tag of a local Debian `suite` image, made with debootstrap when it does not exist yet
    (`on_make` is told before the minute-long making starts)."""
    tag = base_tag(suite)
    with _lock_for(tag):
        try:
            client.images.get(tag)
            return tag
        except docker.errors.ImageNotFound:
            pass
        _preflight()
        if on_make is not None:
            on_make()
        with tempfile.TemporaryDirectory(prefix="checker-debootstrap-") as work:
            rootfs = Path(work) / "rootfs"
            _debootstrap(suite, rootfs, mirror or host_debian_mirror(), log)
            archive = Path(work) / "rootfs.tar"
            _tar(rootfs, archive)
            client.api.import_image_from_file(
                str(archive),
                repository=BASE_REPOSITORY,
                tag=suite,
                changes=[f"ENV {ENV_PATH}", f"LABEL {LABEL_CACHE}=debootstrap-{suite}", 'CMD ["/bin/bash"]'],
            )
        return tag


def _lock_for(tag: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(tag, threading.Lock())


def _preflight() -> None:
    if shutil.which("debootstrap") is None:
        raise BaseImageError(
            "the matrix asks for a debootstrap base image, but the `debootstrap` command is not installed",
            tip="install it (`sudo apt-get install debootstrap`), or use a pulled base image in `build.base`",
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            "debootstrap needs root to make the Debian base image",
            tip="run checker as root once (`sudo checker run …`); later runs reuse the cached image "
            f"{BASE_REPOSITORY}:<suite>",
        )


def _debootstrap(suite: str, rootfs: Path, mirror: str | None, log: list[str] | None) -> None:
    argv = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite, str(rootfs)]
    if mirror:
        argv.append(mirror)
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    if log is not None:
        log.extend(lines[-20:])
    if proc.returncode != 0:
        tail = "\n".join(lines[-8:])
        raise BaseImageError(
            f"debootstrap {suite} failed (exit {proc.returncode}):\n{tail}",
            tip="check the suite name and that Debian's package mirror is reachable; set "
            "`settings.debian_mirror` or --debian-mirror to use another mirror",
        )


def _tar(rootfs: Path, archive: Path) -> None:
    proc = subprocess.run(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BaseImageError(f"could not archive the debootstrap folder: {proc.stderr.strip()}")


def host_debian_mirror(root: Path = Path("/")) -> str | None:
    """The Debian archive this host's apt already uses (so no mirror is hard-coded); None elsewhere.

    Only on Debian hosts: an Ubuntu mirror does not serve Debian suites. None lets debootstrap pick its
    own default mirror.
    """
    try:
        os_release = (root / "etc/os-release").read_text(encoding="utf-8")
    except OSError:
        return None
    if not re.search(r"^ID=\"?debian\"?$", os_release, re.M):
        return None
    sources = [root / "etc/apt/sources.list", *sorted((root / "etc/apt/sources.list.d").glob("*.sources"))]
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for uri in re.findall(r"^\s*(?:URIs:|deb)\s+(\S+)", text, re.M):
            if uri.startswith(("http://", "https://")) and "security" not in uri and uri.rstrip("/").endswith("debian"):
                return str(uri)
    return None
