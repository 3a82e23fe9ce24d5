"""Running cells: image, container, probe, checks; in parallel; surviving Ctrl-C.

Every failure becomes a check of its cell and the run goes on with the other cells. On SIGINT or
SIGTERM every container of the run is removed, cells that did not finish are recorded as interrupted,
and the caller still writes the report.
"""

from __future__ import annotations

import concurrent.futures
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import FrameType
from typing import Any

import docker
import docker.errors
import requests

from checker.compat import DriverInfo
from checker.compat.observe import agreement
from checker.compat.predict import predict_for_image
from checker.diagnose import explain
from checker.engine import ImageProvider, ProbeRun, ResolvedImage, remove_run_containers
from checker.engine.container import probe_source
from checker.engine.images import ImageError
from checker.errors import BaseImageError
from checker.matrix import Cell
from checker.probe_output import parse_probe_output
from checker.results import CellResult, CheckResult, Status

Progress = Callable[[str], None]


@dataclass
class RunContext:
    client: docker.DockerClient
    provider: ImageProvider
    run_id: str
    gpu_available: bool
    progress: Progress = lambda message: None
    cancel: threading.Event = field(default_factory=threading.Event)
    probe: bytes = field(default_factory=probe_source)
    driver: DriverInfo | None = None


def resolve_gpus(requested: str, gpu_available: bool) -> tuple[str, str | None]:
    """`auto` becomes `all` on a host with a working NVIDIA driver, else `none` (with the reason)."""
    if requested != "auto":
        return requested, None
    if gpu_available:
        return "all", "gpus: auto -> all (NVML sees a GPU on this host)"
    return "none", "gpus: auto -> none (NVML sees no NVIDIA GPU or driver on this host)"


def run_cell(cell: Cell, ctx: RunContext) -> CellResult:
    """Everything about one cell, as a CellResult; never raises for a cell's own failures."""
    started = time.monotonic()
    gpus, gpu_note = resolve_gpus(cell.gpus, ctx.gpu_available)
    result = CellResult(
        name=cell.name,
        coordinates=cell.coordinates,
        image_ref=cell.image_label,
        gpus=gpus,
    )
    checks: list[CheckResult] = []
    if ctx.cancel.is_set():
        return _finish(cell, result, [interrupted_check()], started)
    image_check, image = _image_check(cell, ctx)
    checks.append(image_check)
    if image is None:
        checks += [
            CheckResult(id="container.start", status=Status.SKIP, message="no image (see image.available)"),
            CheckResult(id="probe.output", status=Status.SKIP, message="no image (see image.available)"),
        ]
        return _finish(cell, result, checks, started)
    result = replace(result, image_id=image.id, image_env=image.env)
    if ctx.cancel.is_set():
        return _finish(cell, result, [*checks, interrupted_check()], started)
    ctx.progress(f"{cell.name}: running the probe (gpus: {gpus})")
    probe_checks, extra = _probe_checks(cell, ctx, image, gpus, gpu_note)
    why_none = extra.pop("why_no_prediction", "")
    result = replace(result, **extra, checks=tuple(checks + probe_checks))
    if not any(c.id == "run.interrupted" for c in probe_checks):
        probe_checks.append(agreement(result, result.prediction, why_none))
    return _finish(cell, result, checks + probe_checks, started)


def _image_check(cell: Cell, ctx: RunContext) -> tuple[CheckResult, ResolvedImage | None]:
    began = time.monotonic()
    try:
        image = ctx.provider.resolve(cell)
    except (ImageError, BaseImageError) as exc:
        message, advice = explain(str(exc))
        details: dict[str, Any] = dict(advice)
        if isinstance(exc, ImageError) and exc.log:
            details["build_log_tail"] = exc.log[-15:]
        return CheckResult(
            id="image.available",
            status=Status.FAIL,
            message=message,
            duration_s=time.monotonic() - began,
            details=details,
        ), None
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        return CheckResult(
            id="image.available",
            status=Status.ERROR,
            message=f"Docker failed: {exc}",
            duration_s=time.monotonic() - began,
        ), None
    how = "reused from cache" if image.reused else "built/pulled now"
    return CheckResult(
        id="image.available",
        status=Status.PASS,
        message=f"{image.ref} ({how})",
        duration_s=time.monotonic() - began,
        details={"steps": list(image.steps), "image_id": image.id},
    ), image


def _probe_checks(
    cell: Cell, ctx: RunContext, image: ResolvedImage, gpus: str, gpu_note: str | None
) -> tuple[list[CheckResult], dict[str, Any]]:
    began = time.monotonic()
    try:
        with ProbeRun(
            ctx.client,
            image=image.id,
            run_id=ctx.run_id,
            cell_name=cell.name,
            probe_source=ctx.probe,
            gpus=gpus,
            network=cell.network,
            env=cell.env,
            python=cell.python,
            timeout_s=cell.timeout_s,
        ) as run:
            prediction, why_none = predict_for_image(
                ctx.driver, image.env, cell.env, compat_libs=run.has_path("/usr/local/cuda/compat")
            )
            execution = run.run()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        if ctx.cancel.is_set():
            return [interrupted_check()], {}
        return _start_failed(str(getattr(exc, "explanation", None) or exc), time.monotonic() - began), {}
    if ctx.cancel.is_set():  # the container was removed under the probe: what it printed is not evidence
        return [interrupted_check()], {}
    predicted = {"prediction": prediction, "why_no_prediction": why_none}
    if not execution.started or (execution.start_error and not execution.stdout):
        return _start_failed(execution.start_error or "unknown", time.monotonic() - began), predicted
    start_details = {"gpus": gpus, **({"note": gpu_note} if gpu_note else {})}
    start = CheckResult(
        id="container.start",
        status=Status.PASS,
        message=f"started with gpus: {gpus}" + (f" ({gpu_note})" if gpu_note else ""),
        duration_s=execution.duration_s,
        details=start_details,
    )
    extra: dict[str, Any] = {"exit_code": execution.exit_code, "log_tail": tuple(execution.log_tail()), **predicted}
    if execution.timed_out:
        timeout = CheckResult(
            id="probe.output",
            status=Status.FAIL,
            message=f"the probe did not finish within the cell's timeout of {cell.timeout_s:g}s; the container "
            f"was killed (category: timeout)",
            details={"category": "timeout", "log_tail": execution.log_tail()[-10:]},
        )
        return [start, timeout], extra
    parsed = parse_probe_output(execution.stdout, execution.exit_code, execution.log_tail())
    output = parsed.output_check
    if execution.oom_killed:
        output = replace(output, status=Status.FAIL, message=f"the container was OOM-killed; {output.message}")
    if parsed.document is not None:
        extra["probe"] = {k: v for k, v in parsed.document.items() if k != "checks"}
    return [start, output, *parsed.checks], extra


