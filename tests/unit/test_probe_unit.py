"""Pure functions of the probe: build-information parsing (real texts) and version helpers."""

from __future__ import annotations

from checker import probe

# Real `cv2.getBuildInformation()` excerpts, as quoted in ../shared/reference/opencv-cuda.md §1d and §3.
WHEEL_5_0 = """
General configuration for OpenCV 5.0.0 =====================================
    To be built:                 bgsegm bioinspired calib ccalib core datasets dnn xphoto xstereo
    Unavailable:                 alphamat cannops cudaarithm cudabgsegm cudacodec cudev cvv
  OpenCL:                        YES (no extra features)
"""
# OpenCV 4.12.0 Windows build log (secondary source quoted in the reference).
CUDA_12_8 = """
  NVIDIA CUDA:                   YES (ver 12.8, CUFFT CUBLAS NVCUVID NVCUVENC)
    NVIDIA GPU arch:             50 52 60 61 70 75 80 86 89 90 100 120
    NVIDIA PTX archs:            120

  cuDNN:                         YES (ver 9.8.0)
"""
# Linux build with a three-part version and an empty PTX list.
CUDA_12_6 = """
  NVIDIA CUDA:                   YES (ver 12.6.77, CUFFT CUBLAS NVCUVID NVCUVENC)
    NVIDIA GPU arch:             90
    NVIDIA PTX archs:

  cuDNN:                         YES (ver 9.5.0)
"""
# opencv/opencv#23232 (maintainer's build).
CUDA_11_0 = """
  NVIDIA CUDA:                   YES (ver 11.0, CUFFT CUBLAS NVCUVID)
    NVIDIA GPU arch:             35 37 50 52 60 61 70 75 80
    NVIDIA PTX archs:
  cuDNN:                         YES (ver 8.1.1)
"""


def test_wheel_without_cuda() -> None:
    assert probe.parse_build_information(WHEEL_5_0) == {
        "cuda": False,
        "cuda_version": None,
        "arch_bin": [],
        "ptx": [],
        "cudnn_version": None,
    }


def test_cuda_builds_parse() -> None:
    info = probe.parse_build_information(CUDA_12_8)
    assert info == {
        "cuda": True,
        "cuda_version": "12.8",
        "arch_bin": ["50", "52", "60", "61", "70", "75", "80", "86", "89", "90", "100", "120"],
        "ptx": ["120"],
        "cudnn_version": "9.8.0",
    }
    info = probe.parse_build_information(CUDA_12_6)
    assert (info["cuda_version"], info["arch_bin"], info["ptx"], info["cudnn_version"]) == (
        "12.6.77",
        ["90"],
        [],
        "9.5.0",
    )
    assert probe.parse_build_information(CUDA_11_0)["arch_bin"][0] == "35"


def test_arch_coverage_predicts_no_kernel_image() -> None:
    build = probe.parse_build_information(CUDA_12_6)
    assert probe.arch_coverage("9.0", build) == "binary"
    assert probe.arch_coverage("8.6", build) == "none"
    assert probe.arch_coverage("12.0", probe.parse_build_information(CUDA_12_8)) == "binary"
    assert probe.arch_coverage("10.3", probe.parse_build_information(CUDA_12_8)) == "none"
    assert probe.arch_coverage("8.9", {"arch_bin": ["86"], "ptx": ["86"]}) == "ptx-jit"


def test_versions() -> None:
    assert probe.version_int("11.8.89") == 11080
    assert probe.version_int("13.0") == 13000
    assert probe.version_int("garbage") is None
    assert probe.version_text(12040) == "12.4"
    assert probe.version_from_filename("/x/libcudart.so.11.8.89") == (11080, "libcudart.so.11.8.89")
    assert probe.version_from_filename("/x/libcudart.so.12") == (None, None)


def test_probe_source_parses_as_python_3_8() -> None:
    import ast
    from pathlib import Path

    source = Path(probe.__file__).read_text(encoding="utf-8")
    ast.parse(source, feature_version=(3, 8))
    imports = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    import sys

    assert imports - {"cv2"} <= set(sys.stdlib_module_names), imports


def test_ptx_isa_for_releases() -> None:
    assert probe.ptx_isa_for(12040) == "8.4"
    assert probe.ptx_isa_for(12070) == "8.5"  # between known releases: the newest known below
    assert probe.ptx_isa_for(13050) == "9.4"
    assert probe.ptx_isa_for(10020) is None


# The shapes the CUDA lines take in public build logs and issue threads, written out here (no paths):
# the CMake log form with a "-- " prefix (OpenCV 4.x, Jetson), tab-indented pastes, and OpenCV 3.2's
# older "Use Cuda:" block.
CMAKE_LOG_FORM = """
--   NVIDIA CUDA:                   YES (ver 12.6, CUFFT CUBLAS FAST_MATH)
--     NVIDIA GPU arch:             87
--     NVIDIA PTX archs:            87
--
--   cuDNN:                         YES (ver 9.4.0)
"""
TAB_INDENTED = "\t  NVIDIA CUDA:                   YES (ver 10.2, CUFFT CUBLAS)\n\t    NVIDIA GPU arch:             30 35 37 50 52 60 61 70 75\n\t    NVIDIA PTX archs:\n\n\t  cuDNN:                         NO\n"
OPENCV_3_2 = """
--     Use Cuda:                    YES (ver 8.0)
--   NVIDIA CUDA
--     Use CUFFT:                   YES
--     NVIDIA GPU arch:             62
--     NVIDIA PTX archs:
"""


def test_build_information_in_the_forms_users_paste() -> None:
    assert probe.parse_build_information(CMAKE_LOG_FORM) == {
        "cuda": True,
        "cuda_version": "12.6",
        "arch_bin": ["87"],
        "ptx": ["87"],
        "cudnn_version": "9.4.0",
    }
    tabbed = probe.parse_build_information(TAB_INDENTED)
    assert tabbed["cuda"] and tabbed["cuda_version"] == "10.2" and tabbed["arch_bin"][-1] == "75"
    assert tabbed["ptx"] == [] and tabbed["cudnn_version"] is None
    old = probe.parse_build_information(OPENCV_3_2)
    assert (old["cuda"], old["cuda_version"], old["arch_bin"]) == (True, "8.0", ["62"])
