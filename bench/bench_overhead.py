"""checker's orchestration overhead for one cached cell, as a ratio to a bare `docker run`.

Both sides use the same locally cached image, built by `checker run examples/offline.yaml`; the matrix
cell is built from an image reference, so no build runs inside the measurement.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5


def cached_image(client: docker.DockerClient) -> str:
    for image in client.images.list(name="checker-cache/probe-layer"):
        if image.tags:
            return str(image.tags[0])
    sys.exit("no cached probe-layer image: run `checker run examples/offline.yaml` once first")


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    client = docker.from_env()
    image = cached_image(client)
    with tempfile.TemporaryDirectory() as work:
        matrix = Path(work) / "one.yaml"
        matrix.write_text(f"schema_version: 1\ncell:\n  image: {image}\n  gpus: none\n  probe_layer: false\n")
        baseline = [
            timed(["docker", "run", "--rm", "--network", "none", image, "python3", "-c", "pass"])
            for _ in range(REPEATS)
        ]
        checker = [
            timed([sys.executable, "-m", "checker", "run", str(matrix), "-q", "-o", work, "--fail-on", "never"])
            for _ in range(REPEATS)
        ]
    base, ours = statistics.median(baseline), statistics.median(checker)
    print(f"image: {image}")
    print(f"docker run --rm (baseline): median {base:.3f}s over {REPEATS}")
    print(f"checker run, one cell:       median {ours:.3f}s over {REPEATS}")
    print(f"ratio: {ours / base:.2f}x the bare container start (includes the whole probe and three reports)")


if __name__ == "__main__":
    main()
