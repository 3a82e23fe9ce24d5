"""The in-container probe: what does this container actually see?

Runs INSIDE the container under test, so it needs only the Python standard library (>= 3.8; numpy and
cv2 are used when they import) and must never crash: every failure becomes a check with a reason. It
prints exactly one line, `CHECKER-PROBE <json>`, and exits 0 whatever happens, even under
`python3 -I -S`.

Every check runs time-boxed in a thread, so a hung driver call still lets the document out. OpenCV
runs in a child process: on builds without CUDA some `cv2.cuda` calls abort the interpreter
(SIGABRT) instead of raising.

Environment read from the host side: CHECKER_GPUS (the cell's GPU request; `none` turns missing-driver
failures into skips), CHECKER_CHECK_TIMEOUT (seconds per check).
"""

import ctypes
import glob
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time

PREFIX = "CHECKER-PROBE "
PROBE_VERSION = 1
OPENCV_CHILD_FLAG = "--opencv-child"
OPENCV_DISTRIBUTIONS = (
    "opencv-python",
    "opencv-contrib-python",
    "opencv-python-headless",
    "opencv-contrib-python-headless",
)
CUDA_RUNTIME_DISTRIBUTIONS = ("nvidia-cuda-runtime-cu11", "nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime")
# PTX ISA version of each CUDA release (NVIDIA's PTX ISA "release history" table).
PTX_ISA = {
    (11, 0): "7.0",
    (11, 1): "7.1",
    (11, 2): "7.2",
    (11, 3): "7.3",
    (11, 4): "7.4",
    (11, 5): "7.5",
    (11, 6): "7.6",
    (11, 7): "7.7",
    (11, 8): "7.8",
    (12, 0): "8.0",
    (12, 1): "8.1",
    (12, 2): "8.2",
    (12, 3): "8.3",
    (12, 4): "8.4",
    (12, 5): "8.5",
    (12, 6): "8.5",
    (12, 8): "8.7",
    (12, 9): "8.8",
    (13, 0): "9.0",
    (13, 1): "9.1",
    (13, 2): "9.2",
    (13, 3): "9.3",
    (13, 4): "9.4",
}
# The lowest PTX ISA that can target each compute capability (the kernel's own floor).
PTX_TARGET_FLOOR = {
    50: "4.0",
    52: "4.1",
    53: "4.2",
    60: "5.0",
    61: "5.0",
    62: "5.0",
    70: "6.0",
    72: "6.1",
    75: "6.3",
    80: "7.0",
    86: "7.1",
    87: "7.4",
    89: "7.8",
    90: "7.8",
    100: "8.6",
    101: "8.6",
    103: "8.8",
    110: "9.0",
    120: "8.7",
    121: "8.8",
}


# ---------------------------------------------------------------------------------------------
# Check plumbing


class Outcome(Exception):
    """Raised by a check to end with a status other than pass."""

    def __init__(self, status, message, **details):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.details = details


def skip(message, **details):
    return Outcome("skip", message, **details)


def fail(message, **details):
    return Outcome("fail", message, **details)


def gpus_requested():
    return os.environ.get("CHECKER_GPUS", "auto") not in ("none", "")


def no_gpu_or_fail(message, **details):
    """A missing driver/GPU is a failure only when the cell asked for a GPU."""
    if gpus_requested():
        return fail(message, **details)
    return skip("no GPU requested for this cell (gpus: none); " + message, **details)


def run_check(check_id, func, facts, timeout):
    """Run one check in a thread, time-boxed; whatever happens, return a result dict."""
    box = {}

    def target():
        try:
            box["result"] = func(facts)
        except Outcome as outcome:
            box["outcome"] = outcome
        except BaseException as exc:  # the probe must never die
            box["error"] = "%s: %s" % (type(exc).__name__, exc)

    started = time.monotonic()
    thread = threading.Thread(target=target, name=check_id)
    thread.daemon = True
    thread.start()
    thread.join(timeout)
    duration = round(time.monotonic() - started, 4)
    result = {"id": check_id, "duration_s": duration}
    if thread.is_alive():
        result.update(status="error", message="check did not finish within %gs (hung?)" % timeout, details={})
    elif "outcome" in box:
        outcome = box["outcome"]
        result.update(status=outcome.status, message=outcome.message, details=jsonable(outcome.details))
    elif "error" in box:
        result.update(status="error", message="the check itself broke: " + box["error"], details={})
    else:
        message, details = box.get("result") or ("", {})
        result.update(status="pass", message=message, details=jsonable(details))
    return result


def not_run(check_id, reason):
    return {"id": check_id, "status": "error", "message": "not run: " + reason, "duration_s": 0.0, "details": {}}


