# The probe layer: makes any Debian/Ubuntu-based image (official nvidia/cuda runtime images included,
# which ship no Python) probe-able by checker: Python 3, numpy and an OpenCV pip distribution.
#
# Works with the classic builder (no BuildKit features), so any Docker Engine can build it.
# checker passes BASE (an image id), OPENCV (a pip distribution, empty for none), OPENCV_VERSION
# (empty for the newest) and puts checker-ca.pem into the context (empty when no CA bundle is used).
# The CA bundle is used only in the `fetch` stage; the final stage copies the installed files alone,
# so neither the bundle nor pip's caches end up in the image.
ARG BASE
FROM ${BASE} AS fetch
ARG OPENCV=opencv-contrib-python-headless
ARG OPENCV_VERSION=
COPY checker-ca.pem /tmp/checker-ca.pem
RUN set -eu; \
    if [ -s /tmp/checker-ca.pem ]; then \
        export PIP_CERT=/tmp/checker-ca.pem SSL_CERT_FILE=/tmp/checker-ca.pem; \
        echo 'Acquire::https::CAInfo "/tmp/checker-ca.pem";' > /etc/apt/apt.conf.d/99checker-ca; \
    fi; \
    if ! python3 -m pip --version >/dev/null 2>&1; then \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-pip >/dev/null; \
    fi; \
    packages="numpy"; \
    if [ -n "$OPENCV" ]; then packages="$packages $OPENCV${OPENCV_VERSION:+==$OPENCV_VERSION}"; fi; \
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check \
        --root /staging $packages

FROM ${BASE}
RUN set -eu; \
    if ! command -v python3 >/dev/null 2>&1; then \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 >/dev/null; \
        rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=fetch /staging/ /
LABEL io.checker.probe-layer="1"
