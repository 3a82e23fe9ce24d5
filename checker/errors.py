"""Errors that end a command: each carries its exit code and a message that says what to do.

Exit codes (DESIGN.md): 0 all as expected, 1 a check failed or a prediction disagreed,
2 bad usage or an invalid matrix, 3 the infrastructure (Docker) was unusable.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_USAGE = 2
EXIT_INFRA = 3
EXIT_INTERRUPTED = 130


class CheckerError(Exception):
    """An expected failure: printed without a traceback, exits with `exit_code`."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, tip: str | None = None) -> None:
        super().__init__(message)
        self.tip = tip

    def render(self) -> str:
        text = f"error: {self}"
        if self.tip:
            text += f"\ntip: {self.tip}"
        return text


class UsageError(CheckerError):
    """The command line asked for something that cannot be done."""


class MatrixError(CheckerError):
    """matrix.yaml is invalid; the message names the file, the line and the offending key."""

    def __init__(
        self, message: str, *, path: str = "<matrix>", line: int | None = None, key: str | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class DockerUnavailableError(CheckerError):
    """No Docker Engine answered; nothing can run."""

    exit_code = EXIT_INFRA


class BaseImageError(CheckerError):
    """checker could not make its own Debian base image (debootstrap)."""

    exit_code = EXIT_INFRA
