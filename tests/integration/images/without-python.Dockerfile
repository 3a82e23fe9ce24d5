# Like an official nvidia/cuda runtime image: a Debian/Ubuntu system without any Python, so the probe
# layer has to install it with apt.
ARG BASE
FROM ${BASE}
RUN DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove python3-minimal >/dev/null \
 && ! command -v python3
