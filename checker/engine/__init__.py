"""The Docker boundary: the only code in checker that talks to a Docker Engine (through the docker SDK).

Planning is pure and lives elsewhere (matrix, compat); this package receives what it must run as
arguments: images to build or pull, containers to start, probes to copy in.
"""

from checker.engine.client import connect
from checker.engine.container import ProbeExecution, ProbeRun, remove_run_containers
from checker.engine.images import ImageProvider, ResolvedImage
from checker.engine.labels import LABEL_CACHE, LABEL_CELL, LABEL_RUN

__all__ = [
    "LABEL_CACHE",
    "LABEL_CELL",
    "LABEL_RUN",
    "ImageProvider",
    "ProbeExecution",
    "ProbeRun",
    "ResolvedImage",
    "connect",
    "remove_run_containers",
]