def _start_failed(text: str, duration: float) -> list[CheckResult]:
    message, details = explain(text)
    return [
        CheckResult(id="container.start", status=Status.FAIL, message=message, duration_s=duration, details=details),
        CheckResult(id="probe.output", status=Status.SKIP, message="the container did not start"),
    ]


def interrupted_check() -> CheckResult:
    return CheckResult(
        id="run.interrupted", status=Status.ERROR, message="the run was interrupted before this cell finished"
    )


def _finish(cell: Cell, result: CellResult, checks: list[CheckResult], started: float) -> CellResult:
    checks = apply_expectations(checks, cell)
    return replace(result, checks=tuple(checks), duration_s=round(time.monotonic() - started, 3))


def apply_expectations(checks: list[CheckResult], cell: Cell) -> list[CheckResult]:
    """Mark each check with the status the matrix expects; an expectation for a missing check is an error."""
    out = [replace(c, expected=cell.expect[c.id]) if c.id in cell.expect else c for c in checks]
    seen = {c.id for c in checks}
    interrupted = "run.interrupted" in seen
    for check_id, status in cell.expect.items():
        if check_id not in seen and not interrupted:
            out.append(
                CheckResult(
                    id=check_id,
                    status=Status.ERROR,
                    expected=status,
                    message=f"the matrix expects {check_id} to {status.value}, but no such check ran",
                )
            )
    return out


class _Terminated(BaseException):
    """SIGTERM, turned into an exception in the main thread like Ctrl-C."""


def run_all(cells: list[Cell], ctx: RunContext, jobs: int) -> tuple[list[CellResult], bool]:
    """Run every cell (at most `jobs` at once). Returns the results in matrix order and whether interrupted."""
    results: dict[str, CellResult] = {}
    previous = _install_sigterm()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="cell")
    futures = {pool.submit(run_cell, cell, ctx): cell for cell in cells}
    interrupted = False
    previous_int: Any = None
    try:
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.5)
            for future in done:
                cell = futures[future]
                results[cell.name] = _result_of(future, cell)
                ctx.progress(_summary(results[cell.name], len(results), len(cells)))
    except (KeyboardInterrupt, _Terminated):
        interrupted = True
        previous_int = _ignore_further_interrupts()  # a second Ctrl-C must not cut the cleanup short
        ctx.cancel.set()
        ctx.progress("interrupted: removing this run's containers and writing the report of what finished")
        _remove_quietly(ctx)
        for future, cell in futures.items():
            future.cancel()
            if future.done() and not future.cancelled() and cell.name not in results:
                results[cell.name] = _result_of(future, cell)
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        if interrupted:
            _remove_quietly(ctx)
            if previous_int is not None:
                signal.signal(signal.SIGINT, previous_int)
        _restore_sigterm(previous)
    ordered = []
    for cell in cells:
        if cell.name in results:
            ordered.append(results[cell.name])
        else:
            ordered.append(
                _finish(
                    cell,
                    CellResult(name=cell.name, coordinates=cell.coordinates, image_ref=cell.image_label),
                    [interrupted_check()],
                    time.monotonic(),
                )
            )
    return ordered, interrupted


def _result_of(future: concurrent.futures.Future[CellResult], cell: Cell) -> CellResult:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a bug in checker: record it against the cell, keep the run going
        check = CheckResult(id="checker.internal", status=Status.ERROR, message=f"checker broke on this cell: {exc!r}")
        return CellResult(name=cell.name, coordinates=cell.coordinates, image_ref=cell.image_label, checks=(check,))


def _summary(result: CellResult, done: int, total: int) -> str:
    verdict = "ok" if result.ok else "FAILED"
    bad = [f"{c.id}={c.status.value}" for c in result.checks if not c.as_expected]
    return (
        f"[{done}/{total}] {result.name}: {verdict}"
        + (f" ({', '.join(bad)})" if bad else "")
        + f" in {result.duration_s:.1f}s"
    )


def _remove_quietly(ctx: RunContext) -> None:
    try:
        remove_run_containers(ctx.client, ctx.run_id)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        print(f"warning: could not remove this run's containers ({exc}); run `checker clean`", file=sys.stderr)


def _install_sigterm() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def handler(signum: int, frame: FrameType | None) -> None:
        raise _Terminated()

    return signal.signal(signal.SIGTERM, handler)


def _ignore_further_interrupts() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return signal.signal(signal.SIGINT, signal.SIG_IGN)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
