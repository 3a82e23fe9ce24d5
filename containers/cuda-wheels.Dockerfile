# A CUDA runtime image made from NVIDIA's CUDA runtime wheels (nvidia-cuda-runtime-cu11, -cu12, and
# nvidia-cuda-runtime for 13.x) over a Python base, with the environment official nvidia/cuda images
# set, so that checker and the NVIDIA Container Toolkit treat it like one.
#
# Build args: BASE (an image with python3 and pip), CUDA_WHEEL, CUDA_WHEEL_VERSION, CUDA_VERSION (as the
# official images spell it, e.g. 12.4.1), NVIDIA_REQUIRE_CUDA (e.g. "cuda>=12.4").
# checker-ca.pem (possibly empty) is used in the fetch stage only and never reaches the final image.
ARG BASE
FROM ${BASE} AS fetch
ARG CUDA_WHEEL
ARG CUDA_WHEEL_VERSION
COPY checker-ca.pem /tmp/checker-ca.pem
RUN set -eu; \
    if [ -s /tmp/checker-ca.pem ]; then export PIP_CERT=/tmp/checker-ca.pem; fi; \
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check --no-deps \
        --root /staging "${CUDA_WHEEL}==${CUDA_WHEEL_VERSION}"; \
    lib="$(find /staging -name 'libcudart.so.*' -path '*nvidia*' | head -n 1)"; \
    test -n "$lib" || { echo "no libcudart in ${CUDA_WHEEL}==${CUDA_WHEEL_VERSION}" >&2; exit 1; }; \
    mkdir -p /staging/usr/local/cuda/lib64; \
    ln -s "${lib#/staging}" "/staging/usr/local/cuda/lib64/$(basename "$lib")"

FROM ${BASE}
ARG CUDA_VERSION
ARG NVIDIA_REQUIRE_CUDA
COPY --from=fetch /staging/ /
ENV CUDA_VERSION=${CUDA_VERSION} \
    NVIDIA_REQUIRE_CUDA=${NVIDIA_REQUIRE_CUDA} \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64:/usr/local/cuda/lib64
LABEL io.checker.cuda-wheel="${CUDA_WHEEL}"
