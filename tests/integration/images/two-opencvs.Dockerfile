# A classic trap: one OpenCV wheel installed, then the probe layer adds another; one cv2 shadows the other.
ARG BASE
FROM ${BASE} AS fetch
COPY checker-ca.pem /tmp/checker-ca.pem
RUN if [ -s /tmp/checker-ca.pem ]; then export PIP_CERT=/tmp/checker-ca.pem; fi; \
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir --disable-pip-version-check \
        --root /staging opencv-python-headless==4.14.0.94

FROM ${BASE}
COPY --from=fetch /staging/ /
