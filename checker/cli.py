"""The `checker` command line: run, host, compat, probe, report, merge, clean.

Expected failures are `CheckerError`s, printed as one message with a tip and no traceback; the exit
code is computed in one place (`exit_code_for`). `--debug` shows tracebacks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from checker import __version__
from checker.errors import (
    EXIT_CHECKS_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CheckerError,
    UsageError,
)
from checker.results import Report, RunInfo, Status, write_atomically

DEFAULT_OUTPUT_DIR = "checker-out"
CA_ENV_VARIABLES = ("CHECKER_CA_BUNDLE", "PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")

RUN_EPILOG = """\
examples:
  checker run --list matrix.yaml              show the expanded cells, run nothing
  checker run examples/offline.yaml           build images locally (no registry needed) and probe them
  checker run matrix.yaml --only 'cuda12*' -j 2
  checker run matrix.yaml --ca-bundle /path/to/corporate-ca.pem

outputs (in --output-dir): report.json (the source of truth), junit.xml, matrix.md
(also appended to $GITHUB_STEP_SUMMARY when set).
exit codes: 0 all as expected, 1 a check failed (see --fail-on), 2 bad usage or invalid matrix,
3 Docker unusable, 130 interrupted (the report of what finished is still written).
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checker",
        description="Tells, with evidence, which CUDA runtime images (and the OpenCV builds inside them) "
        "work on this host's NVIDIA driver, and how fast.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Start with `checker run --list matrix.yaml`, then `checker run matrix.yaml`.",
    )
    parser.add_argument("--version", action="version", version=f"checker {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="expand a matrix, build/pull each image, probe it in a container, write reports",
        description="Run every cell of a matrix: get the image (pull, or build with the probe layer), "
        "start a container with the cell's GPU request, run the probe, record every check.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=RUN_EPILOG,
    )
    run.add_argument("matrix", nargs="?", default="matrix.yaml", help="matrix file (default: matrix.yaml)")
    run.add_argument("--list", action="store_true", help="print the expanded cells and run nothing")
    run.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="run only cells whose name matches (glob or substring); repeatable",
    )
    run.add_argument(
        "-o",
        "--output-dir",
        default=DEFAULT_OUTPUT_DIR,
        type=Path,
        help=f"where reports go (default: {DEFAULT_OUTPUT_DIR}/)",
    )
    run.add_argument("-j", "--jobs", type=int, default=1, help="cells to run at once (default: 1)")
    run.add_argument(
        "--ca-bundle",
        metavar="PATH|none",
        help="CA bundle for package downloads during image builds (TLS-inspecting proxies); "
        "default: settings.ca_bundle of the matrix, else $CHECKER_CA_BUNDLE, $PIP_CERT, "
        "$REQUESTS_CA_BUNDLE or $SSL_CERT_FILE; never copied into the images",
    )
    run.add_argument(
        "--debian-mirror",
        metavar="URL",
        help="Debian mirror for debootstrap base images (default: this host's apt mirror on Debian, "
        "else debootstrap's own default)",
    )
    run.add_argument(
        "--fail-on",
        choices=("any", "error", "never"),
        default="any",
        help="exit 1 when: any check is not as expected (default), only when a check errored, never",
    )
    run.add_argument("--host-label", help="name of this host in reports (default: the hostname)")
    run.add_argument(
        "--explore-require",
        action="store_true",
        help="run every cell the container toolkit refused (NVIDIA_REQUIRE_CUDA unsatisfied) again with "
        "NVIDIA_DISABLE_REQUIRE=1, to show what the toolkit's check hides",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="print only the summary")

    host = sub.add_parser(
        "host",
        help="show this host's driver, GPUs, WSL2 and Docker facts",
        description="What checker knows about this host: NVIDIA driver and GPUs (NVML), "
        "WSL2 signs, the Docker Engine. Needs no GPU and starts no container.",
    )
    host.add_argument("--json", action="store_true", help="print JSON")
    host.add_argument(
        "--gpu-trial",
        metavar="IMAGE",
        nargs="?",
        const="checker-base/debian:bookworm",
        help="also start a tiny real container with --gpus all on IMAGE (a local image; default: checker's "
        "Debian base) to prove that Docker can give containers a GPU",
    )

    compat = sub.add_parser(
        "compat",
        help="predict whether a CUDA image runs on a driver, offline",
        description="Predicts from NVIDIA's published rules whether an image with CUDA X runs on driver Y, and "
        "why: natively, under minor-version compatibility, through the image's forward-compatibility libraries, "
        "or not at all; and whether the container toolkit's NVIDIA_REQUIRE_CUDA check lets it start. Needs no "
        "GPU, no Docker, no network.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""examples:
  checker compat --driver 535.104.05 --cuda 12.4
  checker compat --driver 555.85 --platform wsl2 --gpu-brand GeForce --cuda 12.6.3
  checker compat --driver 470.82.01 --gpu-brand GeForce --cuda 12.4.1 --compat-libs \\
      --require 'cuda>=12.4 brand=geforce,driver>=470,driver<471'
""",
    )
    compat.add_argument("--driver", required=True, help="driver version as nvidia-smi shows it (on WSL2: Windows')")
    compat.add_argument("--cuda", required=True, help="the image's CUDA version, e.g. 12.4 or 12.4.1")
    compat.add_argument("--platform", choices=("linux", "wsl2"), default="linux")
    compat.add_argument("--gpu-brand", help="NVML brand: GeForce, Tesla, NVIDIA, Quadro, ... (default: unknown)")
    compat.add_argument("--compute-capability", help="the GPU's compute capability, e.g. 8.6 (for arch>= terms)")
    compat.add_argument("--driver-cuda", help="the driver's CUDA version (default: derived from the driver branch)")
    compat.add_argument("--require", help="the image's NVIDIA_REQUIRE_CUDA expression")
    compat.add_argument(
        "--compat-libs",
        action="store_true",
        help="the image ships cuda-compat libraries (official nvidia/cuda images do)",
    )
    compat.add_argument("--disable-require", action="store_true", help="as if NVIDIA_DISABLE_REQUIRE=1 were set")
    compat.add_argument("--json", action="store_true", help="print JSON")

    probe = sub.add_parser(
        "probe",
        help="run the probe on this machine, without Docker",
        description="Runs the in-container probe directly on this host: what CUDA runtime, "
        "driver, devices and OpenCV does this environment see?",
    )
    probe.add_argument("--json", action="store_true", help="print the probe's JSON document")

    report = sub.add_parser(
        "report",
        help="render reports again from a report.json",
        description="Re-renders junit.xml and matrix.md from a report.json.",
    )
    report.add_argument("report_json", type=Path)
    report.add_argument("-o", "--output-dir", type=Path, help="default: the report's folder")

    sub.add_parser(
        "merge",
        help="merge reports from many hosts into one site (not built yet)",
        description="Merges report.json files from many hosts into one published report. Not built yet.",
    )

    clean = sub.add_parser(
        "clean",
        help="remove containers (and optionally images) left by crashed runs",
        description="Removes every container labelled io.checker.run (or those of one run). "
        "With --images also removes checker's cached images.",
    )
    clean.add_argument("--run", metavar="RUN_ID", help="only this run's containers")
    clean.add_argument(
        "--images", action="store_true", help="also remove cached images (checker-cache/*, checker-base/*)"
    )
    return parser


def entry() -> None:
    """The console script. After an interrupt, worker threads may still wait on the Engine (a build keeps
    going in dockerd); the report is written by then, so leave without waiting for them."""
    code = main()
    if code == EXIT_INTERRUPTED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler = {
        "run": cmd_run,
        "host": cmd_host,
        "compat": cmd_compat,
        "probe": cmd_probe,
        "report": cmd_report,
        "merge": cmd_not_built,
        "clean": cmd_clean,
    }[args.command]
    try:
        return handler(args)
    except CheckerError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:
        if args.debug:
            raise
        import traceback

        traceback.print_exc()
        print("error: checker failed unexpectedly (above); please report it with the traceback", file=sys.stderr)
        return EXIT_USAGE


# -- run -----------------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from checker import matrix as matrix_mod

    matrix = matrix_mod.load(args.matrix)
    cells = matrix.select(args.only)
    if args.list:
        print_cells(cells)
        return EXIT_OK
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    ca_bundle, ca_source = choose_ca_bundle(args.ca_bundle, matrix.settings.ca_bundle)
    return execute_run(args, matrix, cells, ca_bundle, ca_source)


def print_cells(cells: list[Any]) -> None:
    width = max(len(c.name) for c in cells)
    for cell in cells:
        layer = f" + probe layer ({cell.probe_layer.opencv or 'no OpenCV'})" if cell.probe_layer.enabled else ""
        print(f"{cell.name:<{width}}  {cell.source}{layer}  gpus={cell.gpus} timeout={cell.timeout_s:g}s")
    print(f"{len(cells)} cell(s)")


def choose_ca_bundle(option: str | None, from_matrix: Path | None) -> tuple[Path | None, str]:
    """The CA bundle for builds and where the choice came from (recorded in the report, not the file)."""
    if option is not None:
        if option.lower() == "none":
            return None, "disabled by --ca-bundle none"
        return _readable_bundle(Path(option), "--ca-bundle"), "--ca-bundle"
    if from_matrix is not None:
        return _readable_bundle(from_matrix, "settings.ca_bundle"), "settings.ca_bundle"
    for name in CA_ENV_VARIABLES:
        value = os.environ.get(name)
        if value and Path(value).is_file():
            return Path(value), f"${name}"
    return None, "none"


def _readable_bundle(path: Path, origin: str) -> Path:
    if not path.is_file():
        raise UsageError(
            f"{origin}: CA bundle {path} does not exist or is not a file",
            tip="give the path of a PEM file with your proxy's CA certificate(s)",
        )
    return path


def execute_run(args: argparse.Namespace, matrix: Any, cells: list[Any], ca_bundle: Path | None, ca_source: str) -> int:
    from checker import host as host_mod
    from checker.engine import ImageProvider, connect
    from checker.engine.client import server_facts
    from checker.runner import RunContext, run_all

    started = _now()
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    progress = _progress_printer(args.quiet)
    client = connect()
    host = host_mod.collect(server_facts(client), args.host_label)
    provider = ImageProvider(
        client,
        ca_bundle=ca_bundle,
        debian_mirror=args.debian_mirror or matrix.settings.debian_mirror,
        on_step=lambda cell, step: progress(f"{cell}: {step}"),
    )
    ctx = RunContext(
        client=client,
        provider=provider,
        run_id=run_id,
        gpu_available=host_mod.gpu_available(host),
        progress=progress,
        driver=host_mod.driver_info(host),
    )
    progress(
        f"run {run_id}: {len(cells)} cell(s) from {matrix.path}, {args.jobs} at a time "
        f"(CA bundle for builds: {ca_source})"
    )
    results, interrupted = run_all(cells, ctx, args.jobs)
    if args.explore_require and not interrupted:
        explore = [explore_cell(cell) for cell, result in zip(cells, results, strict=True) if refused(result)]
        if explore:
            progress(f"--explore-require: running {len(explore)} refused cell(s) again with NVIDIA_DISABLE_REQUIRE=1")
            more, interrupted = run_all(explore, ctx, args.jobs)
            results += more
    report = Report(
        run=RunInfo(
            id=run_id,
            started=started,
            finished=_now(),
            checker_version=__version__,
            command_line=tuple(["checker", *sys.argv[1:]]),
            matrix_path=str(matrix.path),
            interrupted=interrupted,
        ),
        host={**host, "ca_bundle": ca_source},
        cells=tuple(results),
    )
    written = write_outputs(report, args.output_dir)
    markdown = (args.output_dir / "matrix.md").read_text(encoding="utf-8")
    _append_step_summary(markdown)
    if not args.quiet:
        print(markdown)
    print(f"reports: {', '.join(str(p) for p in written)}", file=sys.stderr)
    return exit_code_for(report, args.fail_on)


def refused(result: Any) -> bool:
    """Did the container toolkit refuse to start this cell (NVIDIA_REQUIRE_CUDA unsatisfied)?"""
    start = result.check("container.start")
    return bool(start and start.status == Status.FAIL and start.details.get("category") == "toolkit-requirement")


def explore_cell(cell: Any) -> Any:
    """The same cell with the toolkit's requirement check disabled, to show what that check hides."""
    from dataclasses import replace

    return replace(
        cell,
        name=f"{cell.name}+disable-require",
        env={**cell.env, "NVIDIA_DISABLE_REQUIRE": "1"},
        coordinates={**cell.coordinates, "explore": "NVIDIA_DISABLE_REQUIRE=1"},
        expect={},
    )


def write_outputs(report: Report, output_dir: Path) -> list[Path]:
    from checker.report import RENDERERS

    written = []
    for filename, render in RENDERERS.values():
        path = output_dir / filename
        write_atomically(path, render(report))
        written.append(path)
    return written


def exit_code_for(report: Report, fail_on: str) -> int:
    """The one place that turns results into an exit code."""
    if report.run.interrupted:
        return EXIT_INTERRUPTED
    ran = [c for c in report.cells if (output := c.check("probe.output")) and output.status == Status.PASS]
    if not ran and fail_on != "never":
        return EXIT_CHECKS_FAILED  # a run in which nothing ran is a failure
    checks = [check for cell in report.cells for check in cell.checks]
    if fail_on == "never":
        return EXIT_OK
    if fail_on == "error":
        bad = [c for c in checks if c.status == Status.ERROR and not c.as_expected]
    else:
        bad = [c for c in checks if not c.as_expected]
    return EXIT_CHECKS_FAILED if bad else EXIT_OK


def _append_step_summary(markdown: str) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")


def _progress_printer(quiet: bool) -> Any:
    began = time.monotonic()

    def progress(message: str) -> None:
        if not quiet:
            print(f"[{time.monotonic() - began:7.1f}s] {message}", file=sys.stderr, flush=True)

    return progress


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# -- other commands ------------------------------------------------------------------------------


def cmd_host(args: argparse.Namespace) -> int:
    from checker import host as host_mod
    from checker.engine.client import gpu_trial, server_facts

    docker_facts: dict[str, Any]
    try:
        from checker.engine import connect

        client = connect(timeout=10)
        docker_facts = server_facts(client)
        if args.gpu_trial:
            docker_facts["gpu_trial"] = gpu_trial(client, args.gpu_trial)
    except CheckerError as exc:
        docker_facts = {"error": str(exc)}
    host = host_mod.collect(docker_facts)
    from checker.compat import host_table, newest_native

    driver = host_mod.driver_info(host)
    if driver is not None:
        host["cuda_releases"] = host_table(driver)
        host["newest_native_cuda"] = newest_native(driver)
    if args.json:
        print(json.dumps(host, indent=2))
        return EXIT_OK
    nvml = host["nvml"]
    print(f"host:     {host['label']} ({host['os']}, kernel {host['kernel']}, {host['platform']})")
    if nvml.get("ok"):
        print(f"driver:   {nvml.get('driver_version')} (CUDA {nvml.get('cuda_driver_version')})")
        for gpu in nvml.get("gpus", []):
            print(f"gpu {gpu['index']}:    {gpu.get('name')} (compute capability {gpu.get('compute_capability')})")
    else:
        print(f"driver:   none ({nvml.get('error')})")
    docker = host["docker"]
    print(
        f"docker:   {docker.get('server_version') or docker.get('error')}"
        + (f", runtimes: {', '.join(docker.get('runtimes', []))}" if docker.get("runtimes") else "")
    )
    wsl = host["wsl"]
    if wsl["kernel_is_wsl2"]:
        where = "a WSL2 distro" if wsl["is_wsl2_distro"] else "a container on a WSL2 kernel"
        print(
            f"wsl2:     {where}; /dev/dxg {'present' if wsl['dev_dxg'] else 'absent'}, "
            f"/usr/lib/wsl/lib {'present' if wsl['usr_lib_wsl_lib'] else 'absent'}"
        )
    trial = docker.get("gpu_trial")
    if trial:
        print(
            "gpu trial: "
            + (
                "a --gpus all container started"
                if trial["ok"]
                else f"FAILED ({trial.get('category')}): {trial.get('error')}\n          {trial.get('advice')}"
            )
        )
    toolkit = host.get("container_toolkit") or {}
    print("toolkit:  " + (", ".join(f"{k} {v.get('version')}" for k, v in toolkit.items()) or "not found on this host"))
    if driver is None:
        print("No NVIDIA driver: `checker compat --driver VERSION --cuda X.Y` predicts for any driver offline.")
        return EXIT_OK
    print(f"\nCUDA releases on driver {driver.driver_version} (newest native: {host['newest_native_cuda']}):")
    for row in host["cuda_releases"]:
        print(f"  {row['cuda']:>5}  {row['verdict']:<14} (native needs {row['min_driver_native'] or '?'})")
    return EXIT_OK


def cmd_compat(args: argparse.Namespace) -> int:
    from checker.compat import DriverInfo, predict

    try:
        driver = DriverInfo(
            platform=args.platform,
            driver_version=args.driver,
            cuda_driver_version=args.driver_cuda,
            gpu_brand=args.gpu_brand,
            compute_capability=args.compute_capability,
        )
        prediction = predict(
            driver, args.cuda, require=args.require, compat_libs=args.compat_libs, disable_require=args.disable_require
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(prediction.to_dict(), indent=2))
        return EXIT_OK
    print(
        f"verdict:   {prediction.verdict.value}"
        + (f" (CUDA alone: {prediction.cuda_verdict.value})" if prediction.verdict != prediction.cuda_verdict else "")
    )
    print(f"why:       {prediction.reason}")
    print(f"driver:    {args.driver} ({args.platform}) runs CUDA {driver.cuda_driver_version} natively")
    print(
        f"minimum:   native {prediction.min_driver_native or 'unknown'}; "
        f"minor-version compatibility {prediction.min_driver_minor_compat or 'unknown'}"
    )
    if prediction.requirement:
        req = prediction.requirement
        print(
            f"toolkit:   NVIDIA_REQUIRE_CUDA {'satisfied' if req['satisfied'] else 'NOT satisfied'}"
            + (f" -> {req['toolkit_error']}" if not req["satisfied"] else "")
        )
    print(f"sources:   {'; '.join(prediction.sources)}")
    return EXIT_OK


def cmd_not_built(args: argparse.Namespace) -> int:
    print(
        f"checker {args.command}: not built yet in this version. "
        "`checker run` and `checker host` work today; see the README.",
        file=sys.stderr,
    )
    return EXIT_USAGE


def cmd_probe(args: argparse.Namespace) -> int:
    from checker.probe_output import parse_probe_output

    probe_file = Path(__file__).with_name("probe.py")
    proc = subprocess.run([sys.executable, str(probe_file)], capture_output=True, text=True, timeout=900, check=False)
    parsed = parse_probe_output(proc.stdout, proc.returncode, proc.stderr.splitlines())
    if args.json:
        print(json.dumps(parsed.document, indent=2, sort_keys=True))
    else:
        for check in (parsed.output_check, *parsed.checks):
            print(f"{check.status.value:5}  {check.id:<20} {check.message}")
    return EXIT_OK if parsed.document is not None else EXIT_CHECKS_FAILED


def cmd_report(args: argparse.Namespace) -> int:
    path: Path = args.report_json
    try:
        report = Report.load(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a checker report: {exc}") from None
    written = write_outputs(report, args.output_dir or path.parent)
    print("\n".join(str(p) for p in written))
    return EXIT_OK


def cmd_clean(args: argparse.Namespace) -> int:
    from checker.engine import LABEL_CACHE, connect, remove_run_containers

    client = connect()
    removed = remove_run_containers(client, args.run)
    print(f"removed {len(removed)} container(s)" + (f": {', '.join(removed)}" if removed else ""))
    if args.images:
        count = 0
        for image in client.images.list(filters={"label": LABEL_CACHE}):
            for tag in image.tags or [image.id]:
                client.images.remove(tag, force=True)
            count += 1
        print(f"removed {count} cached image(s)")
    return EXIT_OK
