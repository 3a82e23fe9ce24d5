"""matrix.md: cells x key checks, readable in a terminal and in a GitHub job summary."""

from __future__ import annotations

from typing import Any

from checker.results import CellResult, CheckResult, Report, Status

MARK = {Status.PASS: "✅", Status.FAIL: "❌", Status.SKIP: "➖", Status.ERROR: "⚠️"}
COLUMNS = (
    ("runtime", "cuda.runtime"),
    ("driver", "cuda.driver"),
    ("devices", "cuda.devices"),
    ("kernel", "cuda.kernel"),
    ("OpenCV", "opencv.build"),
    ("cv2.cuda", "opencv.cuda.devices"),
    ("predicted", "compat.agreement"),
)


def render(report: Report) -> str:
    lines = [f"## checker — run {report.run.id}", "", _summary(report), "", _host_line(report.host), ""]
    header = ["cell", "image", *(title for title, _ in COLUMNS), "result"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for cell in report.cells:
        row = [cell.name, f"`{_short_image(cell.image_ref)}`"]
        row += [_cell_value(cell, check_id) for _, check_id in COLUMNS]
        row.append("✅ as expected" if cell.ok else "❌ **attention**")
        lines.append("| " + " | ".join(_escape(v) for v in row) + " |")
    problems = [(cell, check) for cell in report.cells for check in cell.checks if not check.as_expected]
    if problems:
        lines += ["", "### Needs attention", ""]
        for cell, check in problems:
            expected = f" (expected {check.expected.value})" if check.expected else ""
            lines.append(
                f"- **{_escape(cell.name)}** `{check.id}` {check.status.value}{expected}: {_escape(check.message)}"
            )
    lines += [
        "",
        f"Legend: {MARK[Status.PASS]} pass · {MARK[Status.FAIL]} fail · {MARK[Status.SKIP]} skip · "
        f"{MARK[Status.ERROR]} error (the check itself broke)",
        "",
    ]
    return "\n".join(lines)


def _summary(report: Report) -> str:
    total = len(report.cells)
    ok = sum(1 for c in report.cells if c.ok)
    interrupted = " — **interrupted**" if report.run.interrupted else ""
    return f"**{ok} of {total} cells as expected**{interrupted}"


def _host_line(host: dict[str, Any]) -> str:
    nvml = host.get("nvml") or {}
    if nvml.get("ok"):
        gpus = ", ".join(str(g.get("name")) for g in nvml.get("gpus", [])) or "no GPU"
        driver = f"driver {nvml.get('driver_version')} (CUDA {nvml.get('cuda_driver_version')}), {gpus}"
    else:
        driver = "no NVIDIA driver"
    docker = (host.get("docker") or {}).get("server_version") or "?"
    return f"Host `{host.get('label', '?')}` · {host.get('platform', '?')} · {driver} · Docker {docker}"


def _cell_value(cell: CellResult, check_id: str) -> str:
    check = cell.check(check_id)
    if check is None:
        return "·"
    mark = MARK[check.status]
    value = _value(check)
    return f"{mark} {value}" if value else mark


def _value(check: CheckResult) -> str:
    d = check.details
    match check.id:
        case "cuda.runtime":
            return str(d.get("version_text") or "")
        case "cuda.driver":
            version = (d.get("cuDriverGetVersion") or {}).get("value")
            return (
                f"{version // 1000}.{(version % 1000) // 10}"
                if version
                else ("none" if check.status != Status.PASS else "")
            )
        case "cuda.devices":
            return str(d.get("count", "")) if check.status == Status.PASS else "0"
        case "opencv.build":
            if check.status != Status.PASS:
                return ""
            cuda = f"CUDA {d.get('cuda_version')}" if d.get("cuda") else "no CUDA"
            return f"{d.get('opencv_version', '?')} · {cuda}"
        case "opencv.cuda.devices":
            count = d.get("count")
            return "" if count is None else str(count)
        case "compat.agreement":
            predicted, observed = d.get("predicted"), d.get("observed")
            if predicted and observed and observed != predicted:
                return f"{predicted} ≠ {observed}"
            return str(predicted or "")
    return ""


def _short_image(ref: str) -> str:
    return ref if len(ref) <= 48 else ref[:45] + "…"


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