def jsonable(value):
    """Make `value` JSON-safe (bytes, tuples, odd objects become strings)."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        if isinstance(value, dict):
            return {str(k): jsonable(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [jsonable(v) for v in value]
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return repr(value)


def run_command(argv, timeout=15.0):
    """Run a command time-boxed; return (exit code or None, combined output)."""
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, "timed out after %gs" % timeout
    except OSError as exc:
        return None, str(exc)


def version_int(text):
    """'11.8.89' -> 11080 (CUDA's major*1000 + minor*10 encoding); None when it does not parse."""
    match = re.match(r"^(\d+)\.(\d+)", text or "")
    if not match:
        return None
    return int(match.group(1)) * 1000 + int(match.group(2)) * 10


def version_text(value):
    """12040 -> '12.4'."""
    if not value:
        return None
    return "%d.%d" % (value // 1000, (value % 1000) // 10)


# ---------------------------------------------------------------------------------------------
# env.cuda_version and driver.nvidia_smi

ENV_NAMES = ("CUDA_VERSION", "NVIDIA_REQUIRE_CUDA", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES")


def check_env(facts):
    env = {name: os.environ.get(name) for name in ENV_NAMES}
    facts["env"] = env
    if not env["CUDA_VERSION"]:
        raise skip("the image does not declare CUDA_VERSION", **env)
    message = "CUDA_VERSION=%s" % env["CUDA_VERSION"]
    if env["NVIDIA_REQUIRE_CUDA"]:
        message += ", NVIDIA_REQUIRE_CUDA=%s" % env["NVIDIA_REQUIRE_CUDA"].split(" ")[0]
    return message, env


def find_nvidia_smi():
    for directory in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/lib/wsl/lib"]:
        candidate = os.path.join(directory or ".", "nvidia-smi")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def check_nvidia_smi(facts):
    path = find_nvidia_smi()
    if path is None:
        raise no_gpu_or_fail(
            "nvidia-smi is not in the container (the NVIDIA Container Toolkit injects it when the "
            "container gets a GPU with the 'utility' capability)"
        )
    code, output = run_command([path], timeout=20.0)
    details = {"path": path, "exit_code": code, "output_tail": output.strip().splitlines()[-5:]}
    driver = re.search(r"Driver Version:\s*([\d.]+)", output)
    cuda = re.search(r"CUDA Version:\s*([\d.]+)", output)
    if code != 0 or not driver:
        first = output.strip().splitlines()[0] if output.strip() else "no output"
        raise fail("nvidia-smi failed: %s" % first, **details)
    details.update(driver_version=driver.group(1), cuda_version=cuda.group(1) if cuda else None)
    facts["nvidia_smi"] = details
    return "driver %s, CUDA %s" % (driver.group(1), details["cuda_version"]), details


# ---------------------------------------------------------------------------------------------
# CUDA runtime (libcudart) and driver (libcuda)


def library_dirs():
    """Directories where a CUDA library may live, in the order a program would find them."""
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    code, output = run_command(["ldconfig", "-p"], timeout=10.0)
    if code == 0:
        for line in output.splitlines():
            if "=>" in line:
                dirs.append(os.path.dirname(line.split("=>", 1)[1].strip()))
    dirs += ["/usr/lib/wsl/lib", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib"]
    dirs += sorted(glob.glob("/usr/local/cuda*/lib64")) + sorted(glob.glob("/usr/local/cuda*/targets/*/lib"))
    for site in sys.path + site_dirs():
        dirs += sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib")))
    seen, ordered = set(), []
    for d in dirs:
        real = os.path.realpath(d)
        if real not in seen and os.path.isdir(real):
            seen.add(real)
            ordered.append(d)
    return ordered


def site_dirs():
    """site-packages folders even under `python -S` (which leaves them off sys.path)."""
    found = []
    for prefix in ("/usr/local/lib", "/usr/lib", os.path.join(sys.prefix, "lib")):
        found += glob.glob(os.path.join(prefix, "python3*", "dist-packages"))
        found += glob.glob(os.path.join(prefix, "python3*", "site-packages"))
    return found


def find_libraries(pattern):
    found, seen = [], set()
    for directory in library_dirs():
        for path in sorted(glob.glob(os.path.join(directory, pattern))):
            real = os.path.realpath(path)
            if real not in seen and os.path.isfile(real):
                seen.add(real)
                found.append(path)
    return found


def library_source(path):
    """Which kind of place a library was found in, for the report."""
    if "-packages/nvidia/" in path:
        return "NVIDIA pip wheel"
    if path.startswith("/usr/local/cuda"):
        return "CUDA toolkit folder"
    if path.startswith("/usr/lib/wsl/"):
        return "WSL2 driver folder"
    if any(path.startswith(d + "/") for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d):
        return "LD_LIBRARY_PATH"
    return "ldconfig cache or system folder"


def load_library(path):
    try:
        return ctypes.CDLL(path), None
    except OSError as exc:
        return None, str(exc)


def bind(lib, name, restype, argtypes):
    """Look up a C function and give it explicit types (pointers are 64-bit)."""
    func = getattr(lib, name)
    func.restype = restype
    func.argtypes = argtypes
    return func


def runtime_error_text(lib, code):
    try:
        func = bind(lib, "cudaGetErrorString", ctypes.c_char_p, [ctypes.c_int])
        text = func(code)
        return text.decode("utf-8", "replace") if text else None
    except Exception:
        return None


def version_from_filename(path):
    """libcudart.so.11.8.89 -> 11080 (official images name the library file with the full version)."""
    match = re.search(r"\.so\.(\d+\.\d+(?:\.\d+)*)$", os.path.realpath(path))
    if match and match.group(1).count(".") >= 1 and not match.group(1).endswith(".0"):
        return version_int(match.group(1)), os.path.basename(os.path.realpath(path))
    return None, None


def version_from_distribution(path):
    """The pip distribution (nvidia-cuda-runtime-cu11/-cu12, nvidia-cuda-runtime) that ships `path`."""
    try:
        from importlib import metadata
    except ImportError:
        return None, None
    real = os.path.realpath(path)
    for name in CUDA_RUNTIME_DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except Exception:
            continue
        for entry in dist.files or ():
            try:
                if os.path.realpath(str(dist.locate_file(entry))) == real:
                    return version_int(dist.version), "%s==%s" % (name, dist.version)
            except Exception:
                continue
    return None, None


def check_cuda_runtime(facts):
    candidates = find_libraries("libcudart.so*")
    if not candidates:
        raise fail("no libcudart in the image (searched LD_LIBRARY_PATH, ldconfig, /usr/local/cuda*, pip wheels)")
    versions = []
    for path in candidates:
        lib, error = load_library(path)
        entry = {"path": path, "found_in": library_source(path), "loaded": lib is not None}
        if lib is None:
            entry["load_error"] = error
        else:
            entry.update(runtime_version(lib, path))
            facts.setdefault("cudart", lib)
            facts.setdefault("cudart_path", path)
        versions.append(entry)
    known = sorted({v["version"] for v in versions if v.get("version")})
    details = {"libraries": versions, "several_versions": len(known) > 1}
    chosen = next((v for v in versions if v.get("version")), None)
    if chosen is None:
        loaded = [v for v in versions if v["loaded"]]
        reason = versions[0].get("load_error") if not loaded else "its version could not be determined"
        raise fail("libcudart found at %s but %s" % (versions[0]["path"], reason), **details)
    facts["runtime_version"] = chosen["version"]
    details.update(version=chosen["version"], version_text=version_text(chosen["version"]), source=chosen["source"])
    message = "libcudart %s (%s) from %s" % (
        version_text(chosen["version"]),
        chosen["version"],
        chosen["source"],
    )
    if len(known) > 1:
        message += "; WARNING: several runtime versions are visible: %s" % ", ".join(version_text(k) for k in known)
    return message, details


def runtime_version(lib, path):
    """cudaRuntimeGetVersion, or where that needs a driver (11.x), the file name or package metadata."""
    info = {}
    try:
        func = bind(lib, "cudaRuntimeGetVersion", ctypes.c_int, [ctypes.POINTER(ctypes.c_int)])
        value = ctypes.c_int(0)
        code = func(ctypes.byref(value))
        info["cudaRuntimeGetVersion"] = {"rc": code, "value": value.value}
        if code == 0 and value.value:
            info.update(version=value.value, source="cudaRuntimeGetVersion")
            return info
        info["cudaRuntimeGetVersion"]["error"] = runtime_error_text(lib, code)
    except Exception as exc:
        info["cudaRuntimeGetVersion"] = {"error": str(exc)}
    for finder, label in ((version_from_filename, "file name"), (version_from_distribution, "pip package")):
        value, evidence = finder(path)
        if value:
            info.update(version=value, source="%s %s (cudaRuntimeGetVersion needs a driver here)" % (label, evidence))
            return info
    return info


def library_origin(path):
    if not path:
        return "unknown"
    if path.startswith("/usr/lib/wsl/"):
        return "wsl2 (Windows driver, /usr/lib/wsl/lib)"
    if "/compat/" in path:
        return "cuda-compat (forward compatibility libraries of the image)"
    return "host driver (injected by the container toolkit)" if "/usr/lib" in path else "image"


def loaded_path(fragment):
    """Where the dynamic loader really took a library from (read from /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as handle:
            for line in handle:
                if fragment in line:
                    return line.split()[-1]
    except OSError:
        pass
    return None


def driver_error(lib, code):
    name, text = ctypes.c_char_p(), ctypes.c_char_p()
    try:
        bind(lib, "cuGetErrorName", ctypes.c_int, [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)])(
            code, ctypes.byref(name)
        )
        bind(lib, "cuGetErrorString", ctypes.c_int, [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)])(
            code, ctypes.byref(text)
        )
    except Exception:
        pass
    decode = lambda v: v.value.decode("utf-8", "replace") if v.value else None  # noqa: E731
    return {"rc": code, "name": decode(name), "text": decode(text)}


def check_cuda_driver(facts):
    lib, error = load_library("libcuda.so.1")
    if lib is None:
        raise no_gpu_or_fail("libcuda.so.1 is not in the container: no NVIDIA driver is visible (%s)" % error)
    path = loaded_path("libcuda.so")
    details = {"path": path, "origin": library_origin(path)}
    value = ctypes.c_int(0)
    code = bind(lib, "cuDriverGetVersion", ctypes.c_int, [ctypes.POINTER(ctypes.c_int)])(ctypes.byref(value))
    details["cuDriverGetVersion"] = {"rc": code, "value": value.value}
    init = driver_error(lib, bind(lib, "cuInit", ctypes.c_int, [ctypes.c_uint])(0))
    details["cuInit"] = init
    facts["libcuda"] = lib
    facts["driver_version"] = value.value
    facts["cu_init_ok"] = init["rc"] == 0
    if init["rc"] != 0:
        raise fail(
            "libcuda %s loaded from %s, but cuInit failed: %s (%s) %s"
            % (version_text(value.value), details["origin"], init["name"], init["rc"], init["text"]),
            **details,
        )
    return "CUDA driver %s from %s" % (version_text(value.value), details["origin"]), details


def check_cuda_devices(facts):
    lib = facts.get("cudart")
    if lib is None:
        raise skip("libcudart did not load (see cuda.runtime)")
    count = ctypes.c_int(0)
    code = bind(lib, "cudaGetDeviceCount", ctypes.c_int, [ctypes.POINTER(ctypes.c_int)])(ctypes.byref(count))
    details = {"rc": code, "error": runtime_error_text(lib, code) if code else None, "count": count.value}
    if code != 0 or count.value <= 0:
        raise no_gpu_or_fail("cudaGetDeviceCount returned %d (%s)" % (code, details["error"] or "no device"), **details)
    devices = [describe_device(lib, facts.get("libcuda"), i) for i in range(count.value)]
    details["devices"] = devices
    facts["devices"] = devices
    names = ", ".join("%s (sm_%s)" % (d.get("name"), d.get("cc", "").replace(".", "")) for d in devices)
    return "%d device(s): %s" % (count.value, names), details


def describe_device(cudart, libcuda, index):
    info = {"index": index}
    get_attr = bind(
        cudart,
        "cudaDeviceGetAttribute",
        ctypes.c_int,
        [ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int],
    )
    major, minor = ctypes.c_int(0), ctypes.c_int(0)
    get_attr(ctypes.byref(major), 75, index)  # cudaDevAttrComputeCapabilityMajor
    get_attr(ctypes.byref(minor), 76, index)  # cudaDevAttrComputeCapabilityMinor
    info["cc"] = "%d.%d" % (major.value, minor.value)
    bus = ctypes.create_string_buffer(32)
    if (
        bind(cudart, "cudaDeviceGetPCIBusId", ctypes.c_int, [ctypes.c_char_p, ctypes.c_int, ctypes.c_int])(
            bus, 32, index
        )
        == 0
    ):
        info["pci_bus_id"] = bus.value.decode()
    if libcuda is not None:
        device = ctypes.c_int(0)
        if (
            bind(libcuda, "cuDeviceGet", ctypes.c_int, [ctypes.POINTER(ctypes.c_int), ctypes.c_int])(
                ctypes.byref(device), index
            )
            == 0
        ):
            name = ctypes.create_string_buffer(256)
            bind(libcuda, "cuDeviceGetName", ctypes.c_int, [ctypes.c_char_p, ctypes.c_int, ctypes.c_int])(
                name, 256, device.value
            )
            info["name"] = name.value.decode("utf-8", "replace")
            total = ctypes.c_size_t(0)
            if (
                bind(
                    libcuda,
                    "cuDeviceTotalMem_v2",
                    ctypes.c_int,
                    [ctypes.POINTER(ctypes.c_size_t), ctypes.c_int],
                )(ctypes.byref(total), device.value)
                == 0
            ):
                info["memory_bytes"] = total.value
    return info


def check_cuda_memcpy(facts):
    lib = facts.get("cudart")
    if not facts.get("devices"):
        raise no_gpu_or_fail("no CUDA device (see cuda.devices)")
    size = 1 << 20
    source = os.urandom(size)
    back = ctypes.create_string_buffer(size)
    pointer = ctypes.c_void_p()
    malloc = bind(lib, "cudaMalloc", ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t])
    memcpy = bind(lib, "cudaMemcpy", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int])
    free = bind(lib, "cudaFree", ctypes.c_int, [ctypes.c_void_p])
    code = malloc(ctypes.byref(pointer), size)
    if code != 0:
        raise fail("cudaMalloc failed: %d %s" % (code, runtime_error_text(lib, code)))
    try:
        started = time.monotonic()
        for kind, dst, src in ((1, pointer, source), (2, back, pointer)):  # 1 = H2D, 2 = D2H
            code = memcpy(dst, src, size, kind)
            if code != 0:
                raise fail("cudaMemcpy (kind %d) failed: %d %s" % (kind, code, runtime_error_text(lib, code)))
        elapsed = time.monotonic() - started
    finally:
        free(pointer)
    if back.raw != source:
        raise fail("bytes differ after host -> device -> host (%d bytes)" % size)
    return "1 MiB round trip identical in %.2f ms" % (elapsed * 1000), {"bytes": size, "seconds": elapsed}


KERNEL_PTX = """
.version {isa}
.target sm_{sm}
.address_size 64
.visible .entry checker_axpb(.param .u64 data, .param .u32 n)
{{
  .reg .pred %p<2>;
  .reg .b32 %r<6>;
  .reg .b64 %rd<5>;
  .reg .f32 %f<4>;
  ld.param.u64 %rd1, [data];
  ld.param.u32 %r1, [n];
  mov.u32 %r2, %ctaid.x;
  mov.u32 %r3, %ntid.x;
  mov.u32 %r4, %tid.x;
  mad.lo.s32 %r5, %r2, %r3, %r4;
  setp.ge.u32 %p1, %r5, %r1;
  @%p1 bra $L_done;
  cvta.to.global.u64 %rd2, %rd1;
  mul.wide.u32 %rd3, %r5, 4;
  add.s64 %rd4, %rd2, %rd3;
  ld.global.f32 %f1, [%rd4];
  fma.rn.f32 %f2, %f1, 0f40000000, 0f3F800000;
  st.global.f32 [%rd4], %f2;
$L_done:
  ret;
}}
"""


def ptx_isa_for(version):
    """The PTX ISA of a CUDA release (12040 -> '8.4'); for a release newer than the table, the newest known."""
    if not version:
        return None
    key = (version // 1000, (version % 1000) // 10)
    known = [k for k in sorted(PTX_ISA) if k <= key]
    return PTX_ISA[known[-1]] if known else None


def isa_tuple(isa):
    return tuple(int(p) for p in isa.split("."))


def driver_device_cc(lib):
    """Compute capability of device 0 through the driver API (independent of libcudart)."""
    c = ctypes
    count = c.c_int(0)
    rc = bind(lib, "cuDeviceGetCount", c.c_int, [c.POINTER(c.c_int)])(c.byref(count))
    if rc != 0 or count.value <= 0:
        return None, driver_error(lib, rc) if rc else {"rc": 0, "name": None, "text": "no device"}
    device = c.c_int(0)
    bind(lib, "cuDeviceGet", c.c_int, [c.POINTER(c.c_int), c.c_int])(c.byref(device), 0)
    get = bind(lib, "cuDeviceGetAttribute", c.c_int, [c.POINTER(c.c_int), c.c_int, c.c_int])
    major, minor = c.c_int(0), c.c_int(0)
    get(c.byref(major), 75, device.value)  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    get(c.byref(minor), 76, device.value)  # CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR
    return major.value * 10 + minor.value, None


def check_cuda_kernel(facts):
    lib = facts.get("libcuda")
    if lib is None or not facts.get("cu_init_ok"):
        raise no_gpu_or_fail("no usable CUDA driver (see cuda.driver)")
    sm, problem = driver_device_cc(lib)
    if sm is None:
        raise no_gpu_or_fail("the driver sees no device: %s" % (problem or {}).get("text"), device_error=problem)
    runtime = facts.get("runtime_version") or facts.get("driver_version")
    floor = PTX_TARGET_FLOOR.get(sm, "7.8")
    isa = ptx_isa_for(runtime) or floor
    if isa_tuple(isa) < isa_tuple(floor):
        isa = floor  # the runtime's own ISA cannot even name this GPU's target
    attempt = launch_ptx(lib, isa, sm)
    details = {"isa": isa, "isa_floor": floor, "sm": sm, "runtime": runtime, "first_attempt": attempt}
    if attempt["ok"]:
        return "PTX ISA %s kernel JIT-compiled for sm_%d, launched, result correct" % (isa, sm), details
    if attempt.get("rc") == 222 and isa != floor:
        retry = launch_ptx(lib, floor, sm)
        details["fallback_attempt"] = retry
        if retry["ok"]:
            raise fail(
                "PTX from CUDA %s (ISA %s) cannot be JIT-compiled by this driver (222, unsupported PTX version); "
                "older PTX (ISA %s) can: minor-version compatibility, without PTX JIT for this runtime"
                % (version_text(runtime), isa, floor),
                **details,
            )
    raise fail("kernel failed at %s: %s" % (attempt.get("stage"), attempt.get("error")), **details)


def launch_ptx(lib, isa, sm):
    """JIT-compile, launch and verify the kernel; return what happened at each stage."""
    c = ctypes

    def check(stage, rc):
        if rc != 0:
            raise _Stage(stage, rc)

    context, module, function, dptr = c.c_void_p(), c.c_void_p(), c.c_void_p(), c.c_uint64(0)
    device = c.c_int(0)
    log = c.create_string_buffer(8192)
    n = 1024
    try:
        check(
            "cuDeviceGet",
            bind(lib, "cuDeviceGet", c.c_int, [c.POINTER(c.c_int), c.c_int])(c.byref(device), 0),
        )
        check(
            "cuDevicePrimaryCtxRetain",
            bind(lib, "cuDevicePrimaryCtxRetain", c.c_int, [c.POINTER(c.c_void_p), c.c_int])(
                c.byref(context), device.value
            ),
        )
        check("cuCtxPushCurrent", bind(lib, "cuCtxPushCurrent_v2", c.c_int, [c.c_void_p])(context))
        options = (c.c_int * 2)(5, 6)  # CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
        values = (c.c_void_p * 2)(c.cast(log, c.c_void_p), c.c_void_p(len(log)))
        ptx = KERNEL_PTX.format(isa=isa, sm=sm).encode()
        load = bind(
            lib,
            "cuModuleLoadDataEx",
            c.c_int,
            [c.POINTER(c.c_void_p), c.c_char_p, c.c_uint, c.POINTER(c.c_int), c.POINTER(c.c_void_p)],
        )
        check("cuModuleLoadDataEx", load(c.byref(module), ptx, 2, options, values))
        check(
            "cuModuleGetFunction",
            bind(lib, "cuModuleGetFunction", c.c_int, [c.POINTER(c.c_void_p), c.c_void_p, c.c_char_p])(
                c.byref(function), module, b"checker_axpb"
            ),
        )
        data = (c.c_float * n)(*[float(i) for i in range(n)])
        check(
            "cuMemAlloc",
            bind(lib, "cuMemAlloc_v2", c.c_int, [c.POINTER(c.c_uint64), c.c_size_t])(c.byref(dptr), n * 4),
        )
        check(
            "cuMemcpyHtoD",
            bind(lib, "cuMemcpyHtoD_v2", c.c_int, [c.c_uint64, c.c_void_p, c.c_size_t])(dptr, data, n * 4),
        )
        arg_n = c.c_uint32(n)
        params = (c.c_void_p * 2)(c.cast(c.byref(dptr), c.c_void_p), c.cast(c.byref(arg_n), c.c_void_p))
        launch = bind(
            lib,
            "cuLaunchKernel",
            c.c_int,
            [c.c_void_p] + [c.c_uint] * 7 + [c.c_void_p, c.POINTER(c.c_void_p), c.c_void_p],
        )
        check("cuLaunchKernel", launch(function, n // 256, 1, 1, 256, 1, 1, 0, None, params, None))
        check("cuCtxSynchronize", bind(lib, "cuCtxSynchronize", c.c_int, [])())
        out = (c.c_float * n)()
        check(
            "cuMemcpyDtoH",
            bind(lib, "cuMemcpyDtoH_v2", c.c_int, [c.c_void_p, c.c_uint64, c.c_size_t])(out, dptr, n * 4),
        )
        wrong = [i for i in range(n) if out[i] != 2.0 * i + 1.0]
        if wrong:
            return {"ok": False, "stage": "verify", "error": "%d of %d results wrong" % (len(wrong), n)}
        return {"ok": True}
    except _Stage as stage:
        info = driver_error(lib, stage.rc)
        return {
            "ok": False,
            "stage": stage.stage,
            "rc": stage.rc,
            "error": "%s (%s)" % (info["name"], info["text"]),
            "jit_log": log.value.decode("utf-8", "replace"),
        }
    finally:
        if dptr.value:
            bind(lib, "cuMemFree_v2", c.c_int, [c.c_uint64])(dptr)
        if module.value:
            bind(lib, "cuModuleUnload", c.c_int, [c.c_void_p])(module)
        if context.value:
            bind(lib, "cuCtxPopCurrent_v2", c.c_int, [c.POINTER(c.c_void_p)])(c.byref(c.c_void_p()))
            bind(lib, "cuDevicePrimaryCtxRelease_v2", c.c_int, [c.c_int])(device.value)


class _Stage(Exception):
    def __init__(self, stage, rc):
        Exception.__init__(self, stage)
        self.stage = stage
        self.rc = rc


# ---------------------------------------------------------------------------------------------
# OpenCV: runs in a child process, because some cv2.cuda calls abort instead of raising.


def parse_build_information(text):
    """The CUDA facts of `cv2.getBuildInformation()`: cuda, cuda_version, arch_bin, ptx, cudnn_version."""
    info = {"cuda": False, "cuda_version": None, "arch_bin": [], "ptx": [], "cudnn_version": None}
    text = text or ""
    lead = r"^[ \t]*(?:--[ \t]*)?"  # the CMake log form prefixes lines with "-- "
    cuda = re.search(lead + r"(?:NVIDIA CUDA|Use Cuda):[ \t]+(YES|NO)(?:[ \t]*\(ver ([\d.]+)[^)]*\))?", text, re.M)
    if cuda:
        info["cuda"] = cuda.group(1) == "YES"
        info["cuda_version"] = cuda.group(2)
    for key, label in (("arch_bin", "NVIDIA GPU arch"), ("ptx", "NVIDIA PTX archs")):
        match = re.search(lead + r"%s:[ \t]*(.*)$" % label, text, re.M)
        if match:
            info[key] = [a.replace(".", "") for a in re.split(r"[\s,;]+", match.group(1).strip()) if a]
    cudnn = re.search(lead + r"cuDNN:[ \t]+(YES|NO)(?:[ \t]*\(ver ([\d.]+)\))?", text, re.M)
    if cudnn and cudnn.group(1) == "YES":
        info["cudnn_version"] = cudnn.group(2)
    return info


def opencv_distributions():
    try:
        from importlib import metadata
    except ImportError:
        return []
    found = []
    try:
        for dist in metadata.distributions():
            name = (dist.metadata.get("Name") or "").lower()
            if name in OPENCV_DISTRIBUTIONS or (name.startswith("opencv") and "python" in name):
                found.append("%s==%s" % (name, dist.version))
    except Exception:
        pass
    return sorted(set(found))


def opencv_child():
    """In the child: import cv2 and report facts as one JSON line (never raises)."""
    out = {"distributions": opencv_distributions()}
    try:
        import cv2
    except BaseException as exc:
        out["import_error"] = "%s: %s" % (type(exc).__name__, exc)
        return out
    out["version"] = getattr(cv2, "__version__", None)
    out["file"] = getattr(cv2, "__file__", None)
    try:
        out["build"] = parse_build_information(cv2.getBuildInformation())
    except BaseException as exc:
        out["build_error"] = str(exc)
    cuda = getattr(cv2, "cuda", None)
    try:
        out["device_count"] = int(cuda.getCudaEnabledDeviceCount()) if cuda is not None else None
    except BaseException as exc:
        out["device_count_error"] = str(exc)
    if out.get("device_count", 0) and out["device_count"] > 0:
        devices = []
        for index in range(out["device_count"]):
            try:
                info = cuda.DeviceInfo(index)
                devices.append(
                    {
                        "index": index,
                        "compatible": bool(info.isCompatible()),
                        "cc": "%d.%d" % (info.majorVersion(), info.minorVersion()),
                    }
                )
            except BaseException as exc:
                devices.append({"index": index, "error": str(exc)})
        out["devices"] = devices
    return out


def run_opencv_child(facts, timeout):
    if "opencv" in facts:
        return facts["opencv"]
    code, output = run_command(
        [sys.executable or "python3", os.path.abspath(__file__), OPENCV_CHILD_FLAG], timeout=timeout
    )
    result = None
    for line in output.splitlines():
        if line.startswith(PREFIX):
            try:
                result = json.loads(line[len(PREFIX) :])
            except ValueError:
                pass
    if result is None:
        if code is not None and code < 0:
            why = "the OpenCV child process was killed by signal %d" % -code
        elif code is None:
            why = "the OpenCV child process did not finish: %s" % output.strip()
        else:
            why = "the OpenCV child process printed no result (exit %s)" % code
        result = {"crash": why, "output_tail": output.strip().splitlines()[-5:]}
    facts["opencv"] = result
    return result


def check_opencv_import(facts):
    cv = run_opencv_child(facts, facts["timeout"] * 0.8)
    details = {k: cv.get(k) for k in ("version", "file", "distributions", "import_error", "crash", "output_tail")}
    if cv.get("crash"):
        raise fail(cv["crash"], **details)
    if cv.get("import_error"):
        error = cv["import_error"]
        if "No module named" in error:
            raise skip("cv2 is not installed in this image", **details)
        hint = ""
        if re.search(r"lib(GL|xcb|X11|SM|ICE|Xext|Xrender|gthread|glib)[^ ]*\.so", error):
            hint = (
                " (the non-headless OpenCV wheels need X11/OpenGL libraries that servers and containers lack: "
                "install the -headless wheel instead)"
            )
        raise fail("import cv2 failed: %s%s" % (error, hint), **details)
    dists = cv.get("distributions") or []
    message = "cv2 %s from %s" % (
        cv.get("version"),
        ", ".join(dists) or "no pip distribution (built from source?)",
    )
    if len(dists) > 1:
        raise fail(
            "several OpenCV distributions are installed at once (%s): one shadows the other's cv2" % ", ".join(dists),
            **details,
        )
    return message, details


def check_opencv_build(facts):
    cv = run_opencv_child(facts, facts["timeout"] * 0.8)
    if "version" not in cv:
        raise skip("cv2 did not import (see opencv.import)")
    if "build" not in cv:
        raise fail("cv2.getBuildInformation() failed: %s" % cv.get("build_error"))
    build = dict(cv["build"], opencv_version=cv["version"])
    if not build["cuda"]:
        return "cv2 %s built without CUDA" % cv["version"], build
    return (
        "cv2 built with CUDA %s, CUDA_ARCH_BIN %s, PTX %s"
        % (build["cuda_version"], " ".join(build["arch_bin"]) or "-", " ".join(build["ptx"]) or "-"),
        build,
    )


def check_opencv_cuda_devices(facts):
    cv = run_opencv_child(facts, facts["timeout"] * 0.8)
    if "version" not in cv:
        raise skip("cv2 did not import (see opencv.import)")
    build = cv.get("build") or {}
    count = cv.get("device_count")
    details = {"count": count, "devices": cv.get("devices", [])}
    if not build.get("cuda"):
        raise skip("cv2 built without CUDA: cv2.cuda.getCudaEnabledDeviceCount() = %s" % count, **details)
    if count is None:
        raise fail("getCudaEnabledDeviceCount failed: %s" % cv.get("device_count_error"), **details)
    if count < 0:
        raise no_gpu_or_fail(
            "cv2.cuda.getCudaEnabledDeviceCount() = -1: the CUDA driver is missing or too old", **details
        )
    if count == 0:
        raise no_gpu_or_fail("cv2.cuda.getCudaEnabledDeviceCount() = 0: no CUDA device visible", **details)
    problems = []
    for device in cv.get("devices", []):
        coverage = arch_coverage(device.get("cc"), build)
        device["coverage"] = coverage
        if not device.get("compatible") or coverage == "none":
            problems.append("device %s (sm %s): %s" % (device["index"], device.get("cc"), coverage))
    if problems:
        raise fail("no kernel image is available for: %s" % "; ".join(problems), **details)
    return "%d CUDA device(s) usable by cv2" % count, details


def arch_coverage(cc, build):
    """'binary' when CUDA_ARCH_BIN has the device's arch, 'ptx-jit' when a PTX arch can JIT to it, else 'none'."""
    if not cc:
        return "unknown"
    sm = int(cc.replace(".", ""))
    if str(sm) in build.get("arch_bin", []):
        return "binary"
    if any(int(p) <= sm for p in build.get("ptx", []) if p.isdigit()):
        return "ptx-jit"
    return "none"


# ---------------------------------------------------------------------------------------------


def platform_facts():
    release = platform.release()
    details = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "kernel": release,
        "wsl2_kernel": "microsoft" in release.lower(),
        "dev_dxg": os.path.exists("/dev/dxg"),
        "usr_lib_wsl_lib": os.path.isdir("/usr/lib/wsl/lib"),
        "gpus_requested": os.environ.get("CHECKER_GPUS", "auto"),
    }
    return details


CHECKS = (
    ("env.cuda_version", check_env),
    ("driver.nvidia_smi", check_nvidia_smi),
    ("cuda.runtime", check_cuda_runtime),
    ("cuda.driver", check_cuda_driver),
    ("cuda.devices", check_cuda_devices),
    ("cuda.memcpy", check_cuda_memcpy),
    ("cuda.kernel", check_cuda_kernel),
    ("opencv.import", check_opencv_import),
    ("opencv.build", check_opencv_build),
    ("opencv.cuda.devices", check_opencv_cuda_devices),
)


def env_seconds(name, default):
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return float(default)


def probe():
    """Run every check; return the document.

    Each check has CHECKER_CHECK_TIMEOUT seconds, and all of them CHECKER_DEADLINE seconds (0: none), so
    the document comes out before the host's own timeout kills the container. Once a CUDA check hangs,
    the other CUDA checks are not started: they would wait on the same stuck driver.
    """
    timeout = env_seconds("CHECKER_CHECK_TIMEOUT", "60")
    deadline = env_seconds("CHECKER_DEADLINE", "0")
    facts = {"timeout": timeout}
    started = time.monotonic()
    checks = []
    hung = None
    for check_id, func in CHECKS:
        remaining = deadline - (time.monotonic() - started) if deadline else timeout
        if hung and check_id.startswith("cuda."):
            checks.append(not_run(check_id, "%s hung, so the driver is stuck; not started" % hung))
        elif remaining < 1:
            checks.append(not_run(check_id, "the probe's time (%gs) ran out before this check" % deadline))
        else:
            result = run_check(check_id, func, facts, min(timeout, remaining))
            if result["status"] == "error" and "did not finish" in result["message"] and check_id.startswith("cuda."):
                hung = check_id
            checks.append(result)
    try:
        where = platform_facts()
    except Exception as exc:
        where = {"error": str(exc)}
    return {
        "probe_version": PROBE_VERSION,
        "platform": where,
        "duration_s": round(time.monotonic() - started, 4),
        "checks": checks,
    }


def main():
    if OPENCV_CHILD_FLAG in sys.argv[1:]:
        try:
            document = opencv_child()
        except BaseException as exc:
            document = {"import_error": "probe child broke: %r" % (exc,)}
    else:
        try:
            document = probe()
        except BaseException as exc:
            document = {
                "probe_version": PROBE_VERSION,
                "checks": [],
                "fatal": "%s: %s" % (type(exc).__name__, exc),
            }
    try:
        line = PREFIX + json.dumps(document, sort_keys=True)
    except BaseException as exc:
        line = PREFIX + json.dumps(
            {"probe_version": PROBE_VERSION, "checks": [], "fatal": "unserialisable: %r" % (exc,)}
        )
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    os._exit(0)  # do not wait for a hung check's thread


if __name__ == "__main__":
    main()
